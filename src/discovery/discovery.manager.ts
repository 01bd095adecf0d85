import type { AccessManager } from '../access/access.manager.js';
import { onlyAdmitted } from '../access/admitted-feed.js';
import type { AuditedCaller, AuditedWrites } from '../audit/audited-writes.js';
import { requireUser, type Caller } from '../auth/principal.js';
import { parseClusterId } from '../clusters/cluster.validation.js';
import type { DiscoveryTaskRow } from '../db/schema.js';
import type { LiveHub } from '../events/live-hub.js';
import { BatchLoader, PerContext } from '../util/batch-loader.js';
import type { DiscoveryRepository } from './discovery.repository.js';
import { statusFromEvent, toView, type DiscoveryService, type DiscoveryStatusView } from './discovery.service.js';

/** Prometheus discovery's application API for every transport: caller first, then authorization and id parsing. */
export class DiscoveryManager {
  /** The latest task of every cluster one request asks about is one query, however many items and aliases (BatchLoader). */
  private readonly latestTasks: PerContext<BatchLoader<number, DiscoveryTaskRow>>;

  constructor(
    private readonly discovery: DiscoveryService,
    tasks: Pick<DiscoveryRepository, 'latestForClusters'>,
    private readonly hub: LiveHub,
    private readonly access: AccessManager,
    private readonly writes: AuditedWrites,
  ) {
    this.latestTasks = new PerContext(() => new BatchLoader((ids) => tasks.latestForClusters(ids)));
  }

  /**
   * C7 / rediscoverPrometheus: CONFLICT while a task is active or when the URL was set by hand. Audited
   * (`prometheus.rediscover`) and refused in read-only mode: it starts a task that may store a new Prometheus URL.
   */
  async rediscover(caller: AuditedCaller, rawId: string | number): Promise<DiscoveryStatusView> {
    return this.writes.run(caller, { action: 'prometheus.rediscover', clusterId: rawId, successStatus: 202 }, async () => {
      requireUser(caller);
      const clusterId = parseClusterId(rawId);
      await this.access.requireRole(caller, clusterId, 'viewer');
      return this.discovery.start(clusterId);
    });
  }

  /** `Cluster.discovery`: the latest task of a cluster the caller was already allowed to read. */
  async latest(caller: Caller, clusterId: number): Promise<DiscoveryStatusView | null> {
    requireUser(caller);
    const task = await this.latestTasks.of(caller).load(clusterId);
    return task ? toView(task) : null;
  }

  /**
   * discoveryStatus subscription: the current state at once, then every transition, on any replica. Each transition
   * is rendered from its event's snapshot, so none is skipped even if the task moved on before it was read.
   */
  async watchStatus(caller: Caller, rawClusterId: string | number): Promise<AsyncIterableIterator<DiscoveryStatusView>> {
    requireUser(caller);
    const clusterId = parseClusterId(rawClusterId, 'clusterId');
    // 404 before subscribing to a cluster that does not exist, or that does not exist for this caller.
    await this.access.requireRole(caller, clusterId, 'viewer');
    await this.discovery.status(clusterId);
    const feed = await this.hub.subscribe<DiscoveryStatusView>({
      key: `discovery:${clusterId}`,
      matches: (e) => e.type === 'discovery.changed' && e.clusterId === clusterId,
      load: async (event) => (event?.type === 'discovery.changed' ? [statusFromEvent(event)] : [await this.discovery.status(clusterId)]),
      id: () => String(clusterId),
    });
    // Checked per push: a grant revoked meanwhile stops the next transition (ClusterManager.watchHealth does the same).
    return this.access.seesEveryCluster(caller) ? feed : onlyAdmitted(feed, async () => (await this.access.roleOn(caller, clusterId)) !== null);
  }
}
