import { ValidationError } from '../errors.js';

/**
 * What a cluster's metrics are made of: the ranges a client may ask for, the series and their PromQL (the families
 * kube-state-metrics and the kubelet's cAdvisor expose, as Kite and the Prometheus community dashboards use them), and
 * the step rule. README "Cluster metrics" quotes the PromQL below; change both together.
 */

/** Range values as REST spells them; GraphQL's MetricsRange enum (HOUR …) maps onto these. */
export const METRICS_RANGES = ['1h', '6h', '24h', '7d'] as const;
export type MetricsRangeValue = (typeof METRICS_RANGES)[number];

export const RANGE_SECONDS: Record<MetricsRangeValue, number> = { '1h': 3_600, '6h': 21_600, '24h': 86_400, '7d': 604_800 };

/** Points a default step gives (about; a range / 120 step gives 121 points, ends included). */
export const DEFAULT_POINTS = 120;
/** Prometheus' own per-series resolution limit: a query over it is refused by Prometheus, so it is refused here first. */
export const MAX_POINTS = 11_000;

export type SeriesName = 'cpuUsagePercent' | 'memoryUsagePercent' | 'podsRunning' | 'networkReceiveBytesPerSecond' | 'networkTransmitBytesPerSecond';

export interface SeriesDefinition {
  name: SeriesName;
  unit: 'percent' | 'pods' | 'bytes/s';
  promql: string;
}

export const SERIES: readonly SeriesDefinition[] = [
  {
    name: 'cpuUsagePercent',
    unit: 'percent',
    promql: 'sum(rate(container_cpu_usage_seconds_total{container!=""}[5m])) / sum(kube_node_status_allocatable{resource="cpu"}) * 100',
  },
  {
    name: 'memoryUsagePercent',
    unit: 'percent',
    promql: 'sum(container_memory_working_set_bytes{container!=""}) / sum(kube_node_status_allocatable{resource="memory"}) * 100',
  },
  { name: 'podsRunning', unit: 'pods', promql: 'sum(kube_pod_status_phase{phase="Running"})' },
  { name: 'networkReceiveBytesPerSecond', unit: 'bytes/s', promql: 'sum(rate(container_network_receive_bytes_total[5m]))' },
  { name: 'networkTransmitBytesPerSecond', unit: 'bytes/s', promql: 'sum(rate(container_network_transmit_bytes_total[5m]))' },
];

/** The series a one-point summary reads (instant queries), for fleet tables. */
export const SUMMARY_SERIES: readonly SeriesDefinition[] = SERIES.filter((s) =>
  ['cpuUsagePercent', 'memoryUsagePercent', 'podsRunning'].includes(s.name),
);

export function parseRange(raw: unknown, field = 'range'): MetricsRangeValue {
  if (raw === undefined || raw === null || raw === '') return '1h';
  if (typeof raw !== 'string' || !(METRICS_RANGES as readonly string[]).includes(raw)) {
    throw new ValidationError(field, `must be one of ${METRICS_RANGES.join(', ')}`);
  }
  return raw as MetricsRangeValue;
}

/**
 * The step in seconds: the client's, or range / 120 (121 points). A step must be a whole number of seconds from 1 to
 * the range itself, and the range / step must not exceed Prometheus' 11,000 points per series; otherwise a
 * ValidationError naming `step`.
 */
export function resolveStep(range: MetricsRangeValue, raw: unknown, field = 'step'): number {
  const rangeSeconds = RANGE_SECONDS[range];
  if (raw === undefined || raw === null || raw === '') return rangeSeconds / DEFAULT_POINTS;
  const step = typeof raw === 'string' && /^\d{1,9}$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 1)
    throw new ValidationError(field, 'must be a whole number of seconds (1 or more)');
  if (step > rangeSeconds) throw new ValidationError(field, `must be at most the range (${rangeSeconds} s for ${range})`);
  const points = Math.floor(rangeSeconds / step) + 1;
  if (points > MAX_POINTS) {
    throw new ValidationError(
      field,
      `${step} s over ${range} gives ${points} points; at most ${MAX_POINTS} are allowed (use a step of at least ${Math.ceil(rangeSeconds / (MAX_POINTS - 1))} s)`,
    );
  }
  return step;
}
