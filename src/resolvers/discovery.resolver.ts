import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { requireUser, type RequestContext } from '../auth/principal.js';
import { parseClusterId } from '../clusters/cluster.service.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import type { DiscoveryService, DiscoveryStatusView } from '../discovery/discovery.service.js';
import { ClusterType } from '../schema/cluster.type.js';
import { DiscoveryStatusType } from '../schema/discovery.type.js';

@Resolver(() => ClusterType)
export class DiscoveryResolver {
  constructor(private readonly service: DiscoveryService) {}

  @Mutation(() => DiscoveryStatusType, { description: 'Starts a Prometheus discovery task (CONFLICT while one is active or the URL was set by hand).' })
  async rediscoverPrometheus(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<DiscoveryStatusView> {
    requireUser(ctx);
    return this.service.start(parseClusterId(id));
  }

  @FieldResolver(() => DiscoveryStatusType, { nullable: true, description: 'The latest discovery task, if any.' })
  async discovery(@Root() cluster: ClusterView, @Ctx() ctx: RequestContext): Promise<DiscoveryStatusView | null> {
    requireUser(ctx);
    return this.service.latest(cluster.id);
  }
}
