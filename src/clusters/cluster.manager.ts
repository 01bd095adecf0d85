import { ReadOnlyGuard } from '../access/read-only.js';
import { AuditedWrites, type AuditedCaller } from '../audit/audited-writes.js';
import { isAdmin, requireAdmin, requireUser, type Caller } from '../auth/principal.js';
import { NotFoundError } from '../errors.js';
import type { LiveHub } from '../events/live-hub.js';
import type { ClusterService, CreateClusterCommand, CreatedCluster, UpdateClusterCommand } from './cluster.service.js';
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
    /** Read-only refusal and audit of every write; the default (trusted in-process use) is writable and unaudited. */
    private readonly writes = new AuditedWrites(new ReadOnlyGuard(false)),
  ) {}

  /**
   * Live clusters, oldest first. The array is the list cache's own instance (ClusterListCache): it stays the same
   * object until a cluster changes, which is what REST's and GraphQL's rendered-answer caches key on. Never copy it.
   */
  list(caller: Caller): Promise<readonly ClusterView[]> {
    requireUser(caller);
    return this.registry.list();
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
  async create(caller: AuditedCaller, cmd: CreateClusterCommand): Promise<CreatedCluster> {
    const spec = { action: 'cluster.create', requestedName: cmd.name, successStatus: 201, clusterOf: (r: CreatedCluster) => r.cluster } as const;
    return this.writes.run(caller, spec, () => {
      requireAdmin(caller);
      return this.registry.register(cmd);
    });
  }

  async update(caller: AuditedCaller, rawId: string | number, cmd: UpdateClusterCommand): Promise<ClusterView> {
    return this.writes.run(caller, { action: 'cluster.update', clusterId: rawId, clusterOf: (c: ClusterView) => c }, () => {
      requireAdmin(caller);
      return this.registry.update(parseClusterId(rawId), cmd);
    });
  }

  async remove(caller: AuditedCaller, rawId: string | number): Promise<void> {
    return this.writes.run(caller, { action: 'cluster.delete', clusterId: rawId }, () => {
      requireAdmin(caller);
      return this.registry.remove(parseClusterId(rawId));
    });
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
  async watchHealth(caller: Caller, rawId?: string | number | null): Promise<AsyncIterableIterator<ClusterView>> {
    requireUser(caller);
    const clusterId = rawId === undefined || rawId === null ? undefined : parseClusterId(rawId, 'clusterId');
    if (clusterId !== undefined) await this.registry.get(clusterId); // 404 before subscribing to a cluster that does not exist
    return this.live().subscribe<ClusterView>({
      key: `health:${clusterId ?? '*'}`,
      matches: (e) => e.type === 'cluster.changed' && e.change !== 'deleted' && (clusterId === undefined || e.clusterId === clusterId),
      load: async (event) => {
        if (!event) return clusterId === undefined ? this.registry.list() : [await this.registry.get(clusterId)];
        try {
          return [await this.registry.get((event as { clusterId: number }).clusterId)];
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
