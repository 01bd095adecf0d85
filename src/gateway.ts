import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { JwtVerifier } from './auth/jwt.js';
import { ClusterService } from './clusters/cluster.service.js';
import { KubeconfigCipher } from './clusters/kubeconfig-cipher.js';
import type { Config } from './config.js';
import { type Database, type DatabaseTarget, migrationsApplied, openDatabase } from './db/client.js';
import { type EventBus, PgEventBus } from './events/event-bus.js';
import { startApollo, stringifyResult } from './graphql/apollo.js';
import { ListResponseCache } from './graphql/list-response-cache.js';
import { buildGatewaySchema } from './graphql/schema.js';
import { createRequestListener } from './http/app.js';
import { GatewayMetrics } from './http/metrics.js';
import { createLogger, type Logger } from './logger.js';
import { ClusterResolver } from './resolvers/cluster.resolver.js';
import { ConnectionTestResolver } from './resolvers/connection-test.resolver.js';
import { ConnectionTestService } from './health/connection-test.service.js';
import { HealthMonitor } from './health/health-monitor.js';
import { HealthRepository } from './health/health.repository.js';
import { KubeClientCache } from './kube/client-cache.js';
import { DiscoveryRepository } from './discovery/discovery.repository.js';
import { DiscoveryService } from './discovery/discovery.service.js';
import { LiveHub } from './events/live-hub.js';
import { attachGraphQLWebSocket, type GraphQLWebSocket } from './graphql/ws.js';
import { queryLimitsRule } from './graphql/limits.js';
import { AuthFailureLimiter } from './http/auth-failure-limiter.js';
import { DiscoveryResolver } from './resolvers/discovery.resolver.js';
import { LiveSources, SubscriptionResolver } from './resolvers/subscription.resolver.js';
import { resolveSecrets, type ResolvedSecrets } from './secrets.js';
import { checkStoredKubeconfigsDecrypt } from './startup-checks.js';

export interface GatewayOptions {
  /** Overrides the database chosen by the config (tests pass a shared PGlite or a per-test PostgreSQL database). */
  database?: DatabaseTarget;
  logger?: Logger;
  /** Tests drive sweeps by hand (`gateway.health.sweep()`) instead of on a timer. */
  healthMonitor?: boolean;
}

/** A running gateway: what `main.ts` serves and what integration tests drive over real HTTP. */
export interface Gateway {
  readonly url: string;
  readonly server: Server;
  readonly database: Database;
  readonly events: EventBus;
  readonly secrets: ResolvedSecrets;
  readonly clusters: ClusterService;
  readonly health: HealthMonitor;
  readonly discovery: DiscoveryService;
  readonly hub: LiveHub;
  readonly clients: KubeClientCache;
  /** Rendered GraphQL list answers (its byte total is what a memory test watches). */
  readonly graphqlResponses: ListResponseCache;
  readonly logger: Logger;
  close(): Promise<void>;
}

