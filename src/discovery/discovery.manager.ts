import { requireUser, type Caller } from '../auth/principal.js';
import { parseClusterId } from '../clusters/cluster.validation.js';
import type { LiveHub } from '../events/live-hub.js';
import { statusFromEvent, type DiscoveryService, type DiscoveryStatusView } from './discovery.service.js';

/** Prometheus discovery's application API for every transport: caller first, then authorization and id parsing. */
export class DiscoveryManager {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly hub: LiveHub,
  ) {}

  /** C7 / rediscoverPrometheus: CONFLICT while a task is active or when the URL was set by hand. */
  async rediscover(caller: Caller, rawId: string | number): Promise<DiscoveryStatusView> {
    requireUser(caller);
    return this.discovery.start(parseClusterId(rawId));
  }

  /** `Cluster.discovery`: the latest task of a cluster the caller was already allowed to read. */
  async latest(caller: Caller, clusterId: number): Promise<DiscoveryStatusView | null> {
    requireUser(caller);
    return this.discovery.latest(clusterId);
  }

  /**
   * discoveryStatus subscription: the current state at once, then every transition, on any replica. Each transition
   * is rendered from its event's snapshot, so none is skipped even if the task moved on before it was read.
   */
  async watchStatus(caller: Caller, rawClusterId: string | number): Promise<AsyncIterableIterator<DiscoveryStatusView>> {
    requireUser(caller);
    const clusterId = parseClusterId(rawClusterId, 'clusterId');
    await this.discovery.status(clusterId); // 404 before subscribing to a cluster that does not exist
    return this.hub.subscribe<DiscoveryStatusView>({
      key: `discovery:${clusterId}`,
      matches: (e) => e.type === 'discovery.changed' && e.clusterId === clusterId,
      load: async (event) => (event?.type === 'discovery.changed' ? [statusFromEvent(event)] : [await this.discovery.status(clusterId)]),
      id: () => String(clusterId),
    });
  }
}
