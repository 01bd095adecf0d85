import { DateTimeResolver } from 'graphql-scalars';
import { Extensions, Field, ID, Int, ObjectType } from 'type-graphql';
import type { ClusterView } from '../clusters/cluster.view.js';
import type { HealthStatusValue, PrometheusSourceValue } from '../db/schema.js';
import type { ClusterLabel } from '../fleet/labels.js';
import { HealthStatus, PrometheusSource } from './enums.js';
import { ClusterLabelType } from './fleet.type.js';
import { PageInfoType } from './page-info.type.js';

// Every field names its type explicitly: esbuild (tests, tsx) emits no decorator metadata.
@ObjectType('Cluster', { description: 'A registered Kubernetes cluster with its latest health and size figures.' })
export class ClusterType implements ClusterView {
  @Field(() => ID)
  id!: number;

  @Field(() => String)
  name!: string;

  @Field(() => Boolean, { description: 'The cluster used when a request names none.' })
  isDefault!: boolean;

  @Field(() => Boolean, { description: 'Disabled clusters are kept but not probed.' })
  enabled!: boolean;

  @Field(() => HealthStatus)
  healthStatus!: HealthStatusValue;

  @Field(() => String, { nullable: true, description: 'Human-readable reason for the health status.' })
  healthMessage!: string | null;

  @Field(() => DateTimeResolver, { nullable: true })
  lastConnectedAt!: Date | null;

  @Field(() => String, { nullable: true })
  kubernetesVersion!: string | null;

  @Field(() => Int)
  nodeCount!: number;

  @Field(() => Int, { nullable: true })
  readyNodeCount!: number | null;

  @Field(() => Int)
  podCount!: number;

  @Field(() => String, { nullable: true })
  prometheusUrl!: string | null;

  @Field(() => PrometheusSource)
  prometheusSource!: PrometheusSourceValue;

  @Field(() => Boolean, { description: 'Proxied requests carry Impersonate-User (the token subject) and Impersonate-Group (each group), so the cluster\'s own RBAC applies as well.' })
  impersonate!: boolean;
  @Field(() => [ClusterLabelType], { description: 'Sorted by key; at most 64.' })
  // Priced by the query-cost rule (graphql/limits.ts) as a short list, not as an unbounded one.
  @Extensions({ listSize: 8 })
  labels!: readonly ClusterLabel[];

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  @Field(() => DateTimeResolver)
  updatedAt!: Date;
}

@ObjectType('ClusterList')
export class ClusterListType {
  @Field(() => [ClusterType])
  items!: ClusterType[];

  @Field(() => Int, { description: 'How many clusters match the filter (all pages).' })
  total!: number;

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}
