import { AccessManager } from '../access/access.manager.js';
import { GrantsRepository } from '../access/grants.repository.js';
import { IssuedTokenSigner } from '../access/issued-token.js';
import { ReadOnlyGuard } from '../access/read-only.js';
import { type PublicEndpoint, TokenManager } from '../access/token.manager.js';
import { TokensRepository } from '../access/tokens.repository.js';
import { AuditManager } from '../audit/audit.manager.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { AuditedWrites } from '../audit/audited-writes.js';
import { ClusterMetricsManager } from '../cluster-metrics/cluster-metrics.manager.js';
import { ClusterMetricsRepository } from '../cluster-metrics/cluster-metrics.repository.js';
import { ClusterManager } from '../clusters/cluster.manager.js';
import { ClusterRepository } from '../clusters/cluster.repository.js';
import { ClusterService } from '../clusters/cluster.service.js';
import type { Config } from '../config.js';
import { PeriodicClaims } from '../db/periodic-claims.js';
import { DiscoveryManager } from '../discovery/discovery.manager.js';
import { DiscoveryRepository } from '../discovery/discovery.repository.js';
import { DiscoveryService } from '../discovery/discovery.service.js';
import { DomainEvents } from '../events/domain-events.js';
import { LiveHub } from '../events/live-hub.js';
import { ClusterImportManager } from '../fleet/cluster-import.manager.js';
import { ClusterImportService } from '../fleet/cluster-import.service.js';
import { HealthHistoryManager } from '../fleet/health-history.manager.js';
import { HealthHistoryRepository } from '../fleet/health-history.repository.js';
import { HistoryRetention } from '../fleet/history-retention.js';
import { importAtStartup } from '../fleet/startup-import.js';
import { ConnectionTestManager } from '../health/connection-test.manager.js';
import { ConnectionTestService } from '../health/connection-test.service.js';
import { HealthMonitor } from '../health/health-monitor.js';
import { HealthRepository } from '../health/health.repository.js';
import { KubeClientCache } from '../kube/client-cache.js';
import { CachedProxyTargets } from '../proxy/proxy-targets.js';
import { ProxyTargetsRepository } from '../proxy/proxy-targets.repository.js';
import { WebhookManager } from '../webhooks/webhook.manager.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';
import { WebhookRepository } from '../webhooks/webhook.repository.js';
import { DEFAULT_WEBHOOK_WORKER_OPTIONS, WebhookWorker, type WebhookWorkerOptions } from '../webhooks/webhook-worker.js';
import type { Foundation } from './foundation.js';

/** Audit pruning is due once an hour across all replicas (one claims it; see AuditManager.prune). */
const AUDIT_PRUNE_INTERVAL_SECONDS = 3_600;
const HISTORY_PRUNE_INTERVAL_SECONDS = 3_600;

export interface DomainOptions {
  webhooks?: Partial<Omit<WebhookWorkerOptions, 'replicaId'>>;
  /** Where issued kubeconfigs point; known only once the HTTPS listener is bound. */
  endpoint(): PublicEndpoint | undefined;
}

/** What every transport calls (the application layer), one manager per domain. */
export interface Managers {
  access: AccessManager;
  audit: AuditManager;
  clusters: ClusterManager;
  connectionTests: ConnectionTestManager;
  discovery: DiscoveryManager;
  clusterMetrics: ClusterMetricsManager;
  history: HealthHistoryManager;
  imports: ClusterImportManager;
  webhooks: WebhookManager;
  tokens: TokenManager;
}

/** The running domains: their managers, the background workers, and what the transports and tests reach directly. */
export interface Domains {
  managers: Managers;
  domainEvents: DomainEvents;
  /** The read-only switch every write passes (the proxy asks it for non-read verbs). */
  readOnly: ReadOnlyGuard;
  clients: KubeClientCache;
  hub: LiveHub;
  registry: ClusterService;
  monitor: HealthMonitor;
  discovery: DiscoveryService;
  historyRetention: HistoryRetention;
  webhookWorker: WebhookWorker;
  proxyTargets: CachedProxyTargets;
  /** Starts the background work: health sweeps, reapers, pruning, the start-up import, webhook delivery. */
  start(opts: { healthMonitor: boolean; auditPruning: boolean }): Promise<void>;
  /** Stops it and lets go of every subscription (the hub, the database and the bus are closed by their owner). */
  stop(): Promise<void>;
}

