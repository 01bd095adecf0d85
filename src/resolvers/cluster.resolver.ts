import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { Arg, Ctx, Extensions, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../auth/principal.js';
import type { ClusterManager, ReadScope } from '../clusters/cluster.manager.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import type { ClusterPage } from '../fleet/cluster-query.js';
import { CreateClusterInput, UpdateClusterInput } from '../schema/cluster.input.js';
import { ClusterListType, ClusterType } from '../schema/cluster.type.js';
import { PER_CALLER } from '../schema/field-extensions.js';
import { ClusterFilterInput, ClusterOrderByInput } from '../schema/fleet.type.js';

/** The schema name of the root field answered under `responseKey` (validation guarantees it is unique). */
function rootFieldName(info: GraphQLResolveInfo, set: SelectionSetNode, responseKey: string, seen: Set<string>): string | undefined {
  for (const sel of set.selections) {
    let found: string | undefined;
    if (sel.kind === Kind.FIELD) found = (sel.alias ?? sel.name).value === responseKey ? sel.name.value : undefined;
    else if (sel.kind === Kind.INLINE_FRAGMENT) found = rootFieldName(info, sel.selectionSet, responseKey, seen);
    else if (!seen.has(sel.name.value) && info.fragments[sel.name.value]) {
      found = rootFieldName(info, info.fragments[sel.name.value]!.selectionSet, responseKey, seen.add(sel.name.value));
    }
    if (found) return found;
  }
  return undefined;
}

/** Drops explicit GraphQL nulls: "not given" and "null" mean the same for optional inputs. */
const given = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

/** Root fields that answer one cluster; everything else under Query is a listing. */
const SINGLE_CLUSTER_ROOT_FIELDS = new Set(['cluster', 'currentCluster', 'createCluster', 'updateCluster']);
/**
 * Which kind of read this `kubeconfig` belongs to, decided by the operation's root field found by its schema name
 * (never by the response key a client chose as alias): a subscription is a push, anything under a list item is a list
 * read, and only the single-cluster root fields are single reads. The rule itself lives in ClusterManager.kubeconfigFor.
 */
function readScope(info: GraphQLResolveInfo): ReadScope {
  if (info.operation.operation === 'subscription') return 'push';
  let path: GraphQLResolveInfo['path'] = info.path;
  while (path.prev) {
    if (typeof path.key === 'number') return 'list';
    path = path.prev;
  }
  const name = rootFieldName(info, info.operation.selectionSet, String(path.key), new Set());
  return name !== undefined && SINGLE_CLUSTER_ROOT_FIELDS.has(name) ? 'single' : 'list';
}

/** GraphQL adapter of the cluster registry: every field is one call to `ClusterManager` (which authorizes). */
@Resolver(() => ClusterType)
export class ClusterResolver {
  constructor(private readonly manager: ClusterManager) {}

  @Query(() => ClusterListType, {
    description:
      'Live clusters matching the filter (all by default), oldest first unless ordered; keyset-paged by `first`/`after`. Never includes kubeconfigs.',
  })
  clusters(
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => ClusterFilterInput, { description: 'Only clusters matching every given condition; all when absent.', nullable: true })
    filter?: ClusterFilterInput | null,
    @Arg('first', () => Int, { nullable: true, description: '1-1000; all matches when absent.' }) first?: number | null,
    @Arg('after', () => String, { nullable: true, description: 'The endCursor of the previous page.' }) after?: string | null,
    @Arg('orderBy', () => ClusterOrderByInput, { description: 'Sort order; without it, id ascending (oldest first).', nullable: true })
    orderBy?: ClusterOrderByInput | null,
  ): Promise<ClusterPage> {
    return this.manager.page(ctx, {
      search: given(filter?.search),
      healthStatus: given(filter?.healthStatus),
      labelSelector: given(filter?.labelSelector),
      enabled: given(filter?.enabled),
      prometheusSource: given(filter?.prometheusSource),
      first: given(first),
      after: given(after),
      order: given(orderBy),
    });
  }

  @Query(() => ClusterType, {
    description: 'One live cluster by id; NOT_FOUND when it does not exist or the caller holds no role on it.',
    nullable: true,
  })
  cluster(@Arg('id', () => ID, { description: 'The cluster id.' }) id: string, @Ctx() ctx: RequestContext): Promise<ClusterView> {
    return this.manager.get(ctx, id);
  }

  @Query(() => ClusterType, {
    nullable: true,
    description: 'The cluster named by the X-Cluster-Name or X-Cluster-ID header, else the default cluster.',
  })
  currentCluster(@Ctx() ctx: RequestContext): Promise<ClusterView | null> {
    return this.manager.current(ctx, ctx.clusterSelector);
  }

  @Mutation(() => ClusterType, {
    description:
      'Registers a cluster (admins only). The cluster is reached first unless skipConnectionTest; discovery of its Prometheus starts when enabled.',
  })
  async createCluster(
    @Arg('input', () => CreateClusterInput, { description: "The new cluster's name, kubeconfig and settings." }) input: CreateClusterInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ClusterView> {
    const { cluster } = await this.manager.create(ctx, {
      name: input.name,
      kubeconfig: input.kubeconfig,
      isDefault: given(input.isDefault),
      enabled: given(input.enabled),
      skipConnectionTest: given(input.skipConnectionTest),
      impersonate: given(input.impersonate),
      labels: given(input.labels),
    });
    return cluster;
  }

  @Mutation(() => ClusterType, {
    description: "Changes any subset of a cluster's settings (cluster admins); a new kubeconfig is reached before it is saved.",
  })
  updateCluster(
    @Arg('id', () => ID, { description: 'The cluster id.' }) id: string,
    @Arg('input', () => UpdateClusterInput, { description: 'The fields to change; absent fields stay as they are.' }) input: UpdateClusterInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ClusterView> {
    return this.manager.update(ctx, id, {
      name: given(input.name),
      kubeconfig: given(input.kubeconfig),
      isDefault: given(input.isDefault),
      enabled: given(input.enabled),
      prometheusUrl: given(input.prometheusUrl),
      impersonate: given(input.impersonate),
      labels: given(input.labels),
    });
  }

  @Mutation(() => Boolean, { description: 'Soft-deletes the cluster; its name can be reused.' })
  async deleteCluster(@Arg('id', () => ID, { description: 'The cluster id.' }) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    await this.manager.remove(ctx, id);
    return true;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      'Kubeconfig YAML: for admins on a single cluster (cluster, currentCluster, createCluster, updateCluster); null in lists, subscriptions and for users.',
  })
  @Extensions(PER_CALLER)
  kubeconfig(@Root() cluster: ClusterView, @Ctx() ctx: RequestContext, @Info() info: GraphQLResolveInfo): Promise<string | null> {
    return this.manager.kubeconfigFor(ctx, cluster.id, readScope(info));
  }
}
