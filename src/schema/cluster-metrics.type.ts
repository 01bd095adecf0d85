import { DateTimeResolver } from 'graphql-scalars';
import { Extensions, Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { ClusterMetricsView, MetricSeriesView, MetricsSummaryView } from '../cluster-metrics/cluster-metrics.manager.js';
import type { MetricsRangeValue, SeriesDefinition, SeriesName } from '../cluster-metrics/metric-queries.js';

/** GraphQL names over the range values REST uses (`1h` …), so no mapping is needed between the layers. */
export const MetricsRange = Object.freeze({ HOUR: '1h', SIX_HOURS: '6h', DAY: '24h', WEEK: '7d' } as const satisfies Record<
  string,
  MetricsRangeValue
>);
registerEnumType(MetricsRange, {
  name: 'MetricsRange',
  description: 'How far back cluster metrics reach: 1 hour, 6 hours, 24 hours, 7 days.',
  valuesConfig: {
    HOUR: { description: 'The last hour.' },
    SIX_HOURS: { description: 'The last 6 hours.' },
    DAY: { description: 'The last 24 hours.' },
    WEEK: { description: 'The last 7 days.' },
  },
});

@ObjectType('MetricSample', { description: 'One point of a series.' })
export class MetricSampleType {
  @Field(() => DateTimeResolver, { description: 'The sample time.' })
  t!: Date;

  @Field(() => Float, { description: "The value at that time, in the series' unit." })
  v!: number;
}

@ObjectType('MetricSeries', { description: 'One usage series; `error` says why it alone has no samples (the others still answered).' })
export class MetricSeriesType implements MetricSeriesView {
  @Field(() => String, {
    description:
      'Which metric this is (cpuUsagePercent, memoryUsagePercent, podsRunning, networkReceiveBytesPerSecond, networkTransmitBytesPerSecond).',
  })
  name!: SeriesName;

  @Field(() => String, { description: 'percent, pods or bytes/s' })
  unit!: SeriesDefinition['unit'];

  // Plain values from the series' one query: priced as one item by the cost rule (graphql/limits.ts), not 100.
  @Field(() => [MetricSampleType], { description: 'Points in time order; empty when the query failed or found no data.' })
  @Extensions({ listSize: 1 })
  samples!: MetricSampleType[];

  @Field(() => String, { description: 'Why this series has no samples (its query failed); null when it answered.', nullable: true })
  error!: string | null;
}

@ObjectType('ClusterMetrics', { description: "A cluster's usage over a range, from its Prometheus (PromQL in the README)." })
export class ClusterMetricsType implements Omit<ClusterMetricsView, 'start' | 'end'> {
  @Field(() => String, { description: 'The Prometheus URL the series came from.' })
  source!: string;

  @Field(() => MetricsRange, { description: 'How far back the series reach.' })
  range!: MetricsRangeValue;

  @Field(() => Int, { description: 'Seconds between two samples.' })
  stepSeconds!: number;

  @Field(() => MetricSeriesType, { description: 'CPU in use across all nodes, percent of allocatable.' })
  cpuUsagePercent!: MetricSeriesType;

  @Field(() => MetricSeriesType, { description: 'Memory in use across all nodes, percent of the total.' })
  memoryUsagePercent!: MetricSeriesType;

  @Field(() => MetricSeriesType, { description: 'Pods in phase Running.' })
  podsRunning!: MetricSeriesType;

  @Field(() => MetricSeriesType, { description: 'Bytes received per second, all nodes together.' })
  networkReceiveBytesPerSecond!: MetricSeriesType;

  @Field(() => MetricSeriesType, { description: 'Bytes sent per second, all nodes together.' })
  networkTransmitBytesPerSecond!: MetricSeriesType;
}

@ObjectType('MetricsSummary', { description: 'One reading (instant queries) for fleet tables; a value is null when it has no data.' })
export class MetricsSummaryType implements MetricsSummaryView {
  @Field(() => Float, { description: 'CPU in use now, percent of allocatable; null without data.', nullable: true })
  cpuUsagePercent!: number | null;

  @Field(() => Float, { description: 'Memory in use now, percent of the total; null without data.', nullable: true })
  memoryUsagePercent!: number | null;

  @Field(() => Float, { description: 'Pods in phase Running now; null without data.', nullable: true })
  podsRunning!: number | null;

  @Field(() => DateTimeResolver, { description: 'When the reading was taken.' })
  at!: Date;
}
