import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import type { ClusterGrantView } from '../access/grants.repository.js';
import type { ClusterRoleValue, SubjectKindValue } from '../access/roles.js';
import { ClusterRole, SubjectKind } from './enums.js';

@ObjectType('ClusterGrant', { description: 'A role on one cluster given to a user or a group.' })
export class ClusterGrantType implements ClusterGrantView {
  @Field(() => ID)
  id!: number;

  @Field(() => ID)
  clusterId!: number;

  @Field(() => String, { description: 'The user (token subject) or the group name.' })
  subject!: string;

  @Field(() => SubjectKind)
  subjectKind!: SubjectKindValue;

  @Field(() => ClusterRole)
  role!: ClusterRoleValue;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  @Field(() => String, { description: 'Subject of whoever granted it.' })
  createdBy!: string;
}

@InputType('GrantClusterAccessInput', { description: 'Granting a subject that already holds a grant on the cluster changes its role.' })
export class GrantClusterAccessInput {
  @Field(() => ID)
  clusterId!: string;

  @Field(() => String)
  subject!: string;

  @Field(() => SubjectKind)
  subjectKind!: SubjectKindValue;

  @Field(() => ClusterRole)
  role!: ClusterRoleValue;
}
