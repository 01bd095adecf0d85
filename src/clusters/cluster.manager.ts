import { isAdmin, requireAdmin, requireUser, type Caller } from '../auth/principal.js';
import { NotFoundError } from '../errors.js';
import type { LiveHub } from '../events/live-hub.js';
import type { ClusterService, CreateClusterCommand, CreatedCluster, UpdateClusterCommand } from './cluster.service.js';
import {
  type ClusterPage,
  type ClusterQueryInput,
  DEFAULT_ORDER,
  isEmptyFilter,
  pageOfWholeList,
  parseClusterQuery,
  type QueryFieldNames,
} from '../fleet/cluster-query.js';
import { type LabelRequirement, LabelSelectorError, matchesSelector, parseLabelSelector } from '../fleet/label-selector.js';
import { ValidationError } from '../errors.js';
import type { ClusterListSnapshot } from './cluster-list-cache.js';
import type { ClusterView } from './cluster.view.js';
import { parseClusterId } from './cluster.validation.js';

/**
 * How a cluster is being read, which decides whether its kubeconfig may be part of the answer:
 * `single` (one cluster asked for by id, selector or a write's result), `list` (any listing), `push` (a subscription).
 */
export type ReadScope = 'single' | 'list' | 'push';

/**
 * The clusters' application API: every transport (GraphQL resolvers, REST handlers, subscriptions, the cached-read
 * lane) calls these methods and nothing below them. Each takes the caller first, authorizes, parses client-supplied
 * ids, then delegates to the registry (cluster.service.ts), which validates, stores and raises domain events.
 */
export class ClusterManager {
  constructor(
    private readonly registry: ClusterService,
    private readonly hub?: LiveHub,
  ) {}

  /**
   * Live clusters, oldest first, with the version of that content (ClusterListCache): REST's and GraphQL's
   * rendered-answer caches key on the version, so the items may be copied or filtered freely.
   */
  list(caller: Caller): Promise<ClusterListSnapshot> {
    requireUser(caller);
    return this.registry.list();
  }

  /**
   * GraphQL `clusters(filter, first, after, orderBy)` and REST C1 with query parameters: validated here (a bad
   * selector, cursor or page size is a `ValidationError` naming the transport's field), then filtered in SQL.
   */
  async page(caller: Caller, input: ClusterQueryInput, names?: QueryFieldNames): Promise<ClusterPage> {
    requireUser(caller);
    const query = parseClusterQuery(input, names);
    // access: per-cluster visibility plugs in here: filter the snapshot's items, or pass `visibleIds` to the registry.
    // Unfiltered pages in the default order are cut from the cached list; anything else runs in SQL.
    if (isEmptyFilter(query.filter) && query.order === DEFAULT_ORDER) return pageOfWholeList((await this.registry.list()).items, query);
    return this.registry.page(query);
  }

  async get(caller: Caller, rawId: string | number, field = 'id'): Promise<ClusterView> {
    requireUser(caller);
    return this.registry.get(parseClusterId(rawId, field));
  }

  /** The cluster named by the request's selector (X-Cluster-Name / X-Cluster-ID), else the default; null if none. */
  async current(caller: Caller, selector?: { name?: string; id?: string }): Promise<ClusterView | null> {
    requireUser(caller);
    return this.registry.current(selector);
  }

  /** C3 / createCluster: admins only. `discoveryStarted` is what discovery reported, not a guess. */
  async create(caller: Caller, cmd: CreateClusterCommand): Promise<CreatedCluster> {
    requireAdmin(caller);
    return this.registry.register(cmd);
  }

  async update(caller: Caller, rawId: string | number, cmd: UpdateClusterCommand): Promise<ClusterView> {
    requireAdmin(caller);
    return this.registry.update(parseClusterId(rawId), cmd);
  }

  async remove(caller: Caller, rawId: string | number): Promise<void> {
    requireAdmin(caller);
    await this.registry.remove(parseClusterId(rawId));
  }

  /**
   * The kubeconfig rule, stated once: the decrypted kubeconfig goes to admins, and only when one cluster is read.
   * Lists and pushed updates never carry credentials (DESIGN: "never in lists, pushed updates …"); for everyone else
   * the answer is null (not an error), and a user's request never decrypts anything.
   */
  async kubeconfigFor(caller: Caller, clusterId: number, scope: ReadScope): Promise<string | null> {
    if (!isAdmin(caller) || scope !== 'single') return null;
    return this.registry.kubeconfig(clusterId);
  }

  /**
   * clusterHealth subscription: one cluster (or every cluster) now, then again whenever it changes on any replica.
   * Path of a change: repository write → PgEventBus (LISTEN/NOTIFY) → LiveHub → this topic's `load` → graphql-ws.
   */
  async watchHealth(caller: Caller, rawId?: string | number | null, rawSelector?: string | null): Promise<AsyncIterableIterator<ClusterView>> {
    requireUser(caller);
    const clusterId = rawId === undefined || rawId === null ? undefined : parseClusterId(rawId, 'clusterId');
    const selector = rawSelector === undefined || rawSelector === null ? undefined : parseSelector(rawSelector);
    if (clusterId !== undefined) await this.registry.get(clusterId); // 404 before subscribing to a cluster that does not exist
    // Pushes of clusters outside the selector are dropped here, after loading: labels change with the cluster, so a
    // cluster that gains a matching label starts being pushed, one that loses it stops.
    const selected = (clusters: readonly ClusterView[]) =>
      selector ? clusters.filter((c) => matchesSelector(selector, new Map(c.labels.map((l) => [l.key, l.value])))) : [...clusters];
    return this.live().subscribe<ClusterView>({
      key: `health:${clusterId ?? '*'}:${rawSelector ?? ''}`,
      matches: (e) => e.type === 'cluster.changed' && e.change !== 'deleted' && (clusterId === undefined || e.clusterId === clusterId),
      load: async (event) => {
        if (!event) return selected(clusterId === undefined ? (await this.registry.list()).items : [await this.registry.get(clusterId)]);
        try {
          return selected([await this.registry.get((event as { clusterId: number }).clusterId)]);
        } catch (err) {
          if (err instanceof NotFoundError) return [];
          throw err;
        }
      },
      id: (c) => String(c.id),
    });
  }

  private live(): LiveHub {
    if (!this.hub) throw new Error('ClusterManager was built without a LiveHub; subscriptions are unavailable');
    return this.hub;
  }
}

function parseSelector(raw: string): LabelRequirement[] {
  try {
    return parseLabelSelector(raw);
  } catch (err) {
    if (err instanceof LabelSelectorError) throw new ValidationError('labelSelector', err.message);
    throw err;
  }
}
