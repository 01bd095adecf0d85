import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { requireUser, type RequestContext } from '../auth/principal.js';
import { parseClusterId } from '../clusters/cluster.service.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import type { DiscoveryTaskRow } from '../db/schema.js';
import type { DiscoveryRepository } from '../discovery/discovery.repository.js';
import type { DiscoveryService, DiscoveryStatusView } from '../discovery/discovery.service.js';
import { BatchLoader, PerContext } from '../graphql/batch-loader.js';
import { ClusterType } from '../schema/cluster.type.js';
import { DiscoveryStatusType } from '../schema/discovery.type.js';

@Resolver(() => ClusterType)
export class DiscoveryResolver {
  /** `discovery` of every cluster and alias in one request is one query (see BatchLoader). */
  private readonly latestTasks: PerContext<BatchLoader<number, DiscoveryTaskRow>>;

  constructor(
    private readonly service: DiscoveryService,
    tasks: Pick<DiscoveryRepository, 'latestForClusters'>,
  ) {
    this.latestTasks = new PerContext(() => new BatchLoader((ids) => tasks.latestForClusters(ids)));
  }

  @Mutation(() => DiscoveryStatusType, { description: 'Starts a Prometheus discovery task (CONFLICT while one is active or the URL was set by hand).' })
  async rediscoverPrometheus(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<DiscoveryStatusView> {
    requireUser(ctx);
    return this.service.start(parseClusterId(id));
  }

  @FieldResolver(() => DiscoveryStatusType, { nullable: true, description: 'The latest discovery task, if any.' })
  async discovery(@Root() cluster: ClusterView, @Ctx() ctx: RequestContext): Promise<DiscoveryStatusView | null> {
    requireUser(ctx);
    const task = await this.latestTasks.of(ctx).load(cluster.id);
    return task ? statusOfTask(task) : null;
  }
}

/** A task row as every transport shows it (the same mapping DiscoveryService applies to its single reads). */
function statusOfTask(t: DiscoveryTaskRow): DiscoveryStatusView {
  return {
    clusterId: t.clusterId,
    taskId: t.id,
    state: t.state,
    startedAt: t.startedAt,
    finishedAt: t.finishedAt,
    prometheusUrl: t.prometheusUrl,
    message: t.message,
    candidatesChecked: t.candidatesChecked,
    createdAt: t.createdAt,
  };
}
