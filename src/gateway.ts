import type { Server } from 'node:http';
import type { AuditManager } from './audit/audit.manager.js';
import type { ClusterService } from './clusters/cluster.service.js';
import { wireDomains } from './composition/domains.js';
import { openFoundation } from './composition/foundation.js';
import { startTransports } from './composition/transports.js';
import type { Config } from './config.js';
import { type Database, type DatabaseTarget, migrationsApplied } from './db/client.js';
import type { DiscoveryService } from './discovery/discovery.service.js';
import type { EventBus } from './events/event-bus.js';
import type { LiveHub } from './events/live-hub.js';
import type { HistoryRetention } from './fleet/history-retention.js';
import type { ListResponseCache } from './graphql/list-response-cache.js';
import type { HealthMonitor } from './health/health-monitor.js';
import type { ServingTls } from './http/tls.js';
import type { KubeClientCache } from './kube/client-cache.js';
import { createLogger, type Logger } from './logger.js';
import type { ResolvedSecrets } from './secrets.js';
import type { WebhookWorker, WebhookWorkerOptions } from './webhooks/webhook-worker.js';

export interface GatewayOptions {
  /** Overrides the database chosen by the config (tests pass a shared PGlite or a per-test PostgreSQL database). */
  database?: DatabaseTarget;
  logger?: Logger;
  /** Tests drive sweeps by hand (`gateway.health.sweep()`) instead of on a timer. */
  healthMonitor?: boolean;
  /** Tests prune by hand (`gateway.audit.prune()`) instead of on a timer. */
  auditPruning?: boolean;
  /** Tests shorten webhook retries and polling (milliseconds instead of minutes). */
  webhooks?: Partial<Omit<WebhookWorkerOptions, 'replicaId'>>;
}

/** A running gateway: what `main.ts` serves and what integration tests drive over real HTTP. */
export interface Gateway {
  readonly url: string;
  /** The HTTPS listener (kubectl with issued kubeconfigs), when the gateway serves TLS itself. */
  readonly httpsUrl: string | undefined;
  /** Where issued kubeconfigs point (PUBLIC_URL, else the HTTPS listener on localhost); undefined: issuing is refused. */
  readonly publicUrl: string | undefined;
  readonly tls: ServingTls | undefined;
  readonly server: Server;
  readonly database: Database;
  readonly events: EventBus;
  readonly secrets: ResolvedSecrets;
  readonly clusters: ClusterService;
  readonly health: HealthMonitor;
  readonly discovery: DiscoveryService;
  readonly audit: AuditManager;
  /** Health history pruning (tests call `pruneOnce()` to act as one replica). */
  readonly historyRetention: HistoryRetention;
  readonly webhooks: WebhookWorker;
  readonly hub: LiveHub;
  readonly clients: KubeClientCache;
  /** Rendered GraphQL list answers (its byte total is what a memory test watches). */
  readonly graphqlResponses: ListResponseCache;
  readonly logger: Logger;
  close(): Promise<void>;
}

const DRAIN_MS = 8_000;

/**
 * The composition root: config → foundation (secrets, database, TLS, bus) → domains and their managers
 * (composition/domains.ts) → transports (composition/transports.ts) → background work. It constructs and wires only;
 * every rule lives in a domain (see the managers and each domain's `listenTo`).
 */
export async function startGateway(config: Config, opts: GatewayOptions = {}): Promise<Gateway> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const f = await openFoundation(config, logger, opts.database);
  let draining = false;
  // Issued kubeconfigs point at PUBLIC_URL, else at the HTTPS listener, whose port is known only once it is bound.
  let publicUrl = config.https.publicUrl;
  const domains = wireDomains(config, f, { webhooks: opts.webhooks, endpoint: () => (publicUrl ? { publicUrl, caPem: f.tls?.caPem } : undefined) });
  const ready = async () => {
    if (draining) return false;
    await f.database.ping();
    return migrationsApplied(f.database);
  };
  let transports: Awaited<ReturnType<typeof startTransports>>;
  try {
    transports = await startTransports(config, f, domains, ready);
  } catch (err) {
    await domains.stop().catch(() => {});
    await f.events.close();
    await f.database.close();
    throw err;
  }
  const { server, host, port, httpsPort } = transports;
  const httpsUrl = httpsPort === undefined ? undefined : `https://${host === '127.0.0.1' ? 'localhost' : host}:${httpsPort}`;
  publicUrl ??= httpsPort === undefined ? undefined : `https://localhost:${httpsPort}`;

  await domains.start({ healthMonitor: opts.healthMonitor !== false, auditPruning: opts.auditPruning !== false });

  let closing: Promise<void> | undefined;
  /**
   * Graceful shutdown: report not-ready, stop accepting, close WebSockets (clients reconnect elsewhere), let in-flight
   * HTTP finish (bounded), hand back health leases and fail this replica's discovery tasks, then close the database.
   */
  const close = () =>
    (closing ??= (async () => {
      draining = true;
      await transports.drain(DRAIN_MS);
      await domains.stop();
      await transports.stop();
      await f.events.close();
      await f.database.close();
    })());

  return {
    url: `http://${host}:${port}`,
    httpsUrl,
    publicUrl,
    tls: f.tls,
    server,
    database: f.database,
    events: f.events,
    secrets: f.secrets,
    clusters: domains.registry,
    health: domains.monitor,
    discovery: domains.discovery,
    audit: domains.managers.audit,
    historyRetention: domains.historyRetention,
    webhooks: domains.webhookWorker,
    hub: domains.hub,
    clients: domains.clients,
    graphqlResponses: transports.graphqlResponses,
    logger,
    close,
  };
}
