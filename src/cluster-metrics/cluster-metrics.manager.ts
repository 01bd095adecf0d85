import { requireUser, type Caller } from '../auth/principal.js';
import type { ClusterManager } from '../clusters/cluster.manager.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import { ConflictError, NotFoundError, PrometheusNotConfiguredError, PrometheusUnreachableError } from '../errors.js';
import type { KubeClientCache } from '../kube/client-cache.js';
import { BatchLoader } from '../util/batch-loader.js';
import type { ClusterMetricsRepository } from './cluster-metrics.repository.js';
import {
  parseRange,
  RANGE_SECONDS,
  resolveStep,
  SERIES,
  SUMMARY_SERIES,
  type MetricsRangeValue,
  type SeriesDefinition,
  type SeriesName,
} from './metric-queries.js';
import { directEndpoint, serviceProxyEndpoint, targetOf, type PrometheusEndpoint } from './prometheus-endpoint.js';
import { PrometheusQueryError, queryInstant, queryRange, type Sample } from './prometheus-query.js';
import { GateBusyError, QueryGate, type QueryGateLimits } from './query-gate.js';
import { CoalescingCache } from './result-cache.js';

export interface MetricSeriesView {
  name: SeriesName;
  unit: SeriesDefinition['unit'];
  samples: Sample[];
  /** Why this series alone has no samples (the others still answered); null when it answered. */
  error: string | null;
}

/** One cluster's usage over a range; every series is one range query of metric-queries.ts. */
export type ClusterMetricsView = {
  /** The Prometheus URL the series came from. */
  source: string;
  range: MetricsRangeValue;
  stepSeconds: number;
  start: Date;
  end: Date;
} & Record<SeriesName, MetricSeriesView>;

/** A one-point reading for fleet tables: null where a query had no value or failed alone. */
export interface MetricsSummaryView {
  cpuUsagePercent: number | null;
  memoryUsagePercent: number | null;
  podsRunning: number | null;
  at: Date;
}

export interface ClusterMetricsOptions {
  /** Bound of one query, also sent to Prometheus as its `timeout`. */
  queryTimeoutMs: number;
  /** How long a complete answer is served again per (cluster, URL, range, step). */
  cacheTtlMs: number;
  /** Most answers kept (range answers and summaries each). */
  maxCacheEntries: number;
  gate: QueryGateLimits;
}

export const DEFAULT_CLUSTER_METRICS_OPTIONS: ClusterMetricsOptions = {
  queryTimeoutMs: 5_000,
  cacheTtlMs: 15_000,
  maxCacheEntries: 2_000,
  gate: { perCluster: 5, overall: 32, maxWaitMs: 10_000, maxQueued: 5_000 },
};

/** What metrics reads from other domains, as seams (wired in gateway.ts). */
export interface ClusterMetricsDeps {
  /** The visibility check: a cluster the caller cannot see is NOT_FOUND (per-cluster roles plug in there). */
  clusters: Pick<ClusterManager, 'get'>;
  repository: Pick<ClusterMetricsRepository, 'ciphertexts'>;
  clients: Pick<KubeClientCache, 'get'>;
  /** Where discovery stands, for the "not configured" answer. */
  discoveryStatus(clusterId: number): Promise<{ state: string; message: string | null }>;
}

type SummaryAnswer = { view: MetricsSummaryView; failures: number };

/**
 * Cluster metrics' application API (GraphQL `Cluster.metrics` / `metricsSummary`, REST `…/clusters/:id/metrics`):
 * reads the cluster's Prometheus (the hand-set URL, else the discovered one) with bounded queries, coalesces identical
 * concurrent requests and keeps complete answers for a short while. Readable by anyone who can see the cluster.
 */
export class ClusterMetricsManager {
  private readonly ranges: CoalescingCache<ClusterMetricsView>;
  private readonly summaries: CoalescingCache<SummaryAnswer>;
  private readonly gate: QueryGate;
  /** Ciphertexts of every cluster whose metrics are loaded in the same turn (a list of 100) come in one query. */
  private readonly ciphertexts: BatchLoader<number, string>;

