import { and, asc, eq, inArray, isNull, notExists, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { type ClusterRow, clusters } from '../db/schema.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import { recordDisableTransition } from '../fleet/health-history.repository.js';
import type { TransactionalOutbox } from '../events/outbox.js';
import type { ClusterPage, ClusterQuery } from '../fleet/cluster-query.js';
import { selectClusterPage } from '../fleet/cluster-page.repository.js';
import { type ClusterLabel, labelsFromObject, labelsToObject } from '../fleet/labels.js';
import type { ClusterView } from './cluster.view.js';

/**
 * The one "live cluster" predicate: a soft-deleted cluster (deleted_at set) does not exist for anyone. Every query on
 * `clusters` (here, health.repository.ts, discovery.repository.ts) uses it, in drizzle or inside raw `sql` templates.
 */
export const liveCluster: SQL = isNull(clusters.deletedAt);

/** Columns selected for views: everything but the ciphertext and bookkeeping, so lists never read credentials. */
export const viewColumns = {
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
  impersonate: clusters.impersonate,
  labels: clusters.labels,
  createdAt: clusters.createdAt,
  updatedAt: clusters.updatedAt,
} satisfies { [K in keyof ClusterView]: unknown };

/** The one row mapper from stored columns to the view every transport renders. */
export function toClusterView(row: Pick<ClusterRow, keyof ClusterView>): ClusterView {
  return {
    id: row.id,
    name: row.name,
    isDefault: row.isDefault,
    enabled: row.enabled,
    healthStatus: row.healthStatus,
    healthMessage: row.healthMessage,
    lastConnectedAt: row.lastConnectedAt,
    kubernetesVersion: row.kubernetesVersion,
    nodeCount: row.nodeCount,
    readyNodeCount: row.readyNodeCount,
    podCount: row.podCount,
    prometheusUrl: row.prometheusUrl,
    prometheusSource: row.prometheusSource,
    impersonate: row.impersonate,
    labels: labelsFromObject(row.labels),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The encrypted kubeconfig as stored (see kubeconfig-cipher.ts). */
export interface StoredKubeconfig {
  ciphertext: string;
  keyId: string;
}

/** A cluster to insert, as the registry decided it (name parsed, kubeconfig encrypted, first health known). */
export interface NewCluster {
  name: string;
  kubeconfig: StoredKubeconfig;
  isDefault: boolean;
  enabled: boolean;
  impersonate: boolean;
  healthMessage: string;
  labels: readonly ClusterLabel[];
  /** Figures of the pre-save connection test, when one ran. */
  facts?: { kubernetesVersion: string | null; nodeCount: number; readyNodeCount: number | null; podCount: number; connectedAt: Date };
}

/** The fields an update changes; absent means unchanged. */
export interface ClusterPatch {
  name?: string;
  kubeconfig?: StoredKubeconfig;
  isDefault?: boolean;
  enabled?: boolean;
  /** A URL set by hand (source MANUAL), or null to return the cluster to automatic discovery (source NONE). */
  prometheusUrl?: string | null;
  impersonate?: boolean;
  /** Replaces the whole label set. */
  labels?: readonly ClusterLabel[];
}

// Serialises every write that decides which cluster is the default (creates, deletes, default switches), so parallel
// calls queue up instead of failing on the unique index, and "is there a default?" cannot change under a decision.
const DEFAULT_SWITCH_LOCK = 7_316_205_002;
const NAME_INDEX = 'clusters_live_name_uq';

/**
 * Clusters in PostgreSQL: the only place drizzle touches the `clusters` table for the registry. Every write runs in a
 * transaction that also publishes its cross-replica `cluster.changed` event (PgEventBus), so both commit together;
 * the database's unique index, not a prior check, decides duplicate names.
 */
export class ClusterRepository {
  /**
   * The single-row reads of every C2 / `cluster(id)` request that misses the cached list, built once: drizzle's query
   * building was a fifth of such a request's CPU (bench/profile.ts), the statement text never changes.
   */
  private readonly byId;
  private readonly ciphertextById;

  constructor(
    private readonly db: Db,
    private readonly events: EventBus,
    /** Webhook occurrences are recorded in each write's own transaction (see events/outbox.ts). */
    private readonly outbox?: TransactionalOutbox,
  ) {
    const id = sql.placeholder('id');
    this.byId = db
      .select(viewColumns)
      .from(clusters)
      .where(and(eq(clusters.id, id), liveCluster))
      .prepare('cluster_by_id');
    this.ciphertextById = db
      .select({ ciphertext: clusters.kubeconfigCiphertext })
      .from(clusters)
      .where(and(eq(clusters.id, id), liveCluster))
      .prepare('cluster_ciphertext_by_id');
  }

  /** Live clusters, oldest first. */
  async list(): Promise<ClusterView[]> {
    const rows = await this.db.select(viewColumns).from(clusters).where(liveCluster).orderBy(asc(clusters.id));
    return rows.map(toClusterView);
  }

  /**
   * One page of live clusters matching a query, ordered and paged in SQL (fleet/cluster-page.repository.ts). `visibleIds`
   * narrows to the clusters a caller may see (per-cluster access); undefined means all.
   */
  page(query: ClusterQuery, visibleIds?: readonly number[]): Promise<ClusterPage> {
    return selectClusterPage(this.db, query, visibleIds);
  }

  async findById(id: number): Promise<ClusterView | undefined> {
    const [row] = await this.byId.execute({ id });
    return row && toClusterView(row);
  }

  /** Names are unique case-insensitively among live clusters. */
  async findByName(name: string): Promise<ClusterView | undefined> {
    const [row] = await this.db
      .select(viewColumns)
      .from(clusters)
      .where(and(sql`lower(${clusters.name}) = lower(${name})`, liveCluster));
    return row && toClusterView(row);
  }

  async findDefault(): Promise<ClusterView | undefined> {
    const [row] = await this.db
      .select(viewColumns)
      .from(clusters)
      .where(and(eq(clusters.isDefault, true), liveCluster));
    return row && toClusterView(row);
  }

  /** Live clusters per health status (metrics). */
  async countByHealth(): Promise<Record<string, number>> {
    const rows = await this.db
      .select({ status: clusters.healthStatus, n: sql<number>`count(*)::int` })
      .from(clusters)
      .where(liveCluster)
      .groupBy(clusters.healthStatus);
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async ciphertextOf(id: number): Promise<string | undefined> {
    const [row] = await this.ciphertextById.execute({ id });
    return row?.ciphertext;
  }

  /** Inserts a cluster; it becomes the default when asked to, and also when no live cluster is the default yet. */
  async insert(c: NewCluster): Promise<ClusterView> {
    return this.writeTx(async (tx) => {
      await lockDefault(tx);
      if (c.isDefault) await this.unsetDefault(tx);
      const [row] = await tx
        .insert(clusters)
        .values({
          name: c.name,
          kubeconfigCiphertext: c.kubeconfig.ciphertext,
          kubeconfigKeyId: c.kubeconfig.keyId,
          isDefault: c.isDefault ? true : sql`NOT EXISTS (SELECT 1 FROM ${clusters} WHERE ${clusters.isDefault} AND ${liveCluster})`,
          enabled: c.enabled,
          impersonate: c.impersonate,
          labels: labelsToObject(c.labels),
          healthMessage: c.healthMessage,
          ...(c.facts
            ? {
                kubernetesVersion: c.facts.kubernetesVersion,
                nodeCount: c.facts.nodeCount,
                readyNodeCount: c.facts.readyNodeCount,
                podCount: c.facts.podCount,
                lastConnectedAt: c.facts.connectedAt,
              }
            : {}),
        })
        .returning(viewColumns);
      await this.events.publishInTx(tx, { type: 'cluster.changed', clusterId: row!.id, change: 'created' });
      await this.outbox?.recordInTx(tx, { event: 'cluster_created', clusterId: row!.id });
      return toClusterView(row!);
    }, c.name);
  }

  /** Applies a patch to a live cluster; `NotFoundError` when there is none. */
  async update(id: number, patch: ClusterPatch): Promise<ClusterView> {
    const set: Partial<typeof clusters.$inferInsert> = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.kubeconfig !== undefined) {
      // lastCheckedAt null: the new credentials are probed at the next health tick, not an interval later.
      Object.assign(set, {
        kubeconfigCiphertext: patch.kubeconfig.ciphertext,
        kubeconfigKeyId: patch.kubeconfig.keyId,
        credentialExpiresAt: null,
        lastCheckedAt: null,
      });
    }
    if (patch.enabled === true) set.lastCheckedAt = null;
    // A disabled cluster is not probed, so its health is UNKNOWN rather than a stale verdict.
    if (patch.enabled === false)
      Object.assign(set, { healthStatus: 'unknown', healthMessage: 'cluster is disabled', healthCandidateStatus: null, healthCandidateCount: 0 });
    if (patch.enabled !== undefined) set.enabled = patch.enabled;
    if (patch.prometheusUrl !== undefined) {
      Object.assign(
        set,
        patch.prometheusUrl ? { prometheusUrl: patch.prometheusUrl, prometheusSource: 'manual' } : { prometheusUrl: null, prometheusSource: 'none' },
      );
    }
    // Only `true` is written: the default moves by making another cluster the default (see below for `false`).
    if (patch.isDefault === true) set.isDefault = true;
    if (patch.impersonate !== undefined) set.impersonate = patch.impersonate;
    if (patch.labels !== undefined) set.labels = labelsToObject(patch.labels);
    // Re-enabling a disabled cluster must not resurrect its "disabled" message.
    const enabling =
      patch.enabled === true ? { healthMessage: sql`CASE WHEN ${clusters.enabled} THEN ${clusters.healthMessage} ELSE 'not checked yet' END` } : {};

    return this.writeTx(async (tx) => {
      if (patch.isDefault === true) await this.unsetDefault(tx, id);
      if (patch.enabled === false) await tx.execute(recordDisableTransition(id));
      if (patch.isDefault === false) {
        // While any live cluster exists exactly one is the default, so the default cannot simply stop being one.
        await lockDefault(tx);
        const [current] = await tx
          .select({ isDefault: clusters.isDefault })
          .from(clusters)
          .where(and(eq(clusters.id, id), liveCluster));
        if (current?.isDefault)
          throw new ValidationError('isDefault', 'the default cluster stays the default until another cluster is made the default');
      }
      const [row] = await tx
        .update(clusters)
        .set({ ...set, ...enabling, updatedAt: new Date() })
        .where(and(eq(clusters.id, id), liveCluster))
        .returning(viewColumns);
      if (!row) throw clusterNotFound(id);
      await this.events.publishInTx(tx, { type: 'cluster.changed', clusterId: id, change: 'updated' });
      await this.outbox?.recordInTx(tx, { event: 'cluster_updated', clusterId: id });
      if (patch.kubeconfig !== undefined) await this.outbox?.credentialsReplacedInTx(tx, id);
      return toClusterView(row);
    }, patch.name);
  }

  /**
   * Soft delete: the row stays (deleted_at), the name becomes free, the cluster stops being the default. When it was
   * the default, the oldest remaining live cluster becomes the default in the same transaction; its id is returned.
   */
  async softDelete(id: number): Promise<{ promotedId?: number }> {
    return this.writeTx(async (tx) => {
      await lockDefault(tx);
      const [row] = await tx
        .update(clusters)
        .set({ deletedAt: new Date(), isDefault: false, updatedAt: new Date() })
        .where(and(eq(clusters.id, id), liveCluster))
        .returning({ id: clusters.id });
      if (!row) throw clusterNotFound(id);
      await this.events.publishInTx(tx, { type: 'cluster.changed', clusterId: id, change: 'deleted' });
      await this.outbox?.recordInTx(tx, { event: 'cluster_deleted', clusterId: id });
      const promotedId = await this.promoteOldestIfNoDefault(tx);
      return { promotedId };
    });
  }

  /** Under the default lock: when no live cluster is the default, the oldest live one (created first) becomes it. */
  private async promoteOldestIfNoDefault(tx: Db): Promise<number | undefined> {
    const oldest = tx.select({ id: clusters.id }).from(clusters).where(liveCluster).orderBy(asc(clusters.createdAt), asc(clusters.id)).limit(1);
    const anyDefault = tx
      .select({ id: clusters.id })
      .from(clusters)
      .where(and(eq(clusters.isDefault, true), liveCluster));
    const [promoted] = await tx
      .update(clusters)
      .set({ isDefault: true, updatedAt: new Date() })
      .where(and(inArray(clusters.id, oldest), notExists(anyDefault)))
      .returning({ id: clusters.id });
    if (promoted) await this.events.publishInTx(tx, { type: 'cluster.changed', clusterId: promoted.id, change: 'updated' });
    return promoted?.id;
  }

  private async unsetDefault(tx: Db, exceptId?: number): Promise<void> {
    await lockDefault(tx);
    await tx
      .update(clusters)
      .set({ isDefault: false, updatedAt: new Date() })
      .where(and(eq(clusters.isDefault, true), liveCluster, exceptId === undefined ? undefined : sql`${clusters.id} <> ${exceptId}`));
  }

  private async writeTx<T>(work: (tx: Db) => Promise<T>, name?: string): Promise<T> {
    try {
      return await this.db.transaction((tx) => work(tx as unknown as Db));
    } catch (err) {
      if (isUniqueViolation(err, NAME_INDEX)) throw duplicateClusterName(name ?? '');
      throw err;
    }
  }
}

/** Transaction-scoped: released at commit or rollback; taking it twice in one transaction is harmless. */
async function lockDefault(tx: Db): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${DEFAULT_SWITCH_LOCK})`);
}

export const clusterNotFound = (id: number) => new NotFoundError(`cluster ${id} not found`);
export const duplicateClusterName = (name: string) => new ValidationError('name', `a cluster named "${name}" already exists`);
