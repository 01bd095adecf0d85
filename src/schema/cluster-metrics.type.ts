import { DateTimeResolver } from 'graphql-scalars';
import { Extensions, Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { ClusterMetricsView, MetricSeriesView, MetricsSummaryView } from '../cluster-metrics/cluster-metrics.manager.js';
import type { MetricsRangeValue, SeriesDefinition, SeriesName } from '../cluster-metrics/metric-queries.js';

/** GraphQL names over the range values REST uses (`1h` …), so no mapping is needed between the layers. */
export const MetricsRange = Object.freeze({ HOUR: '1h', SIX_HOURS: '6h', DAY: '24h', WEEK: '7d' } as const satisfies Record<string, MetricsRangeValue>);
registerEnumType(MetricsRange, { name: 'MetricsRange', description: 'How far back cluster metrics reach: 1 hour, 6 hours, 24 hours, 7 days.' });

@ObjectType('MetricSample')
export class MetricSampleType {
  @Field(() => DateTimeResolver)
  t!: Date;

  @Field(() => Float)
  v!: number;
}

@ObjectType('MetricSeries', { description: 'One usage series; `error` says why it alone has no samples (the others still answered).' })
export class MetricSeriesType implements MetricSeriesView {
  @Field(() => String)
  name!: SeriesName;

  @Field(() => String, { description: 'percent, pods or bytes/s' })
  unit!: SeriesDefinition['unit'];

  // Plain values from the series' one query: priced as one item by the cost rule (graphql/limits.ts), not 100.
  @Field(() => [MetricSampleType])
  @Extensions({ listSize: 1 })
  samples!: MetricSampleType[];

  @Field(() => String, { nullable: true })
  error!: string | null;
}

@ObjectType('ClusterMetrics', { description: "A cluster's usage over a range, from its Prometheus (PromQL in the README)." })
export class ClusterMetricsType implements Omit<ClusterMetricsView, 'start' | 'end'> {
  @Field(() => String, { description: 'The Prometheus URL the series came from.' })
  source!: string;

  @Field(() => MetricsRange)
  range!: MetricsRangeValue;

  @Field(() => Int)
  stepSeconds!: number;

  @Field(() => MetricSeriesType)
  cpuUsagePercent!: MetricSeriesType;

  @Field(() => MetricSeriesType)
  memoryUsagePercent!: MetricSeriesType;

  @Field(() => MetricSeriesType)
  podsRunning!: MetricSeriesType;

  @Field(() => MetricSeriesType)
  networkReceiveBytesPerSecond!: MetricSeriesType;

  @Field(() => MetricSeriesType)
  networkTransmitBytesPerSecond!: MetricSeriesType;
}

@ObjectType('MetricsSummary', { description: 'One reading (instant queries) for fleet tables; a value is null when it has no data.' })
export class MetricsSummaryType implements MetricsSummaryView {
  @Field(() => Float, { nullable: true })
  cpuUsagePercent!: number | null;

  @Field(() => Float, { nullable: true })
  memoryUsagePercent!: number | null;

  @Field(() => Float, { nullable: true })
  podsRunning!: number | null;

  @Field(() => DateTimeResolver)
  at!: Date;
}