  constructor(
    private readonly deps: ClusterMetricsDeps,
    private readonly opts: ClusterMetricsOptions = DEFAULT_CLUSTER_METRICS_OPTIONS,
  ) {
    this.ranges = new CoalescingCache(opts.cacheTtlMs, opts.maxCacheEntries);
    this.summaries = new CoalescingCache(opts.cacheTtlMs, opts.maxCacheEntries);
    this.gate = new QueryGate(opts.gate);
    this.ciphertexts = new BatchLoader((ids) => deps.repository.ciphertexts(ids));
  }

  /** REST: the cluster by id (404 when the caller cannot see it), `range` as 1h/6h/24h/7d, `step` in seconds. */
  async range(caller: Caller, rawClusterId: string | number, rawRange?: unknown, rawStep?: unknown): Promise<ClusterMetricsView> {
    const range = parseRange(rawRange);
    const step = resolveStep(range, rawStep);
    const cluster = await this.deps.clusters.get(caller, rawClusterId);
    return this.load(cluster, range, step);
  }

  /** GraphQL `Cluster.metrics`: `cluster` was already read for this caller (through ClusterManager). */
  async rangeFor(caller: Caller, cluster: ClusterView, rawRange?: unknown, rawStep?: unknown): Promise<ClusterMetricsView> {
    requireUser(caller);
    // No second role check: `cluster` reached this caller through ClusterManager, which admits VIEWER and up only.
    const range = parseRange(rawRange);
    return this.load(cluster, range, resolveStep(range, rawStep));
  }

  async summary(caller: Caller, rawClusterId: string | number): Promise<MetricsSummaryView> {
    return this.summaryOf(await this.deps.clusters.get(caller, rawClusterId));
  }

  /** GraphQL `Cluster.metricsSummary`, for a cluster already read for this caller. */
  async summaryFor(caller: Caller, cluster: ClusterView): Promise<MetricsSummaryView> {
    requireUser(caller);
    // As in rangeFor: `cluster` was admitted for this caller by ClusterManager.
    return this.summaryOf(cluster);
  }

  /** Queries in flight to Prometheus servers right now (tests, metrics). */
  inFlight(): number {
    return this.gate.inFlight();
  }

  private async load(cluster: ClusterView, range: MetricsRangeValue, step: number): Promise<ClusterMetricsView> {
    const url = await this.urlOf(cluster);
    // The URL is part of the key: an answer from a Prometheus the cluster no longer uses is never served.
    return this.ranges.get(
      `${cluster.id}|${url}|${range}|${step}`,
      () => this.queryRange(cluster.id, url, range, step),
      (v) => SERIES.every((s) => v[s.name].error === null),
    );
  }

  private async summaryOf(cluster: ClusterView): Promise<MetricsSummaryView> {
    const url = await this.urlOf(cluster);
    const answer = await this.summaries.get(
      `${cluster.id}|${url}|summary`,
      () => this.querySummary(cluster.id, url),
      (a) => a.failures === 0,
    );
    return answer.view;
  }

  private async queryRange(clusterId: number, url: string, range: MetricsRangeValue, step: number): Promise<ClusterMetricsView> {
    const endpoint = await this.endpointFor(clusterId, url);
    const end = Math.floor(Date.now() / 1000);
    const start = end - RANGE_SECONDS[range];
    const outcomes = await Promise.allSettled(
      SERIES.map((s) => this.gate.run(clusterId, () => queryRange(endpoint, s.promql, start, end, step, this.opts.queryTimeoutMs))),
    );
    throwIfUnreachable(url, outcomes);
    const view = { source: url, range, stepSeconds: step, start: new Date(start * 1000), end: new Date(end * 1000) } as ClusterMetricsView;
    SERIES.forEach((s, i) => {
      const o = outcomes[i]!;
      view[s.name] = {
        name: s.name,
        unit: s.unit,
        samples: o.status === 'fulfilled' ? o.value : [],
        error: o.status === 'fulfilled' ? null : seriesError(o.reason),
      };
    });
    return view;
  }

