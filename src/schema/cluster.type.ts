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
  @Field(() => ID, { description: 'The cluster id (a positive integer, never reused).' })
  id!: number;

  @Field(() => String, { description: 'Unique among live clusters; 1-100 printable characters.' })
  name!: string;

  @Field(() => Boolean, { description: 'The cluster used when a request names none.' })
  isDefault!: boolean;

  @Field(() => Boolean, { description: 'Disabled clusters are kept but not probed.' })
  enabled!: boolean;

  @Field(() => HealthStatus, { description: 'The latest health as shown (changes after consecutive probes agree).' })
  healthStatus!: HealthStatusValue;

  @Field(() => String, { nullable: true, description: 'Human-readable reason for the health status.' })
  healthMessage!: string | null;

  @Field(() => DateTimeResolver, { description: 'When the API server last answered; null if it never did.', nullable: true })
  lastConnectedAt!: Date | null;

  @Field(() => String, { description: "The API server's version (gitVersion), from the latest successful probe.", nullable: true })
  kubernetesVersion!: string | null;

  @Field(() => Int, { description: 'Nodes at the latest successful probe.' })
  nodeCount!: number;

  @Field(() => Int, { description: 'Nodes whose Ready condition was True at the latest successful probe; null before the first.', nullable: true })
  readyNodeCount!: number | null;

  @Field(() => Int, { description: 'Pods at the latest successful probe.' })
  podCount!: number;

  @Field(() => String, { description: 'The Prometheus the metrics come from: set by hand or discovered; null when there is none.', nullable: true })
  prometheusUrl!: string | null;

  @Field(() => PrometheusSource, { description: 'Whether prometheusUrl was discovered (AUTO), set by hand (MANUAL) or is absent (NONE).' })
  prometheusSource!: PrometheusSourceValue;

  @Field(() => Boolean, {
    description:
      "Proxied requests carry Impersonate-User (the token subject) and Impersonate-Group (each group), so the cluster's own RBAC applies as well.",
  })
  impersonate!: boolean;
  @Field(() => [ClusterLabelType], { description: 'Sorted by key; at most 64.' })
  // Priced by the query-cost rule (graphql/limits.ts) as a short list, not as an unbounded one.
  @Extensions({ listSize: 8 })
  labels!: readonly ClusterLabel[];

  @Field(() => DateTimeResolver, { description: 'When the cluster was registered.' })
  createdAt!: Date;

  @Field(() => DateTimeResolver, { description: "When the cluster's settings or figures last changed." })
  updatedAt!: Date;
}

@ObjectType('ClusterList', { description: 'One page of clusters, with the number of all matches.' })
export class ClusterListType {
  @Field(() => [ClusterType], { description: 'The clusters on this page, in the requested order.' })
  items!: ClusterType[];

  @Field(() => Int, { description: 'How many clusters match the filter (all pages).' })
  total!: number;

  @Field(() => PageInfoType, { description: 'Whether more pages follow, and the cursor to ask for the next.' })
  pageInfo!: PageInfoType;
}
