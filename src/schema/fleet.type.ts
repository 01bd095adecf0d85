import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import type { HealthStatusValue, PrometheusSourceValue } from '../db/schema.js';
import type { ClusterOrderFieldValue, OrderDirectionValue } from '../fleet/cluster-query.js';
import type { ClusterLabel } from '../fleet/labels.js';
import { HealthStatus, PrometheusSource } from './enums.js';

// Every field names its type explicitly: esbuild (tests, tsx) emits no decorator metadata.

@ObjectType('ClusterLabel', { description: 'A Kubernetes-style label: key `[prefix/]name`, value of at most 63 characters.' })
export class ClusterLabelType implements ClusterLabel {
  @Field(() => String)
  key!: string;

  @Field(() => String)
  value!: string;
}

@InputType('ClusterLabelInput')
export class ClusterLabelInput implements ClusterLabel {
  @Field(() => String, { description: '`[prefix/]name`: prefix a DNS subdomain (≤ 253), name ≤ 63 characters.' })
  key!: string;

  @Field(() => String, { description: 'Empty, or ≤ 63 characters of letters, digits, "-", "_" and ".".' })
  value!: string;
}

/** GraphQL names over the order keys fleet/cluster-query.ts uses. */
export const ClusterOrderField: Record<'NAME' | 'CREATED_AT' | 'UPDATED_AT' | 'HEALTH_STATUS', Exclude<ClusterOrderFieldValue, 'id'>> = {
  NAME: 'name',
  CREATED_AT: 'createdAt',
  UPDATED_AT: 'updatedAt',
  HEALTH_STATUS: 'healthStatus',
};
export const OrderDirection: Record<'ASC' | 'DESC', OrderDirectionValue> = { ASC: 'asc', DESC: 'desc' };
registerEnumType(ClusterOrderField, { name: 'ClusterOrderField', description: 'HEALTH_STATUS sorts UNKNOWN, HEALTHY, WARNING, ERROR, UNAVAILABLE.' });
registerEnumType(OrderDirection, { name: 'OrderDirection' });

@InputType('ClusterOrderBy', { description: 'Ties are broken by id in the same direction. Without orderBy: id ascending (oldest first).' })
export class ClusterOrderByInput {
  @Field(() => ClusterOrderField)
  field!: Exclude<ClusterOrderFieldValue, 'id'>;

  @Field(() => OrderDirection)
  direction!: OrderDirectionValue;
}

@InputType('ClusterFilter', { description: 'Every given condition must hold.' })
export class ClusterFilterInput {
  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of the name.' })
  search?: string | null;

  @Field(() => [HealthStatus], { nullable: true })
  healthStatus?: HealthStatusValue[] | null;

  @Field(() => String, { nullable: true, description: 'Kubernetes label selector: `env=prod,tier in (web,api),!legacy`.' })
  labelSelector?: string | null;

  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;

  @Field(() => [PrometheusSource], { nullable: true })
  prometheusSource?: PrometheusSourceValue[] | null;
}
