import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { HEALTH_STATUSES } from '../db/schema.js';
import type { DomainEventSource } from '../events/domain-events.js';
import { type BuildInfo, readBuildInfo } from './build-info.js';

/** Read-only views the metrics pull from on each scrape, so nothing is counted twice or kept in sync by hand. */
export interface MetricsSources {
  clustersByHealth(): Promise<Record<string, number>>;
  subscribers(): number;
  webSocketConnections(): number;
  cachedClients(): number;
}

/**
 * prom-client's default gauges that end in `_total`, which Prometheus reserves for counters (`promtool check metrics`
 * flags them). Each is the sum of the per-type gauge of the same name without the suffix, which stays:
 * `sum(nodejs_active_handles)` is the dropped `nodejs_active_handles_total`.
 */
const MISNAMED_DEFAULT_GAUGES = ['nodejs_active_resources_total', 'nodejs_active_handles_total', 'nodejs_active_requests_total'];

/**
 * Prometheus metrics of the gateway itself: HTTP latency by route, cluster counts by health, probe latency,
 * discovery outcomes, live subscribers, the build. One registry per gateway (tests run several gateways in one
 * process). The gateway's own names start with `kube_gateway_`; the standard `process_*` and `nodejs_*` metrics keep
 * their usual names, so stock Node.js dashboards and alerts find them. Every name passes `promtool check metrics`.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly httpDuration = new Histogram({
    name: 'kube_gateway_http_request_duration_seconds',
    help: 'HTTP request latency by route template',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly cachedReads = new Counter({
    name: 'kube_gateway_cached_reads_total',
    help: 'Requests answered from already rendered bytes by the cached-read lane, by route template',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  private readonly compiledReads = new Counter({
    name: 'kube_gateway_compiled_reads_total',
    help: 'GraphQL queries executed by the compiled-operation lane ahead of Apollo, by route template',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  private readonly probeDuration = new Histogram({
    name: 'kube_gateway_health_probe_duration_seconds',
    help: 'Duration of one cluster health probe by resulting health state',
    labelNames: ['status'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly discoveryTasks = new Counter({
    name: 'kube_gateway_discovery_tasks_total',
    help: 'Prometheus discovery tasks finished on this replica, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(sources: MetricsSources, build: BuildInfo = readBuildInfo()) {
    collectDefaultMetrics({ register: this.registry });
    for (const name of MISNAMED_DEFAULT_GAUGES) this.registry.removeSingleMetric(name);
    new Gauge({
      name: 'kube_gateway_build_info',
      help: 'Always 1; the labels say which version and commit run on which Node.js',
      labelNames: ['version', 'commit', 'node'] as const,
      registers: [this.registry],
    }).set({ version: build.version, commit: build.commit, node: build.node }, 1);
    new Gauge({
      name: 'kube_gateway_clusters',
      help: 'Live clusters by health status',
      labelNames: ['health_status'] as const,
      registers: [this.registry],
      async collect() {
        const counts = await sources.clustersByHealth();
        for (const status of HEALTH_STATUSES) this.set({ health_status: status }, counts[status] ?? 0);
      },
    });
    new Gauge({
      name: 'kube_gateway_websocket_subscriptions',
      help: 'Active GraphQL subscriptions on this replica',
      registers: [this.registry],
      collect() {
        this.set(sources.subscribers());
      },
    });
    new Gauge({
      name: 'kube_gateway_websocket_connections',
      help: 'Open graphql-ws connections on this replica',
      registers: [this.registry],
      collect() {
        this.set(sources.webSocketConnections());
      },
    });
    new Gauge({
      name: 'kube_gateway_cached_kube_clients',
      help: 'Kubernetes clients kept for reuse on this replica',
      registers: [this.registry],
      collect() {
        this.set(sources.cachedClients());
      },
    });
  }

  /** Probe latency and discovery outcomes, counted from the domains' events on this replica. */
  listenTo(events: DomainEventSource): void {
    events.on('health.probed', ({ status, durationMs }) => this.probeDuration.observe({ status }, durationMs / 1000));
    events.on('discovery.finished', ({ state }) => this.discoveryTasks.inc({ outcome: state }));
  }

  private readonly httpSeries = new Map<string, { observe(seconds: number): void }>();
  private readonly cachedReadSeries = new Map<string, { inc(): void }>();
  private readonly compiledReadSeries = new Map<string, { inc(): void }>();

  /**
   * Records one finished request. The label is the route template (`/clusters/:id`), never the raw path (unbounded).
   * Label children are kept per series: prom-client would otherwise hash the label object on every request.
   */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    seriesOf(this.httpSeries, `${method} ${route} ${status}`, () => this.httpDuration.labels({ method, route, status: String(status) })).observe(
      seconds,
    );
  }

  /** One request answered from rendered bytes (see http/cached-reads.ts). */
  countCachedRead(route: string): void {
    seriesOf(this.cachedReadSeries, route, () => this.cachedReads.labels({ route })).inc();
  }

  /** One GraphQL query executed by the compiled-operation lane (see graphql/compiled-queries.ts). */
  countCompiledRead(route: string): void {
    seriesOf(this.compiledReadSeries, route, () => this.compiledReads.labels({ route })).inc();
  }

  handler(): RequestHandler {
    return async (_req, res, next) => {
      try {
        res.setHeader('Content-Type', this.registry.contentType);
        res.end(await this.registry.metrics());
      } catch (err) {
        next(err);
      }
    };
  }
}

/** The label child of one series, made on first use and kept. */
function seriesOf<T>(children: Map<string, T>, key: string, make: () => T): T {
  let child = children.get(key);
  if (!child) {
    child = make();
    children.set(key, child);
  }
  return child;
}
