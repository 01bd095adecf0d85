import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import type { ClusterGrantView } from '../access/grants.repository.js';
import type { ClusterRoleValue, SubjectKindValue } from '../access/roles.js';
import { ClusterRole, SubjectKind } from './enums.js';

@ObjectType('ClusterGrant', { description: 'A role on one cluster given to a user or a group.' })
export class ClusterGrantType implements ClusterGrantView {
  @Field(() => ID, { description: 'The grant id, for revokeClusterAccess.' })
  id!: number;

  @Field(() => ID, { description: 'The cluster the role applies to.' })
  clusterId!: number;

  @Field(() => String, { description: 'The user (token subject) or the group name.' })
  subject!: string;

  @Field(() => SubjectKind, { description: 'Whether subject names a user or a group.' })
  subjectKind!: SubjectKindValue;

  @Field(() => ClusterRole, { description: 'The role held on the cluster.' })
  role!: ClusterRoleValue;

  @Field(() => DateTimeResolver, { description: 'When the grant was given (or its role last changed).' })
  createdAt!: Date;

  @Field(() => String, { description: 'Subject of whoever granted it.' })
  createdBy!: string;
}

@InputType('GrantClusterAccessInput', { description: 'Granting a subject that already holds a grant on the cluster changes its role.' })
export class GrantClusterAccessInput {
  @Field(() => ID, { description: 'The cluster the role applies to.' })
  clusterId!: string;

  @Field(() => String, { description: 'The user (token subject) or the group name.' })
  subject!: string;

  @Field(() => SubjectKind, { description: 'Whether subject names a user or a group.' })
  subjectKind!: SubjectKindValue;

  @Field(() => ClusterRole, { description: 'The role to hold on the cluster.' })
  role!: ClusterRoleValue;
}
