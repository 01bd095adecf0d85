import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../auth/principal.js';
import type { ClusterManager, ReadScope } from '../clusters/cluster.manager.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import { CreateClusterInput, UpdateClusterInput } from '../schema/cluster.input.js';
import { ClusterListType, ClusterType } from '../schema/cluster.type.js';

/** Drops explicit GraphQL nulls: "not given" and "null" mean the same for optional inputs. */
const given = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

/** Root fields that answer one cluster; everything else under Query is a listing. */
const SINGLE_CLUSTER_ROOT_FIELDS = new Set(['cluster', 'currentCluster', 'createCluster', 'updateCluster']);
const rootKey = (path: GraphQLResolveInfo['path']): string | number => (path.prev ? rootKey(path.prev) : path.key);

/**
 * How this `Cluster` is being read, for `ClusterManager.kubeconfigFor`.
 * Lead: h-graphql decides this from the root field NAME (an alias must not turn a list into a single read); this
 * reads the root path key, which is the response key (the alias when one is given), until that lands.
 */
function readScope(info: GraphQLResolveInfo): ReadScope {
  if (info.operation.operation === 'subscription') return 'push';
  return SINGLE_CLUSTER_ROOT_FIELDS.has(String(rootKey(info.path))) ? 'single' : 'list';
}

/** GraphQL adapter of the cluster registry: every field is one call to `ClusterManager` (which authorizes). */
@Resolver(() => ClusterType)
export class ClusterResolver {
  constructor(private readonly manager: ClusterManager) {}

  @Query(() => ClusterListType, { description: 'All live clusters, oldest first. Never includes kubeconfigs.' })
  async clusters(@Ctx() ctx: RequestContext): Promise<{ items: readonly ClusterView[]; total: number }> {
    const items = await this.manager.list(ctx);
    return { items, total: items.length };
  }

  @Query(() => ClusterType, { nullable: true })
  cluster(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ClusterView> {
    return this.manager.get(ctx, id);
  }

  @Query(() => ClusterType, {
    nullable: true,
    description: 'The cluster named by the X-Cluster-Name or X-Cluster-ID header, else the default cluster.',
  })
  currentCluster(@Ctx() ctx: RequestContext): Promise<ClusterView | null> {
    return this.manager.current(ctx, ctx.clusterSelector);
  }

  @Mutation(() => ClusterType)
  async createCluster(@Arg('input', () => CreateClusterInput) input: CreateClusterInput, @Ctx() ctx: RequestContext): Promise<ClusterView> {
    const { cluster } = await this.manager.create(ctx, {
      name: input.name,
      kubeconfig: input.kubeconfig,
      isDefault: given(input.isDefault),
      enabled: given(input.enabled),
      skipConnectionTest: given(input.skipConnectionTest),
    });
    return cluster;
  }

  @Mutation(() => ClusterType)
  updateCluster(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateClusterInput) input: UpdateClusterInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ClusterView> {
    return this.manager.update(ctx, id, {
      name: given(input.name),
      kubeconfig: given(input.kubeconfig),
      isDefault: given(input.isDefault),
      enabled: given(input.enabled),
      prometheusUrl: given(input.prometheusUrl),
    });
  }

  @Mutation(() => Boolean, { description: 'Soft-deletes the cluster; its name can be reused.' })
  async deleteCluster(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    await this.manager.remove(ctx, id);
    return true;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Kubeconfig YAML: for admins on a single cluster (cluster, currentCluster, createCluster, updateCluster); null in lists, subscriptions and for users.',
  })
  kubeconfig(@Root() cluster: ClusterView, @Ctx() ctx: RequestContext, @Info() info: GraphQLResolveInfo): Promise<string | null> {
    return this.manager.kubeconfigFor(ctx, cluster.id, readScope(info));
  }
}
