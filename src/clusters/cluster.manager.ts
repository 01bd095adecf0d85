import type { AccessManager } from '../access/access.manager.js';
import { onlyAdmitted } from '../access/admitted-feed.js';
import { ReadOnlyGuard } from '../access/read-only.js';
import { AuditedWrites, type AuditedCaller } from '../audit/audited-writes.js';
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
import type { ClusterView } from './cluster.view.js';
import { parseClusterId, parseClusterSelectorName } from './cluster.validation.js';

/**
 * How a cluster is being read, which decides whether its kubeconfig may be part of the answer:
 * `single` (one cluster asked for by id, selector or a write's result), `list` (any listing), `push` (a subscription).
 */
export type ReadScope = 'single' | 'list' | 'push';

/**
 * The clusters a caller sees. `version` is the list cache's content version when the caller sees every cluster (so
 * rendered answers may be reused), null when the list was filtered for this caller (render it per request).
 */
export interface VisibleClusterList {
  readonly items: readonly ClusterView[];
  readonly version: number | null;
}

/**
 * The clusters' application API: every transport (GraphQL resolvers, REST handlers, subscriptions, the cached-read
 * lane) calls these methods and nothing below them. Each takes the caller first, authorizes, parses client-supplied
 * ids, then delegates to the registry (cluster.service.ts), which validates, stores and raises domain events.
 * Per-cluster roles come from the AccessManager: a cluster the caller holds no role on does not exist for it here.
 */
export class ClusterManager {
  constructor(
    private readonly registry: ClusterService,
    private readonly access: AccessManager,
    private readonly hub?: LiveHub,
    /** Read-only refusal and audit of every write; the default (trusted in-process use) is writable and unaudited. */
    private readonly writes = new AuditedWrites(new ReadOnlyGuard(false)),
  ) {}

  /**
   * Live clusters the caller may see, oldest first, with the version of that content (ClusterListCache): REST's and
   * GraphQL's rendered-answer caches key on the version. A caller who does not see every cluster gets a filtered copy
   * whose version is null: it is rendered per request and never memoised.
   */
  async list(caller: Caller): Promise<VisibleClusterList> {
    const visible = await this.access.visibleClusters(caller); // authenticates before anything is read
    const all = await this.registry.list();
    return visible === 'all' ? all : { items: all.items.filter((c) => visible.has(c.id)), version: null };
  }

  /**
   * GraphQL `clusters(filter, first, after, orderBy)` and REST C1 with query parameters: validated here (a bad
   * selector, cursor or page size is a `ValidationError` naming the transport's field), then filtered in SQL.
   */
  async page(caller: Caller, input: ClusterQueryInput, names?: QueryFieldNames): Promise<ClusterPage> {
    requireUser(caller);
    const query = parseClusterQuery(input, names);
    const visible = await this.access.visibleClusters(caller);
    // Unfiltered pages in the default order are cut from the cached list; anything else runs in SQL. Either way only
    // clusters the caller holds a role on are counted and returned.
    if (isEmptyFilter(query.filter) && query.order === DEFAULT_ORDER) return pageOfWholeList((await this.list(caller)).items, query);
    return this.registry.page(query, visible === 'all' ? undefined : [...visible]);
  }

  async get(caller: Caller, rawId: string | number, field = 'id'): Promise<ClusterView> {
    requireUser(caller);
    const id = parseClusterId(rawId, field);
    await this.access.requireAtLeast(caller, id, 'viewer');
    return this.registry.get(id);
  }

  /**
   * The cluster named by the request's selector (X-Cluster-Name / X-Cluster-ID), else the default; null if none. A
   * named cluster the caller cannot see is "not found" exactly as a missing one; an invisible default is no default.
   */
  async current(caller: Caller, selector?: { name?: string; id?: string }): Promise<ClusterView | null> {
    requireUser(caller);
    const cluster = await this.registry.current(selector);
    if (!cluster || (await this.access.sees(caller, cluster.id))) return cluster;
    if (selector?.id !== undefined) throw new NotFoundError(`cluster ${cluster.id} not found`);
    if (selector?.name !== undefined) throw new NotFoundError(`cluster "${parseClusterSelectorName(selector.name)}" not found`);
    return null;
  }

  /** C3 / createCluster: admins only. `discoveryStarted` is what discovery reported, not a guess. */
  async create(caller: AuditedCaller, cmd: CreateClusterCommand): Promise<CreatedCluster> {
    const spec = { action: 'cluster.create', requestedName: cmd.name, successStatus: 201, clusterOf: (r: CreatedCluster) => r.cluster } as const;
    return this.writes.run(caller, spec, () => {
      requireAdmin(caller);
      return this.registry.register(cmd);
    });
  }

  /** C4 / updateCluster: global admins and the cluster's admins (grant). */
  async update(caller: AuditedCaller, rawId: string | number, cmd: UpdateClusterCommand): Promise<ClusterView> {
    return this.writes.run(caller, { action: 'cluster.update', clusterId: rawId, clusterOf: (c: ClusterView) => c }, async (audit) => {
      requireUser(caller);
      const id = parseClusterId(rawId);
      await this.access.requireRole(caller, id, 'admin');
      return this.registry.update(id, cmd, audit);
    });
  }

  /** C5 / deleteCluster: global admins and the cluster's admins (grant). */
  async remove(caller: AuditedCaller, rawId: string | number): Promise<void> {
    return this.writes.run(caller, { action: 'cluster.delete', clusterId: rawId }, async () => {
      requireUser(caller);
      const id = parseClusterId(rawId);
      await this.access.requireRole(caller, id, 'admin');
      await this.registry.remove(id);
    });
  }

  /**
   * The kubeconfig rule, stated once: the decrypted kubeconfig goes to global admins, and only when one cluster is read.
   * A cluster admin by grant manages the cluster and its grants but does not read the stored credential: it is
   * stronger than any gateway role (it bypasses impersonation and the proxy's verb rules).
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
    if (clusterId !== undefined) {
      // 404 before subscribing to a cluster that does not exist, or that does not exist for this caller.
      await this.access.requireRole(caller, clusterId, 'viewer');
      await this.registry.get(clusterId);
    }
    // Pushes of clusters outside the selector are dropped here, after loading: labels change with the cluster, so a
    // cluster that gains a matching label starts being pushed, one that loses it stops.
    const selected = (clusters: readonly ClusterView[]) =>
      selector ? clusters.filter((c) => matchesSelector(selector, new Map(c.labels.map((l) => [l.key, l.value])))) : [...clusters];
    // The topic is shared by every subscriber; what each one may see is decided per subscriber and per push (a revoked
    // grant stops the very next update), so the current state and every change pass the caller's access check.
    const feed = await this.live().subscribe<ClusterView>({
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
    return this.access.seesEveryCluster(caller) ? feed : onlyAdmitted(feed, async (c) => (await this.access.roleOn(caller, c.id)) !== null);
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
