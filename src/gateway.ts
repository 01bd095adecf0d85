import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { AccessManager } from './access/access.manager.js';
import { GrantsRepository } from './access/grants.repository.js';
import { ReadOnlyGuard } from './access/read-only.js';
import { AuditManager } from './audit/audit.manager.js';
import { AuditRepository } from './audit/audit.repository.js';
import { AuditedWrites } from './audit/audited-writes.js';
import { JwtVerifier } from './auth/jwt.js';
import { ClusterMetricsManager } from './cluster-metrics/cluster-metrics.manager.js';
import { ClusterMetricsRepository } from './cluster-metrics/cluster-metrics.repository.js';
import { ClusterManager } from './clusters/cluster.manager.js';
import { ClusterRepository } from './clusters/cluster.repository.js';
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
import { AccessResolver } from './resolvers/access.resolver.js';
import { ClusterResolver } from './resolvers/cluster.resolver.js';
import { ClusterMetricsResolver } from './resolvers/cluster-metrics.resolver.js';
import { ConnectionTestResolver } from './resolvers/connection-test.resolver.js';
import { ConnectionTestManager } from './health/connection-test.manager.js';
import { ConnectionTestService } from './health/connection-test.service.js';
import { HealthMonitor } from './health/health-monitor.js';
import { HealthRepository } from './health/health.repository.js';
import { KubeClientCache } from './kube/client-cache.js';
import { DiscoveryRepository } from './discovery/discovery.repository.js';
import { DiscoveryManager } from './discovery/discovery.manager.js';
import { DiscoveryService } from './discovery/discovery.service.js';
import { DomainEvents } from './events/domain-events.js';
import { LiveHub } from './events/live-hub.js';
import { attachGraphQLWebSocket } from './graphql/ws.js';
import { queryLimitsRule } from './graphql/limits.js';
import { AuthFailureLimiter } from './http/auth-failure-limiter.js';
import { AuditResolver } from './resolvers/audit.resolver.js';
import { DiscoveryResolver } from './resolvers/discovery.resolver.js';
import { SubscriptionResolver } from './resolvers/subscription.resolver.js';
import { resolveSecrets, type ResolvedSecrets } from './secrets.js';
import { checkStoredKubeconfigsDecrypt } from './startup-checks.js';
import { ClusterImportManager } from './fleet/cluster-import.manager.js';
import { ClusterImportService } from './fleet/cluster-import.service.js';
import { HealthHistoryManager } from './fleet/health-history.manager.js';
import { HealthHistoryRepository } from './fleet/health-history.repository.js';
import { HistoryRetention } from './fleet/history-retention.js';
import { PeriodicClaims } from './db/periodic-claims.js';
import { importAtStartup, readImportFile } from './fleet/startup-import.js';
import { ClusterImportResolver } from './resolvers/cluster-import.resolver.js';
import { HealthHistoryResolver } from './resolvers/health-history.resolver.js';
import { WebhookResolver } from './resolvers/webhook.resolver.js';
import { WebhookManager } from './webhooks/webhook.manager.js';
import { WebhookOutbox } from './webhooks/webhook-outbox.js';
import { WebhookRepository } from './webhooks/webhook.repository.js';
import { DEFAULT_WEBHOOK_WORKER_OPTIONS, WebhookWorker, type WebhookWorkerOptions } from './webhooks/webhook-worker.js';
import { IssuedTokenSigner } from './access/issued-token.js';
import { TokenManager } from './access/token.manager.js';
import { TokensRepository } from './access/tokens.repository.js';
import { resolveServingTls, type ServingTls } from './http/tls.js';
import { upgradeDispatcher } from './http/upgrades.js';
import { RequestRecorder } from './http/request-recorder.js';
import { KubeProxy } from './proxy/kube-proxy.js';
import type { ClusterAccess, ProxyAuditSink, WriteGuard } from './proxy/ports.js';
import { ProxyTokenAuthenticator } from './proxy/proxy-auth.js';
import { CachedProxyTargets } from './proxy/proxy-targets.js';
import { ProxyTargetsRepository } from './proxy/proxy-targets.repository.js';
import { AccessTokenResolver } from './resolvers/access-token.resolver.js';

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
/** Audit pruning is due once an hour across all replicas (one claims it; see AuditManager.prune). */
const AUDIT_PRUNE_INTERVAL_SECONDS = 3_600;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * The composition root: config → database → domains → managers → transports → HTTP server. It constructs and wires
 * only; every rule lives in a domain (see the managers and each domain's `listenTo`).
 */
export async function startGateway(config: Config, opts: GatewayOptions = {}): Promise<Gateway> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  // Before anything opens: an unreadable IMPORT_KUBECONFIG is a start-up error naming the variable.
  const importFile = config.importKubeconfig === undefined ? undefined : { path: config.importKubeconfig, text: readImportFile(config.importKubeconfig) };
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
  // Before the event bus: a TLS problem (unreadable TLS_CERT_FILE) is a configuration error reported at once.
  let tls: ServingTls | undefined;
  try {
    tls = await resolveServingTls({
      certFile: config.https.certFile,
      keyFile: config.https.keyFile,
      generateInto: config.database.kind === 'embedded' ? join(config.dataDir, 'tls') : undefined,
      hostNames: ['localhost', '127.0.0.1', hostname(), ...(config.https.publicUrl ? [new URL(config.https.publicUrl).hostname.replace(/^\[(.*)\]$/, '$1')] : [])],
    });
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
  const events = await PgEventBus.start(database);
  const verifier = new JwtVerifier({ keys: secrets.jwt, issuer: config.jwt.issuer, audience: config.jwt.audience, claims: config.jwtClaims, onJwksError: (err) => logger.warn({ err: err.message }, 'JWT_JWKS_URL: fetching the signing keys failed') });

  let draining = false;
  const replicaId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const clientOptions = { connectTimeoutMs: config.kube.connectTimeoutMs, requestTimeoutMs: config.kube.requestTimeoutMs };
  const domainEvents = new DomainEvents(logger);
  const clients = new KubeClientCache(cipher, clientOptions);
  const stopDroppingClients = clients.listenTo(domainEvents, events);
  // Webhook occurrences are recorded by the repositories below inside their own write transactions.
  const outbox = new WebhookOutbox(database.db);

  // Domains. Each subscribes itself to the domain events it reacts to (`listenTo`); nothing here decides anything.
  const monitor = new HealthMonitor(
    new HealthRepository(database.db, events, outbox),
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
      onProbe: (o) => void domainEvents.emit('health.probed', { clusterId: o.clusterId, status: o.observation.status, durationMs: o.durationMs }),
      onRecorded: (clusterId) => void domainEvents.emit('health.recorded', { clusterId }),
      onTransition: (transition) => void domainEvents.emit('health.changed', transition),
    },
  );
  const connectionTests = new ConnectionTestService(monitor, clientOptions);
  const clusters = new ClusterService(new ClusterRepository(database.db, events, outbox), cipher, domainEvents, connectionTests, events);
  clusters.listenTo(domainEvents);
  const discoveryTasks = new DiscoveryRepository(database.db, events, outbox);
  const discovery = new DiscoveryService(discoveryTasks, clients, logger, {
    replicaId,
    autoDiscovery: config.discovery.autoDiscovery,
    timeoutSeconds: config.discovery.timeoutSeconds,
    onFinished: (state) => void domainEvents.emit('discovery.finished', { state }),
  });
  const stopDiscoveryListening = discovery.listenTo(domainEvents, events);
  const healthHistory = new HealthHistoryRepository(database.db);
  const periodicClaims = new PeriodicClaims(database.db);
  const historyRetention = new HistoryRetention(healthHistory, periodicClaims, logger, { retentionDays: config.healthHistory.retentionDays, intervalSeconds: 3_600, replicaId });
  const importer = new ClusterImportService(clusters, connectionTests, logger, { concurrency: 32 });
  const webhookRepo = new WebhookRepository(database.db, cipher);
  const webhookWorker = new WebhookWorker(outbox, webhookRepo, cipher, logger, { ...DEFAULT_WEBHOOK_WORKER_OPTIONS, ...opts.webhooks, replicaId });

  const audit = new AuditManager(new AuditRepository(database.db), periodicClaims, logger, {
    retentionDays: config.audit.retentionDays,
    replicaId,
    pruneIntervalSeconds: AUDIT_PRUNE_INTERVAL_SECONDS,
  });
  const stopAuditListening = audit.listenTo(domainEvents);

  // Application layer: what every transport calls. Every user write passes the read-only guard and is audited.
  const hub = new LiveHub(events);
  const clusterNames = (id: number) => clusters.get(id).then((c) => c.name, () => null);
  const writes = new AuditedWrites(new ReadOnlyGuard(config.readOnly), domainEvents, clusterNames);
  const access = new AccessManager(new GrantsRepository(database.db), config.defaultClusterRole, domainEvents);
  const clusterManager = new ClusterManager(clusters, access, hub, writes);
  const managers = {
    access,
    audit,
    clusters: clusterManager,
    connectionTests: new ConnectionTestManager(connectionTests, access, writes),
    discovery: new DiscoveryManager(discovery, discoveryTasks, hub, access, writes),
    clusterMetrics: new ClusterMetricsManager({
      clusters: clusterManager,
      repository: new ClusterMetricsRepository(database.db),
      clients,
      discoveryStatus: (clusterId) => discovery.status(clusterId),
    }),
  };
  const fleetManagers = {
    history: new HealthHistoryManager(healthHistory, managers.clusters),
    imports: new ClusterImportManager(importer, domainEvents),
    webhooks: new WebhookManager(webhookRepo, webhookWorker, domainEvents),
  };

  // The proxy's seams: roles from the access domain, read-only from the same guard every write passes, and proxied
  // non-read requests reported as domain events that the audit log records.
  const clusterAccess: ClusterAccess = access;
  const writeGuard: WriteGuard = writes.readOnly;
  const proxyAudit: ProxyAuditSink = { proxied: (entry) => void domainEvents.emit('proxy.forwarded', { entry }) };

  let publicUrl = config.https.publicUrl;
  const tokens = new TokenManager({
    repo: new TokensRepository(database.db, events),
    signer: new IssuedTokenSigner(secrets.encryptionKey),
    access: clusterAccess,
    clusters: { get: (id) => clusters.get(id) },
    events: domainEvents,
    bus: events,
    endpoint: () => (publicUrl ? { publicUrl, caPem: tls?.caPem } : undefined),
  });
  const proxyTargets = new CachedProxyTargets(new ProxyTargetsRepository(database.db), clients, domainEvents, events);

  // Transports: GraphQL (HTTP and WebSocket), REST, the cached-read lane, metrics.
  const schema = await buildGatewaySchema([
    new AccessTokenResolver(tokens),
    new ClusterResolver(managers.clusters),
    new ConnectionTestResolver(managers.connectionTests),
    new DiscoveryResolver(managers.discovery),
    new ClusterMetricsResolver(managers.clusterMetrics),
    new AuditResolver(managers.audit),
    new SubscriptionResolver(),
    new AccessResolver(managers.access),
    new HealthHistoryResolver(fleetManagers.history),
    new ClusterImportResolver(fleetManagers.imports),
    new WebhookResolver(fleetManagers.webhooks),
  ]);
  const graphqlResponses = new ListResponseCache(() => clusters.list(), stringifyResult, (caller) => access.seesEveryCluster(caller));
  const apollo = await startApollo(schema, logger, [graphqlResponses.plugin()]);
  // One brake for HTTP 401s and WebSocket authentication failures.
  const authFailures = new AuthFailureLimiter(config.authFailureLimitPerMinute, undefined, config.trustProxy);
  const server = createServer();
  const httpsServer = tls ? createHttpsServer({ key: tls.keyPem, cert: tls.certPem }) : undefined;
  for (const s of [server, httpsServer]) {
    if (!s) continue;
    s.keepAliveTimeout = 65_000;
    s.headersTimeout = 66_000;
  }
  const listen = (s: Server | HttpsServer, port: number) =>
    new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, config.host, () => resolve());
    });
  await listen(server, config.port);
  if (httpsServer) {
    try {
      await listen(httpsServer, config.https.port);
    } catch (err) {
      server.close();
      await events.close();
      await database.close();
      throw err;
    }
  }
  // From here to the request handler nothing awaits, so no request can arrive before the handler is in place; the
  // WebSocket server is attached only once listening succeeded (a failed listen then rejects cleanly).
  const ws = attachGraphQLWebSocket(schema, { verifier, live: { clusters: managers.clusters, discovery: managers.discovery }, logger, validationRules: [queryLimitsRule()], limiter: authFailures });
  const metrics = new GatewayMetrics({
    clustersByHealth: () => clusters.countByHealth(),
    subscribers: () => hub.subscriberCount(),
    webSocketConnections: () => ws.connectionCount(),
    cachedClients: () => clients.size(),
  });
  metrics.listenTo(domainEvents);
  const proxy = new KubeProxy({
    targets: proxyTargets,
    auth: new ProxyTokenAuthenticator(verifier, tokens),
    access: clusterAccess,
    writes: writeGuard,
    audit: proxyAudit,
    limiter: authFailures,
    recorder: new RequestRecorder(logger, metrics, (req) => authFailures.clientOf(req)),
    logger,
    firstByteTimeoutMs: config.kube.connectTimeoutMs + config.kube.requestTimeoutMs,
  });
  const onUpgrade = upgradeDispatcher({ graphql: ws, proxy });
  const onRequest = createRequestListener({
      logger,
      verifier,
      apollo,
      graphqlResponses,
      metrics,
      authFailures,
      managers: { ...managers, ...fleetManagers },
      tokens,
      proxy,
      ready: async () => {
        if (draining) return false;
        await database.ping();
        return migrationsApplied(database);
      },
    });
  for (const s of [server, httpsServer]) {
    s?.on('request', onRequest);
    s?.on('upgrade', onUpgrade);
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const httpsPort = httpsServer ? (httpsServer.address() as AddressInfo).port : undefined;
  const httpsUrl = httpsPort === undefined ? undefined : `https://${host === '127.0.0.1' ? 'localhost' : host}:${httpsPort}`;
  publicUrl ??= httpsPort === undefined ? undefined : `https://localhost:${httpsPort}`;

  if (opts.healthMonitor !== false) monitor.start();
  discovery.startReaper();
  if (opts.auditPruning !== false) audit.startPruning();
  historyRetention.start();
  if (importFile) await importAtStartup({ importer, registry: clusters, claims: periodicClaims, logger, replicaId }, importFile.path, importFile.text);
  webhookWorker.start();

  let closing: Promise<void> | undefined;
  /**
   * Graceful shutdown: report not-ready, stop accepting, close WebSockets (clients reconnect elsewhere), let in-flight
   * HTTP finish (bounded), hand back health leases and fail this replica's discovery tasks, then close the database.
   */
  const close = () =>
    (closing ??= (async () => {
      draining = true;
      const httpClosed = Promise.all(
        [server, httpsServer].map((s) => s && new Promise<void>((resolve) => s.close(() => resolve()))),
      );
      server.closeIdleConnections();
      httpsServer?.closeIdleConnections();
      await ws.close();
      hub.close();
      await Promise.race([httpClosed, delay(DRAIN_MS)]);
      server.closeAllConnections();
      httpsServer?.closeAllConnections();
      tokens.close();
      proxyTargets.close();
      await Promise.all([monitor.stop(), discovery.stop(), audit.stop(), historyRetention.stop(), webhookWorker.stop()]);
      stopDroppingClients();
      stopDiscoveryListening();
      stopAuditListening();
      clients.closeAll();
      clusters.close();
      await apollo.stop();
      await events.close();
      await database.close();
    })());

  return { url: `http://${host}:${port}`, httpsUrl, publicUrl, tls, server, database, events, secrets, clusters, health: monitor, discovery, audit, historyRetention, webhooks: webhookWorker, hub, clients, graphqlResponses, logger, close };
}