const DRAIN_MS = 8_000;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** The composition root: config → database → services → schema → HTTP server. */
export async function startGateway(config: Config, opts: GatewayOptions = {}): Promise<Gateway> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const secrets = resolveSecrets(config);
  const database = await openDatabase(opts.database ?? config.database);
  const cipher = new KubeconfigCipher(secrets.encryptionKey, secrets.previousEncryptionKeys);
  // Before serving: a key that cannot decrypt what is stored is a configuration error, not a stream of 500s later.
  try {
    const { missingKeyIds } = await checkStoredKubeconfigsDecrypt(database.db, cipher);
    if (missingKeyIds.length) {
      logger.warn({ missingKeyIds }, 'some stored kubeconfigs were encrypted with keys that are not configured (ENCRYPTION_PREVIOUS_KEYS); those clusters cannot be used');
    }
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
  const events = await PgEventBus.start(database);
  const verifier = new JwtVerifier({ keys: secrets.jwt, issuer: config.jwt.issuer, audience: config.jwt.audience });

  let draining = false;
  const replicaId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const clientOptions = { connectTimeoutMs: config.kube.connectTimeoutMs, requestTimeoutMs: config.kube.requestTimeoutMs };
  const clients = new KubeClientCache(cipher, clientOptions);
  let metrics: GatewayMetrics | undefined;
  const monitor = new HealthMonitor(
    new HealthRepository(database.db, events),
    clients,
    logger,
    {
      intervalSeconds: config.health.intervalSeconds,
      flipThreshold: config.health.flipThreshold,
      concurrency: config.health.concurrency,
      replicaId,
      probeTimeoutMs: config.kube.connectTimeoutMs + config.kube.requestTimeoutMs * 2,
    },
    {
      onProbe: (o) => metrics?.probeDuration.observe({ status: o.observation.status }, o.durationMs / 1000),
      onRecorded: () => clusters.invalidateList(),
    },
  );
  const connectionTests = new ConnectionTestService(monitor, clientOptions);
  const discoveryTasks = new DiscoveryRepository(database.db, events);
  const discovery = new DiscoveryService(discoveryTasks, clients, logger, {
    replicaId,
    timeoutSeconds: config.discovery.timeoutSeconds,
    onFinished: (state) => {
      metrics?.discoveryTasks.inc({ outcome: state });
      if (state === 'found') clusters.invalidateList();
    },
  });
  const auto = config.discovery.autoDiscovery;
  const clusters = new ClusterService(database.db, cipher, events, {
    verifyConnection: (spec) => connectionTests.verifyBeforeSave(spec),
    created: async (c) => {
      if (auto && c.enabled) await discovery.startQuietly(c.id);
    },
    prometheusSetManually: (id) => discovery.cancel(id, 'cancelled: the Prometheus URL was set by hand'),
    prometheusSetAutomatic: async (id) => {
      if (auto) await discovery.startQuietly(id);
    },
    credentialsChanged: (id) => clients.drop(id),
    removed: (id) => discovery.cancel(id, 'cancelled: the cluster was deleted'),
  });
  // Another replica's kubeconfig change or delete frees this replica's client too; a discovery task failed or cancelled
  // anywhere (a reaper at its lease, a cancel on another replica) stops its work here.
  const stopDroppingClients = events.subscribe((e) => {
    if (e.type === 'cluster.changed' && (e.change === 'deleted' || e.change === 'updated')) clients.drop(e.clusterId);
    if (e.type === 'discovery.changed' && e.task.state !== 'pending' && e.task.state !== 'running') discovery.taskEnded(e.clusterId, e.taskId);
  });

  const clusterResolver = new ClusterResolver(clusters);
  const connectionTestResolver = new ConnectionTestResolver(connectionTests);
  const discoveryResolver = new DiscoveryResolver(discovery, discoveryTasks);
  const schema = await buildGatewaySchema([clusterResolver, connectionTestResolver, discoveryResolver, new SubscriptionResolver()]);
  const hub = new LiveHub(events);
  let ws: GraphQLWebSocket | undefined;
  metrics = new GatewayMetrics({
    clustersByHealth: () => clusters.countByHealth(),
    subscribers: () => hub.subscriberCount(),
    webSocketConnections: () => ws?.connectionCount() ?? 0,
    cachedClients: () => clients.size(),
  });
  const graphqlResponses = new ListResponseCache(() => clusters.list(), stringifyResult);
  const apollo = await startApollo(schema, logger, [graphqlResponses.plugin()]);
  // One brake for HTTP 401s and WebSocket authentication failures.
  const authFailures = new AuthFailureLimiter(config.authFailureLimitPerMinute);

  const handler = createRequestListener({
    logger,
    verifier,
    apollo,
    graphqlResponses,
    metrics,
    authFailures,
    rest: { clusterResolver, connectionTestResolver, discoveryResolver, autoDiscovery: auto },
    ready: async () => {
      if (draining) return false;
      await database.ping();
      return migrationsApplied(database);
    },
  });
  const server = createServer(handler);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  ws = attachGraphQLWebSocket(server, schema, { verifier, live: new LiveSources(hub, clusters, discovery), logger, validationRules: [queryLimitsRule()], limiter: authFailures });
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;

  if (opts.healthMonitor !== false) monitor.start();
  discovery.startReaper();

  let closing: Promise<void> | undefined;
  /**
   * Graceful shutdown: report not-ready, stop accepting, close WebSockets (clients reconnect elsewhere), let in-flight
   * HTTP finish (bounded), hand back health leases and fail this replica's discovery tasks, then close the database.
   */
  const close = () =>
    (closing ??= (async () => {
      draining = true;
      const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await ws?.close();
      hub.close();
      await Promise.race([httpClosed, delay(DRAIN_MS)]);
      server.closeAllConnections();
      await Promise.all([monitor.stop(), discovery.stop()]);
      stopDroppingClients();
      clients.closeAll();
      clusters.close();
      await apollo.stop();
      await events.close();
      await database.close();
    })());

  return { url: `http://${host}:${port}`, server, database, events, secrets, clusters, health: monitor, discovery, hub, clients, graphqlResponses, logger, close };
}
