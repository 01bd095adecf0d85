import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { clusters } from '../db/schema.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import { decodeKubeconfigInput, parseKubeconfig, type KubeconfigSpec } from '../kube/kubeconfig.js';
import { ClusterListCache } from './cluster-list-cache.js';
import { type ClusterView, toClusterView } from './cluster.view.js';
import { hasControlCharacters, parseClusterName, parsePrometheusUrl } from './cluster.validation.js';
import type { KubeconfigCipher } from './kubeconfig-cipher.js';

export interface CreateClusterCommand {
  name: string;
  /** Kubeconfig YAML, or base64 of it. */
  kubeconfig: string;
  isDefault?: boolean;
  enabled?: boolean;
  skipConnectionTest?: boolean;
  /** REST's contract says base64; GraphQL accepts either. */
  requireBase64?: boolean;
}

export interface UpdateClusterCommand {
  name?: string;
  kubeconfig?: string;
  isDefault?: boolean;
  enabled?: boolean;
  /** A URL sets it by hand (source MANUAL); an empty string returns the cluster to automatic discovery. */
  prometheusUrl?: string;
  requireBase64?: boolean;
}

/** Figures learned by a successful connection test, stored with the new cluster. */
export interface ConnectionFacts {
  kubernetesVersion: string | null;
  nodeCount: number;
  readyNodeCount: number | null;
  podCount?: number;
}

/**
 * Seams to the other parts of the system (connectivity, discovery). Each is optional so the registry works alone;
 * `main.ts` plugs them in.
 */
export interface ClusterLifecycle {
  /** C3 step 2: reach the cluster before saving it; throws `ValidationError` with the reason if it cannot. */
  verifyConnection?(spec: KubeconfigSpec): Promise<ConnectionFacts>;
  /** After a create commits (e.g. start Prometheus discovery). Must not throw. */
  created?(cluster: ClusterView): Promise<void>;
  /** After a manual Prometheus URL was set: stop automatic discovery. */
  prometheusSetManually?(clusterId: number): Promise<void>;
  /** After a manual URL was cleared: automatic discovery may run again. */
  prometheusSetAutomatic?(clusterId: number): Promise<void>;
  /** After a kubeconfig change, disable or delete: drop cached clients and running work. */
  credentialsChanged?(clusterId: number): void;
  removed?(clusterId: number): Promise<void>;
}

const viewColumns = {
  id: clusters.id,
  name: clusters.name,
  isDefault: clusters.isDefault,
  enabled: clusters.enabled,
  healthStatus: clusters.healthStatus,
  healthMessage: clusters.healthMessage,
  lastConnectedAt: clusters.lastConnectedAt,
  kubernetesVersion: clusters.kubernetesVersion,
  nodeCount: clusters.nodeCount,
  readyNodeCount: clusters.readyNodeCount,
  podCount: clusters.podCount,
  prometheusUrl: clusters.prometheusUrl,
  prometheusSource: clusters.prometheusSource,
  createdAt: clusters.createdAt,
  updatedAt: clusters.updatedAt,
};

const live = isNull(clusters.deletedAt);
// Serialises default switching so parallel "make X the default" calls queue up instead of failing on the index.
const DEFAULT_SWITCH_LOCK = 7_316_205_002;
const NAME_INDEX = 'clusters_live_name_uq';

/** The cluster registry: CRUD, default switching, soft delete and encrypted kubeconfig storage. */
export class ClusterService {
  private readonly listCache: ClusterListCache;

  constructor(
    private readonly db: Db,
    private readonly cipher: KubeconfigCipher,
    private readonly events: EventBus,
    private readonly lifecycle: ClusterLifecycle = {},
  ) {
    this.listCache = new ClusterListCache(events, () => this.listFromDatabase());
  }

  /** Live clusters, oldest first; served from memory between changes (see ClusterListCache). */
  list(): Promise<ClusterView[]> {
    return this.listCache.get();
  }

  async listFromDatabase(): Promise<ClusterView[]> {
    const rows = await this.db.select(viewColumns).from(clusters).where(live).orderBy(asc(clusters.id));
    return rows.map(toClusterView);
  }

  /** For writers outside this service (health, discovery) on this replica: read-your-writes without the NOTIFY hop. */
  invalidateList(): void {
    this.listCache.invalidate();
  }

  close(): void {
    this.listCache.close();
  }