  private async querySummary(clusterId: number, url: string): Promise<SummaryAnswer> {
    const endpoint = await this.endpointFor(clusterId, url);
    const at = Math.floor(Date.now() / 1000);
    const outcomes = await Promise.allSettled(
      SUMMARY_SERIES.map((s) => this.gate.run(clusterId, () => queryInstant(endpoint, s.promql, at, this.opts.queryTimeoutMs))),
    );
    throwIfUnreachable(url, outcomes);
    const value = (name: SeriesName) => {
      const o = outcomes[SUMMARY_SERIES.findIndex((s) => s.name === name)]!;
      if (o.status === 'fulfilled') return o.value;
      seriesError(o.reason); // rethrows anything that is not a query failure
      return null;
    };
    const view = {
      cpuUsagePercent: value('cpuUsagePercent'),
      memoryUsagePercent: value('memoryUsagePercent'),
      podsRunning: value('podsRunning'),
      at: new Date(at * 1000),
    };
    return { view, failures: outcomes.filter((o) => o.status === 'rejected').length };
  }

  private async urlOf(cluster: ClusterView): Promise<string> {
    if (!cluster.enabled) throw new ConflictError(`cluster "${cluster.name}" is disabled; enable it to read its metrics`);
    if (cluster.prometheusUrl) return cluster.prometheusUrl;
    const discovery = await this.deps.discoveryStatus(cluster.id);
    const where =
      discovery.state === 'pending' || discovery.state === 'running'
        ? 'discovery is still looking for one; try again shortly'
        : `discovery state: ${discovery.state}${discovery.message ? ` (${discovery.message.slice(0, 300)})` : ''}`;
    throw new PrometheusNotConfiguredError(
      discovery.state,
      `cluster "${cluster.name}" has no Prometheus URL: ${where}. Set one with PUT /api/v1/k8s/clusters/${cluster.id} {"prometheus_url": "http://…"} ` +
        `(GraphQL: updateCluster(id: ${cluster.id}, input: {prometheusUrl: "…"})), or look again with POST /api/v1/k8s/clusters/${cluster.id}/prometheus/rediscover.`,
    );
  }

  private async endpointFor(clusterId: number, url: string): Promise<PrometheusEndpoint> {
    const target = targetOf(url);
    if (target.kind === 'direct') return directEndpoint(target);
    const ciphertext = await this.ciphertexts.load(clusterId);
    if (ciphertext === undefined) throw new NotFoundError(`cluster ${clusterId} not found`);
    return serviceProxyEndpoint(target, this.deps.clients.get(clusterId, ciphertext));
  }
}

const isTransportFailure = (err: unknown) => (err instanceof PrometheusQueryError && err.kind === 'transport') || err instanceof GateBusyError;

/**
 * When no query got an answer from Prometheus (nothing answered, or what answered is not Prometheus), the whole request
 * fails as PROMETHEUS_UNREACHABLE with the first failure's reason; otherwise failures stay with their series.
 */
function throwIfUnreachable(url: string, outcomes: PromiseSettledResult<unknown>[]): void {
  const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
  if (failures.length < outcomes.length || !failures.every(isTransportFailure)) return;
  const first = failures[0] as PrometheusQueryError | GateBusyError;
  throw new PrometheusUnreachableError(
    first instanceof GateBusyError ? 'BUSY' : (first.reason as PrometheusUnreachableError['reason']),
    `Prometheus at ${url} is unreachable: ${first.message}`,
  );
}

/** The message a failed series carries; anything that is not a query failure is a bug and propagates (masked as 500). */
function seriesError(err: unknown): string {
  if (err instanceof PrometheusQueryError || err instanceof GateBusyError) return err.message;
  throw err;
}
