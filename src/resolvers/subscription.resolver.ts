import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { RequestContext } from '../auth/principal.js';
import type { ClusterManager } from '../clusters/cluster.manager.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import type { DiscoveryManager } from '../discovery/discovery.manager.js';
import type { DiscoveryStatusView } from '../discovery/discovery.service.js';
import { ClusterType } from '../schema/cluster.type.js';
import { DiscoveryStatusType } from '../schema/discovery.type.js';

/** The managers subscriptions call; TypeGraphQL's `subscribe` hooks are static, so they travel in the context. */
export interface LiveSources {
  clusters: ClusterManager;
  discovery: DiscoveryManager;
}

/** The WebSocket operation's context (graphql/ws.ts builds it per subscription). */
export interface LiveContext extends RequestContext {
  live: LiveSources;
}

@Resolver()
export class SubscriptionResolver {
  @Subscription(() => DiscoveryStatusType, {
    description: 'The current discovery state at once, then every transition (on any replica).',
    subscribe: ({ args, context }) => (context as LiveContext).live.discovery.watchStatus(context as LiveContext, args.clusterId as string),
  })
  discoveryStatus(
    @Arg('clusterId', () => ID, { description: 'The cluster whose discovery to follow.' }) _clusterId: string,
    @Root() status: DiscoveryStatusView,
  ): DiscoveryStatusView {
    return status;
  }

  @Subscription(() => ClusterType, {
    description:
      'A cluster whenever its health or figures change; every cluster (matching labelSelector, if given) when no id is given. Current state first.',
    subscribe: ({ args, context }) =>
      (context as LiveContext).live.clusters.watchHealth(
        context as LiveContext,
        args.clusterId as string | null | undefined,
        args.labelSelector as string | null | undefined,
      ),
  })
  clusterHealth(
    @Arg('clusterId', () => ID, { description: 'One cluster to follow; every cluster the caller may see when absent.', nullable: true }) _clusterId:
      | string
      | null,
    @Arg('labelSelector', () => String, {
      description: 'With no clusterId: only clusters whose labels match (Kubernetes selector syntax).',
      nullable: true,
    })
    _labelSelector: string | null,
    @Root() cluster: ClusterView,
  ): ClusterView {
    return cluster;
  }
}