  async get(id: number): Promise<ClusterView> {
    const [row] = await this.db.select(viewColumns).from(clusters).where(and(eq(clusters.id, id), live));
    if (!row) throw notFound(id);
    return toClusterView(row);
  }

  /** The cluster named by the request's selector (name or id), else the default one; null when there is none. */
  async current(selector?: { name?: string; id?: string }): Promise<ClusterView | null> {
    if (selector?.id !== undefined) return this.get(parseClusterId(selector.id, 'X-Cluster-ID'));
    if (selector?.name !== undefined) {
      if (hasControlCharacters(selector.name) || selector.name.length > 400) throw new ValidationError('X-Cluster-Name', 'must be a cluster name (printable, at most 100 characters)');
      const [row] = await this.db
        .select(viewColumns)
        .from(clusters)
        .where(and(sql`lower(${clusters.name}) = lower(${selector.name})`, live));
      if (!row) throw new NotFoundError(`cluster "${selector.name}" not found`);
      return toClusterView(row);
    }
    const [row] = await this.db.select(viewColumns).from(clusters).where(and(eq(clusters.isDefault, true), live));
    return row ? toClusterView(row) : null;
  }

  /** Live clusters per health status (metrics). */
  async countByHealth(): Promise<Record<string, number>> {
    const rows = await this.db
      .select({ status: clusters.healthStatus, n: sql<number>`count(*)::int` })
      .from(clusters)
      .where(live)
      .groupBy(clusters.healthStatus);
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Decrypted kubeconfig YAML. Callers must have checked the admin role. */
  async kubeconfig(id: number): Promise<string> {
    const [row] = await this.db
      .select({ ciphertext: clusters.kubeconfigCiphertext })
      .from(clusters)
      .where(and(eq(clusters.id, id), live));
    if (!row) throw notFound(id);
    return this.cipher.decrypt(row.ciphertext);
  }

  async create(cmd: CreateClusterCommand): Promise<ClusterView> {
    const name = parseClusterName(cmd.name);
    const yaml = decodeKubeconfigInput(cmd.kubeconfig, { requireBase64: cmd.requireBase64 });
    const spec = parseKubeconfig(yaml);
    // Fail fast on a duplicate name before spending seconds on a connection test.
    await this.assertNameFree(name);
    const facts = cmd.skipConnectionTest || !this.lifecycle.verifyConnection ? undefined : await this.lifecycle.verifyConnection(spec);
    const { ciphertext, keyId } = this.cipher.encrypt(yaml);
    const enabled = cmd.enabled ?? true;

    const view = await this.writeTx(async (tx) => {
      if (cmd.isDefault) await this.unsetDefault(tx);
      const now = new Date();
      const [row] = await tx
        .insert(clusters)
        .values({
          name,
          kubeconfigCiphertext: ciphertext,
          kubeconfigKeyId: keyId,
          isDefault: cmd.isDefault ?? false,
          enabled,
          ...(facts && enabled
            ? {
                healthStatus: 'unknown' as const,
                healthMessage: 'connection test passed; waiting for the first health check',
                kubernetesVersion: facts.kubernetesVersion,
                nodeCount: facts.nodeCount,
                readyNodeCount: facts.readyNodeCount,
                podCount: facts.podCount ?? 0,
                lastConnectedAt: now,
              }
            : { healthMessage: enabled ? 'not checked yet' : 'cluster is disabled' }),
        })
        .returning(viewColumns);
      await this.events.publishInTx(tx, { type: 'cluster.changed', clusterId: row!.id, change: 'created' });
      return toClusterView(row!);
    }, name);
    await this.lifecycle.created?.(view);
    return view;
  }

  async update(id: number, cmd: UpdateClusterCommand): Promise<ClusterView> {
    const set: Partial<typeof clusters.$inferInsert> = {};
    if (cmd.name !== undefined) set.name = parseClusterName(cmd.name);
    if (cmd.kubeconfig !== undefined) {
      const yaml = decodeKubeconfigInput(cmd.kubeconfig, { requireBase64: cmd.requireBase64 });
      parseKubeconfig(yaml);
      const { ciphertext, keyId } = this.cipher.encrypt(yaml);
      // lastCheckedAt null: the new credentials are probed at the next health tick, not an interval later.
      Object.assign(set, { kubeconfigCiphertext: ciphertext, kubeconfigKeyId: keyId, credentialExpiresAt: null, lastCheckedAt: null });
    }
    if (cmd.enabled !== undefined) {
      set.enabled = cmd.enabled;
      if (cmd.enabled) set.lastCheckedAt = null;
      if (!cmd.enabled) Object.assign(set, { healthStatus: 'unknown', healthMessage: 'cluster is disabled', healthCandidateStatus: null, healthCandidateCount: 0 });
    }
    if (cmd.prometheusUrl !== undefined) {
      const url = parsePrometheusUrl(cmd.prometheusUrl);
      Object.assign(set, url ? { prometheusUrl: url, prometheusSource: 'manual' } : { prometheusUrl: null, prometheusSource: 'none' });
    }

    const view = await this.writeTx(async (tx) => {
      if (cmd.isDefault === true) await this.unsetDefault(tx, id);
      if (cmd.isDefault !== undefined) set.isDefault = cmd.isDefault;
      // Re-enabling a disabled cluster must not resurrect its "disabled" message.
      const enabling = cmd.enabled === true ? { healthMessage: sql`CASE WHEN ${clusters.enabled} THEN ${clusters.healthMessage} ELSE 'not checked yet' END` } : {};
      const [row] = await tx
        .update(clusters)
        .set({ ...set, ...enabling, updatedAt: new Date() })
        .where(and(eq(clusters.id, id), live))
        .returning(viewColumns);
      if (!row) throw notFound(id);
      await this.events.publishInTx(tx, { type: 'cluster.changed', clusterId: id, change: 'updated' });
      return toClusterView(row);
    }, set.name);

    if (cmd.kubeconfig !== undefined || cmd.enabled === false) this.lifecycle.credentialsChanged?.(id);
    if (cmd.prometheusUrl !== undefined) {
      if (view.prometheusSource === 'manual') await this.lifecycle.prometheusSetManually?.(id);
      else await this.lifecycle.prometheusSetAutomatic?.(id);
    }
    return view;
  }

  /** Soft delete: the row stays (deleted_at), the name becomes free, the cluster stops being the default. */
  async remove(id: number): Promise<void> {
    await this.writeTx(async (tx) => {
      const [row] = await tx
        .update(clusters)
        .set({ deletedAt: new Date(), isDefault: false, updatedAt: new Date() })
        .where(and(eq(clusters.id, id), live))
        .returning({ id: clusters.id });
      if (!row) throw notFound(id);
      await this.events.publishInTx(tx, { type: 'cluster.changed', clusterId: id, change: 'deleted' });
    });
    this.lifecycle.credentialsChanged?.(id);
    await this.lifecycle.removed?.(id);
  }

  private async assertNameFree(name: string): Promise<void> {
    const [row] = await this.db
      .select({ id: clusters.id })
      .from(clusters)
      .where(and(sql`lower(${clusters.name}) = lower(${name})`, live));
    if (row) throw duplicateName(name);
  }

  private async unsetDefault(tx: Db, exceptId?: number): Promise<void> {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${DEFAULT_SWITCH_LOCK})`);
    await tx
      .update(clusters)
      .set({ isDefault: false, updatedAt: new Date() })
      .where(and(eq(clusters.isDefault, true), live, exceptId === undefined ? undefined : sql`${clusters.id} <> ${exceptId}`));
  }

  /** Runs a write in a transaction; the database's unique index, not a prior check, decides duplicate names. */
  private async writeTx<T>(work: (tx: Db) => Promise<T>, name?: string): Promise<T> {
    try {
      const result = await this.db.transaction((tx) => work(tx as unknown as Db));
      // Read-your-writes on this replica without waiting for the NOTIFY round trip.
      this.listCache.invalidate();
      return result;
    } catch (err) {
      if (isUniqueViolation(err, NAME_INDEX)) throw duplicateName(name ?? '');
      throw err;
    }
  }
}

/** Parses a client-supplied cluster id: a positive 32-bit integer, else a `ValidationError` naming `field`. */
export function parseClusterId(raw: string | number, field = 'id'): number {
  const text = String(raw).trim();
  if (!/^\d{1,30}$/.test(text) || Number(text) < 1) throw new ValidationError(field, 'must be a positive integer');
  const id = Number(text);
  if (id > 2_147_483_647) throw new NotFoundError(`cluster ${text} not found`);
  return id;
}

const notFound = (id: number) => new NotFoundError(`cluster ${id} not found`);
const duplicateName = (name: string) => new ValidationError('name', `a cluster named "${name}" already exists`);
