import { Arg, Ctx, Extensions, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { OUTSIDE_CLUSTER_LIST } from '../schema/field-extensions.js';
import type { RequestContext } from '../auth/principal.js';
import type { ClusterMetricsManager, ClusterMetricsView, MetricsSummaryView } from '../cluster-metrics/cluster-metrics.manager.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import type { MetricsRangeValue } from '../cluster-metrics/metric-queries.js';
import { ClusterType } from '../schema/cluster.type.js';
import { ClusterMetricsType, MetricsRange, MetricsSummaryType } from '../schema/cluster-metrics.type.js';

/**
 * `Cluster.metrics` and `Cluster.metricsSummary`. Each reaches a Prometheus, so the query cost rule (graphql/limits.ts)
 * prices them above an ordinary field (`cost` extension), and the list-response cache never keeps an answer holding
 * them (graphql/list-response-cache.ts).
 */
@Resolver(() => ClusterType)
export class ClusterMetricsResolver {
  constructor(private readonly manager: ClusterMetricsManager) {}

  @FieldResolver(() => ClusterMetricsType, { description: "CPU, memory, pods and network over a range, from the cluster's Prometheus." })
  @Extensions({ ...OUTSIDE_CLUSTER_LIST, cost: 20 })
  metrics(
    @Root() cluster: ClusterView,
    @Ctx() ctx: RequestContext,
    @Arg('range', () => MetricsRange, { description: 'How far back the series reach (default HOUR).', defaultValue: MetricsRange.HOUR })
    range: MetricsRangeValue,
    @Arg('step', () => Int, { nullable: true, description: 'Seconds between points; default range / 120. At most 11,000 points.' }) step?:
      | number
      | null,
  ): Promise<ClusterMetricsView> {
    return this.manager.rangeFor(ctx, cluster, range, step);
  }

  @FieldResolver(() => MetricsSummaryType, { nullable: true, description: 'Usage now (instant queries), for fleet tables.' })
  @Extensions({ ...OUTSIDE_CLUSTER_LIST, cost: 10 })
  metricsSummary(@Root() cluster: ClusterView, @Ctx() ctx: RequestContext): Promise<MetricsSummaryView> {
    return this.manager.summaryFor(ctx, cluster);
  }
}
