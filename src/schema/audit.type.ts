import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { AuditEventView } from '../audit/audit-entry.js';
import { PageInfoType } from './page-info.type.js';

@ObjectType('AuditEvent', { description: 'One write attempt: who did what to which cluster, and how it ended. Never a body, header value or credential.' })
export class AuditEventType implements AuditEventView {
  @Field(() => ID)
  id!: string;

  @Field(() => DateTimeResolver)
  at!: Date;

  @Field(() => String, { description: "The caller's token subject." })
  actor!: string;

  @Field(() => String, { description: 'e.g. cluster.create, cluster.update, cluster.delete, cluster.testConnection, prometheus.rediscover' })
  action!: string;

  @Field(() => ID, { nullable: true })
  clusterId!: number | null;

  @Field(() => String, { nullable: true, description: 'The cluster name when the write happened (kept after deletion).' })
  clusterName!: string | null;

  @Field(() => String, { nullable: true, description: 'REST method and path, or `mutation <field>`.' })
  target!: string | null;

  @Field(() => Int, { description: 'HTTP-like status the caller was answered with (200/201/202, 400, 403, 404, 409, 503 …).' })
  outcome!: number;

  @Field(() => String, { nullable: true })
  requestId!: string | null;

  @Field(() => String, { nullable: true, description: 'Peer address of the connection.' })
  sourceIp!: string | null;
}

@ObjectType('AuditEventConnection')
export class AuditEventConnectionType {
  @Field(() => [AuditEventType], { description: 'Newest first.' })
  items!: AuditEventType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}

@InputType('AuditFilter')
export class AuditFilterInput {
  @Field(() => ID, { nullable: true })
  clusterId?: string | null;

  @Field(() => String, { nullable: true })
  actor?: string | null;

  @Field(() => String, { nullable: true })
  action?: string | null;

  @Field(() => DateTimeResolver, { nullable: true, description: 'Events at or after this time.' })
  since?: Date | null;

  @Field(() => DateTimeResolver, { nullable: true, description: 'Events at or before this time.' })
  until?: Date | null;
}
