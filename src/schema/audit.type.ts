import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { AuditEventView } from '../audit/audit-entry.js';
import { PageInfoType } from './page-info.type.js';

@ObjectType('AuditEvent', {
  description: 'One write attempt: who did what to which cluster, and how it ended. Never a body, header value or credential.',
})
export class AuditEventType implements AuditEventView {
  @Field(() => ID, { description: 'The event id.' })
  id!: string;

  @Field(() => DateTimeResolver, { description: 'When the write was attempted.' })
  at!: Date;

  @Field(() => String, { description: "The caller's token subject." })
  actor!: string;

  @Field(() => String, { description: 'e.g. cluster.create, cluster.update, cluster.delete, cluster.testConnection, prometheus.rediscover' })
  action!: string;

  @Field(() => ID, {
    description: 'The cluster written to; kept after the cluster is deleted. Null for writes not about one cluster.',
    nullable: true,
  })
  clusterId!: number | null;

  @Field(() => String, { nullable: true, description: 'The cluster name when the write happened (kept after deletion).' })
  clusterName!: string | null;

  @Field(() => String, { nullable: true, description: 'REST method and path, or `mutation <field>`.' })
  target!: string | null;

  @Field(() => Int, { description: 'HTTP-like status the caller was answered with (200/201/202, 400, 403, 404, 409, 503 …).' })
  outcome!: number;

  @Field(() => String, { description: 'The X-Request-Id of the request, to find it in the logs.', nullable: true })
  requestId!: string | null;

  @Field(() => String, { nullable: true, description: 'Peer address of the connection.' })
  sourceIp!: string | null;
}

@ObjectType('AuditEventConnection', { description: 'One page of audit events.' })
export class AuditEventConnectionType {
  @Field(() => [AuditEventType], { description: 'Newest first.' })
  items!: AuditEventType[];

  @Field(() => PageInfoType, { description: 'Whether more pages follow, and the cursor to ask for the next.' })
  pageInfo!: PageInfoType;
}

@InputType('AuditFilter', { description: 'Every given condition must hold.' })
export class AuditFilterInput {
  @Field(() => ID, { description: 'Only events of this cluster id (also after it was deleted).', nullable: true })
  clusterId?: string | null;

  @Field(() => String, { description: 'Only events of this token subject.', nullable: true })
  actor?: string | null;

  @Field(() => String, { description: 'Only events of this action, e.g. cluster.update.', nullable: true })
  action?: string | null;

  @Field(() => DateTimeResolver, { nullable: true, description: 'Events at or after this time.' })
  since?: Date | null;

  @Field(() => DateTimeResolver, { nullable: true, description: 'Events at or before this time.' })
  until?: Date | null;
}