/**
 * Constructs the domains and their managers and lets each subscribe itself to the domain events it reacts to
 * (`listenTo`); nothing here decides anything. Every user write passes one AuditedWrites (read-only refusal + one
 * audit event per attempt), which every manager that writes receives.
 */
export function wireDomains(config: Config, f: Foundation, opts: DomainOptions): Domains {
  const { database, events, logger, replicaId, cipher } = f;
  const clientOptions = { connectTimeoutMs: config.kube.connectTimeoutMs, requestTimeoutMs: config.kube.requestTimeoutMs };
  const domainEvents = new DomainEvents(logger);
  const clients = new KubeClientCache(cipher, clientOptions);
  const stopDroppingClients = clients.listenTo(domainEvents, events);
  // Webhook occurrences are recorded by the repositories below inside their own write transactions.
  const outbox = new WebhookOutbox(database.db);

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
  const registry = new ClusterService(new ClusterRepository(database.db, events, outbox), cipher, domainEvents, connectionTests, events);
  registry.listenTo(domainEvents);
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
  const historyRetention = new HistoryRetention(healthHistory, periodicClaims, logger, {
    retentionDays: config.healthHistory.retentionDays,
    intervalSeconds: HISTORY_PRUNE_INTERVAL_SECONDS,
    replicaId,
  });
  const importer = new ClusterImportService(registry, connectionTests, logger, { concurrency: 32 });
  const webhookRepo = new WebhookRepository(database.db, cipher);
  const webhookWorker = new WebhookWorker(outbox, webhookRepo, cipher, logger, { ...DEFAULT_WEBHOOK_WORKER_OPTIONS, ...opts.webhooks, replicaId });
  const audit = new AuditManager(new AuditRepository(database.db), periodicClaims, logger, {
    retentionDays: config.audit.retentionDays,
    replicaId,
    pruneIntervalSeconds: AUDIT_PRUNE_INTERVAL_SECONDS,
  });
  const stopAuditListening = audit.listenTo(domainEvents);

  // The application layer. Every user write, on every manager, passes the read-only guard and is audited here.
  const hub = new LiveHub(events);
  const readOnly = new ReadOnlyGuard(config.readOnly);
  const writes = new AuditedWrites(
    readOnly,
    domainEvents,
    (id) =>
      registry.get(id).then(
        (c) => c.name,
        () => null,
      ),
    audit,
  );
  const access = new AccessManager(new GrantsRepository(database.db), config.defaultClusterRole, writes);
  const clusters = new ClusterManager(registry, access, hub, writes);
  const managers: Managers = {
    access,
    audit,
    clusters,
    connectionTests: new ConnectionTestManager(connectionTests, access, writes),
    discovery: new DiscoveryManager(discovery, discoveryTasks, hub, access, writes),
    clusterMetrics: new ClusterMetricsManager({
      clusters,
      repository: new ClusterMetricsRepository(database.db),
      clients,
      discoveryStatus: (clusterId) => discovery.status(clusterId),
    }),
    history: new HealthHistoryManager(healthHistory, clusters),
    imports: new ClusterImportManager(importer, writes),
    webhooks: new WebhookManager(webhookRepo, webhookWorker, writes),
    tokens: new TokenManager({
      repo: new TokensRepository(database.db, events),
      signer: new IssuedTokenSigner(f.secrets.encryptionKey),
      access,
      clusters: { get: (id) => registry.get(id) },
      writes,
      bus: events,
      endpoint: opts.endpoint,
    }),
  };
  const proxyTargets = new CachedProxyTargets(new ProxyTargetsRepository(database.db), clients, domainEvents, events);

  return {
    managers,
    domainEvents,
    readOnly,
    clients,
    hub,
    registry,
    monitor,
    discovery,
    historyRetention,
    webhookWorker,
    proxyTargets,
    async start({ healthMonitor, auditPruning }) {
      if (healthMonitor) monitor.start();
      discovery.startReaper();
      if (auditPruning) audit.startPruning();
      historyRetention.start();
      if (f.importFile)
        await importAtStartup({ importer, registry, claims: periodicClaims, logger, replicaId }, f.importFile.path, f.importFile.text);
      webhookWorker.start();
    },
    async stop() {
      managers.tokens.close();
      proxyTargets.close();
      await Promise.all([monitor.stop(), discovery.stop(), audit.stop(), historyRetention.stop(), webhookWorker.stop()]);
      stopDroppingClients();
      stopDiscoveryListening();
      stopAuditListening();
      clients.closeAll();
      registry.close();
    },
  };
}
