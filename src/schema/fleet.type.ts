import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import type { HealthStatusValue, PrometheusSourceValue } from '../db/schema.js';
import type { ClusterOrderFieldValue, OrderDirectionValue } from '../fleet/cluster-query.js';
import type { ClusterLabel } from '../fleet/labels.js';
import { HealthStatus, PrometheusSource } from './enums.js';

// Every field names its type explicitly: esbuild (tests, tsx) emits no decorator metadata.

@ObjectType('ClusterLabel', { description: 'A Kubernetes-style label: key `[prefix/]name`, value of at most 63 characters.' })
export class ClusterLabelType implements ClusterLabel {
  @Field(() => String, { description: '`[prefix/]name`, as in Kubernetes.' })
  key!: string;

  @Field(() => String, { description: 'Empty, or at most 63 characters.' })
  value!: string;
}

@InputType('ClusterLabelInput', { description: 'A label to set: key `[prefix/]name`, value of at most 63 characters.' })
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
registerEnumType(ClusterOrderField, {
  name: 'ClusterOrderField',
  description: 'HEALTH_STATUS sorts UNKNOWN, HEALTHY, WARNING, ERROR, UNAVAILABLE.',
  valuesConfig: {
    NAME: { description: 'By name.' },
    CREATED_AT: { description: 'By registration time.' },
    UPDATED_AT: { description: 'By last change.' },
    HEALTH_STATUS: { description: 'By health, UNKNOWN first, UNAVAILABLE last.' },
  },
});
registerEnumType(OrderDirection, {
  name: 'OrderDirection',
  description: 'Sort direction.',
  valuesConfig: { ASC: { description: 'Smallest (or earliest) first.' }, DESC: { description: 'Largest (or latest) first.' } },
});

@InputType('ClusterOrderBy', { description: 'Ties are broken by id in the same direction. Without orderBy: id ascending (oldest first).' })
export class ClusterOrderByInput {
  @Field(() => ClusterOrderField, { description: 'The key to sort by.' })
  field!: Exclude<ClusterOrderFieldValue, 'id'>;

  @Field(() => OrderDirection, { description: 'Ascending or descending.' })
  direction!: OrderDirectionValue;
}

@InputType('ClusterFilter', { description: 'Every given condition must hold.' })
export class ClusterFilterInput {
  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of the name.' })
  search?: string | null;

  @Field(() => [HealthStatus], { description: 'Only clusters in one of these states.', nullable: true })
  healthStatus?: HealthStatusValue[] | null;

  @Field(() => String, { nullable: true, description: 'Kubernetes label selector: `env=prod,tier in (web,api),!legacy`.' })
  labelSelector?: string | null;

  @Field(() => Boolean, { description: 'Only enabled (true) or only disabled (false) clusters.', nullable: true })
  enabled?: boolean | null;

  @Field(() => [PrometheusSource], { description: 'Only clusters whose Prometheus URL has one of these sources.', nullable: true })
  prometheusSource?: PrometheusSourceValue[] | null;
}
