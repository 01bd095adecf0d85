import { Arg, Ctx, Extensions, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../auth/principal.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import type { DiscoveryManager } from '../discovery/discovery.manager.js';
import type { DiscoveryStatusView } from '../discovery/discovery.service.js';
import { ClusterType } from '../schema/cluster.type.js';
import { DiscoveryStatusType } from '../schema/discovery.type.js';
import { OUTSIDE_CLUSTER_LIST } from '../schema/field-extensions.js';

@Resolver(() => ClusterType)
export class DiscoveryResolver {
  constructor(private readonly manager: DiscoveryManager) {}

  @Mutation(() => DiscoveryStatusType, {
    description: 'Starts a Prometheus discovery task (CONFLICT while one is active or the URL was set by hand).',
  })
  rediscoverPrometheus(
    @Arg('id', () => ID, { description: 'The cluster id.' }) id: string,
    @Ctx() ctx: RequestContext,
  ): Promise<DiscoveryStatusView> {
    return this.manager.rediscover(ctx, id);
  }

  @FieldResolver(() => DiscoveryStatusType, { nullable: true, description: 'The latest discovery task, if any.' })
  @Extensions(OUTSIDE_CLUSTER_LIST)
  discovery(@Root() cluster: ClusterView, @Ctx() ctx: RequestContext): Promise<DiscoveryStatusView | null> {
    return this.manager.latest(ctx, cluster.id);
  }
}
