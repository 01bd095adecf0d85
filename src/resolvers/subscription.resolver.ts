import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import { requireUser, type RequestContext } from '../auth/principal.js';
import { parseClusterId, type ClusterService } from '../clusters/cluster.service.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import { statusFromEvent, type DiscoveryService, type DiscoveryStatusView } from '../discovery/discovery.service.js';
import { NotFoundError } from '../errors.js';
import type { LiveHub } from '../events/live-hub.js';
import { ClusterType } from '../schema/cluster.type.js';
import { DiscoveryStatusType } from '../schema/discovery.type.js';

/** What subscriptions need; TypeGraphQL's `subscribe` hooks are static, so the services travel in the context. */
export interface LiveContext extends RequestContext {
  live: LiveSources;
}

export class LiveSources {
  constructor(
    readonly hub: LiveHub,
    readonly clusters: ClusterService,
    readonly discovery: DiscoveryService,
  ) {}

  async discoveryStatus(clusterId: number): Promise<AsyncIterableIterator<DiscoveryStatusView>> {
    await this.discovery.status(clusterId); // 404 before subscribing to a cluster that does not exist
    return this.hub.subscribe<DiscoveryStatusView>({
      key: `discovery:${clusterId}`,
      matches: (e) => e.type === 'discovery.changed' && e.clusterId === clusterId,
      // Each transition comes from its event's snapshot, so none is skipped even if the task moved on meanwhile.
      load: async (event) => (event?.type === 'discovery.changed' ? [statusFromEvent(event)] : [await this.discovery.status(clusterId)]),
      id: () => String(clusterId),
    });
  }

  async clusterHealth(clusterId?: number): Promise<AsyncIterableIterator<ClusterView>> {
    if (clusterId !== undefined) await this.clusters.get(clusterId);
    return this.hub.subscribe<ClusterView>({
      key: `health:${clusterId ?? '*'}`,
      matches: (e) => e.type === 'cluster.changed' && e.change !== 'deleted' && (clusterId === undefined || e.clusterId === clusterId),
      load: async (event) => {
        if (!event) return clusterId === undefined ? this.clusters.list() : [await this.clusters.get(clusterId)];
        try {
          return [await this.clusters.get((event as { clusterId: number }).clusterId)];
        } catch (err) {
          if (err instanceof NotFoundError) return [];
          throw err;
        }
      },
      id: (c) => String(c.id),
    });
  }
}

@Resolver()
export class SubscriptionResolver {
  @Subscription(() => DiscoveryStatusType, {
    description: 'The current discovery state at once, then every transition (on any replica).',
    subscribe: ({ args, context }) => {
      requireUser(context as LiveContext);
      return (context as LiveContext).live.discoveryStatus(parseClusterId(args.clusterId as string, 'clusterId'));
    },
  })
  discoveryStatus(@Arg('clusterId', () => ID) _clusterId: string, @Root() status: DiscoveryStatusView): DiscoveryStatusView {
    return status;
  }

  @Subscription(() => ClusterType, {
    description: 'A cluster whenever its health or figures change; every cluster when no id is given. Current state first.',
    subscribe: ({ args, context }) => {
      requireUser(context as LiveContext);
      const id = args.clusterId === undefined || args.clusterId === null ? undefined : parseClusterId(args.clusterId as string, 'clusterId');
      return (context as LiveContext).live.clusterHealth(id);
    },
  })
  clusterHealth(@Arg('clusterId', () => ID, { nullable: true }) _clusterId: string | null, @Root() cluster: ClusterView): ClusterView {
    return cluster;
  }
}
