import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { isAdmin, requireAdmin, requireUser, type RequestContext } from '../auth/principal.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import { parseClusterId, type ClusterService } from '../clusters/cluster.service.js';
import { CreateClusterInput, UpdateClusterInput } from '../schema/cluster.input.js';
import { ClusterListType, ClusterType } from '../schema/cluster.type.js';

const SINGLE_CLUSTER_FIELDS = new Set(['cluster', 'currentCluster', 'createCluster', 'updateCluster']);

/**
 * Whether this `kubeconfig` belongs to a single-cluster answer: the operation's root field (found by its schema name,
 * never by the response key a client chose as alias) is one of SINGLE_CLUSTER_FIELDS, nothing on the way is a list
 * item, and the operation is not a subscription (pushed updates never carry credentials).
 */
function isSingleClusterRead(info: GraphQLResolveInfo): boolean {
  if (info.operation.operation === 'subscription') return false;
  let path: GraphQLResolveInfo['path'] = info.path;
  while (path.prev) {
    if (typeof path.key === 'number') return false;
    path = path.prev;
  }
  const name = rootFieldName(info, info.operation.selectionSet, String(path.key), new Set());
  return name !== undefined && SINGLE_CLUSTER_FIELDS.has(name);
}

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

/**
 * Thin on purpose: authorize, parse ids, delegate. The REST layer calls these same methods, so both transports share
 * one authorization and validation path.
 */
@Resolver(() => ClusterType)
export class ClusterResolver {
  constructor(private readonly service: ClusterService) {}

  @Query(() => ClusterListType, { description: 'All live clusters, oldest first. Never includes kubeconfigs.' })
  async clusters(@Ctx() ctx: RequestContext): Promise<{ items: ClusterView[]; total: number }> {
    requireUser(ctx);
    const items = await this.service.list();
    return { items, total: items.length };
  }

  @Query(() => ClusterType, { nullable: true })
  async cluster(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ClusterView> {
    requireUser(ctx);
    return this.service.get(parseClusterId(id));
  }

  @Query(() => ClusterType, {
    nullable: true,
    description: 'The cluster named by the X-Cluster-Name or X-Cluster-ID header, else the default cluster.',
  })
  async currentCluster(@Ctx() ctx: RequestContext): Promise<ClusterView | null> {
    requireUser(ctx);
    return this.service.current(ctx.clusterSelector);
  }

  @Mutation(() => ClusterType)
  async createCluster(@Arg('input', () => CreateClusterInput) input: CreateClusterInput, @Ctx() ctx: RequestContext): Promise<ClusterView> {
    requireAdmin(ctx);
    return this.service.create({
      name: input.name,
      kubeconfig: input.kubeconfig,
      isDefault: given(input.isDefault),
      enabled: given(input.enabled),
      skipConnectionTest: given(input.skipConnectionTest),
    });
  }

  @Mutation(() => ClusterType)
  async updateCluster(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateClusterInput) input: UpdateClusterInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ClusterView> {
    requireAdmin(ctx);
    return this.service.update(parseClusterId(id), {
      name: given(input.name),
      kubeconfig: given(input.kubeconfig),
      isDefault: given(input.isDefault),
      enabled: given(input.enabled),
      prometheusUrl: given(input.prometheusUrl),
    });
  }

  @Mutation(() => Boolean, { description: 'Soft-deletes the cluster; its name can be reused.' })
  async deleteCluster(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    requireAdmin(ctx);
    await this.service.remove(parseClusterId(id));
    return true;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Kubeconfig YAML: for admins on a single cluster (cluster, currentCluster, createCluster, updateCluster); null in lists, subscriptions and for users.',
  })
  async kubeconfig(@Root() cluster: ClusterView, @Ctx() ctx: RequestContext, @Info() info?: GraphQLResolveInfo): Promise<string | null> {
    if (!isAdmin(ctx)) return null;
    // Credentials are never part of a list or a pushed update (DESIGN: "never in list responses"). REST C2 calls
    // without `info`: a single-cluster read.
    if (info && !isSingleClusterRead(info)) return null;
    return this.service.kubeconfig(cluster.id);
  }
}
