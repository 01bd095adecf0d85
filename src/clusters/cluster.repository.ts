import { and, asc, eq, inArray, isNull, notExists, type SQL, sql } from 'drizzle-orm';
import type { WriteAudit } from '../audit/audited-writes.js';
import type { Db } from '../db/client.js';
import { executePrepared } from '../db/prepared.js';
import { rowsOf } from '../db/rows.js';
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

/**
 * The view columns under their view names, for raw statements (RETURNING, CTEs); mapped by `viewOfRaw`. One raw chunk
 * (the names are the schema's own): building it from identifiers was a visible part of each statement's CPU.
 */
export const RAW_VIEW_COLUMNS: SQL = sql.raw(
  Object.entries(viewColumns)
    .map(([name, column]) => `"${column.name}" AS "${name}"`)
    .join(', '),
);

/** A row of `RAW_VIEW_COLUMNS` as a driver returns it from a raw statement: timestamps as text (drizzle's parsers). */
export type RawClusterView = Omit<ClusterView, 'labels' | 'lastConnectedAt' | 'createdAt' | 'updatedAt'> & {
  labels: Record<string, string> | string;
  lastConnectedAt: string | Date | null;
  createdAt: string | Date;
  updatedAt: string | Date;
};

export function viewOfRaw(r: RawClusterView): ClusterView {
  return toClusterView({
    ...r,
    labels: typeof r.labels === 'string' ? (JSON.parse(r.labels) as Record<string, string>) : r.labels,
    lastConnectedAt: r.lastConnectedAt === null ? null : new Date(r.lastConnectedAt),
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
  });
}

/**
 * The SET list of a patch; absent fields stay. A new kubeconfig or a re-enabled cluster is probed at the next health
 * tick (last_checked_at NULL); a disabled one shows UNKNOWN rather than a stale verdict; re-enabling does not resurrect
 * the "disabled" message. `is_default` is only ever set true: the default moves by making another cluster the default.
 */
function assignments(patch: ClusterPatch): SQL[] {
  const set: SQL[] = [];
  if (patch.name !== undefined) set.push(sql`name = ${patch.name}`);
  if (patch.kubeconfig !== undefined) {
    set.push(
      sql`kubeconfig_ciphertext = ${patch.kubeconfig.ciphertext}, kubeconfig_key_id = ${patch.kubeconfig.keyId}, credential_expires_at = NULL`,
    );
  }
  if (patch.kubeconfig !== undefined || patch.enabled === true) set.push(sql`last_checked_at = NULL`);
  if (patch.enabled === false) {
    set.push(sql`health_status = 'unknown', health_message = 'cluster is disabled', health_candidate_status = NULL, health_candidate_count = 0`);
  }
  if (patch.enabled === true) set.push(sql`health_message = CASE WHEN enabled THEN health_message ELSE 'not checked yet' END`);
  if (patch.enabled !== undefined) set.push(sql`enabled = ${patch.enabled}`);
  if (patch.prometheusUrl !== undefined) {
    set.push(
      patch.prometheusUrl
        ? sql`prometheus_url = ${patch.prometheusUrl}, prometheus_source = 'manual'`
        : sql`prometheus_url = NULL, prometheus_source = 'none'`,
    );
  }
  if (patch.isDefault === true) set.push(sql`is_default = true`);
  if (patch.impersonate !== undefined) set.push(sql`impersonate = ${patch.impersonate}`);
  if (patch.labels !== undefined) set.push(sql`labels = ${JSON.stringify(labelsToObject(patch.labels))}::jsonb`);
  set.push(sql`updated_at = now()`);
  return set;
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

  /**
   * Applies a patch to a live cluster; `NotFoundError` when there is none. The update, its `cluster.changed` event, its
   * webhook occurrence and (given `audit`) the caller's audit event are one statement, so they commit together in one
   * round trip. Patches that move the default, disable the cluster or replace its credentials also take the default
   * lock, write a history row or reset a credential alert: those run the same statement inside a transaction.
   */
  async update(id: number, patch: ClusterPatch, audit?: WriteAudit): Promise<ClusterView> {
    const statement = this.updateStatement(id, patch, audit);
    const run = async (db: Pick<Db, '_'>) => {
      const [row] = rowsOf<RawClusterView>(await executePrepared(db, statement));
      if (!row) throw clusterNotFound(id);
      return viewOfRaw(row);
    };
    if (patch.isDefault === undefined && patch.enabled !== false && patch.kubeconfig === undefined) {
      return this.uniqueName(() => run(this.db), patch.name);
    }
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
      const view = await run(tx);
      if (patch.kubeconfig !== undefined) await this.outbox?.credentialsReplacedInTx(tx, id);
      return view;
    }, patch.name);
  }

  /** The UPDATE of a patch with its event, webhook occurrence and audit event, as one statement (see `update`). */
  private updateStatement(id: number, patch: ClusterPatch, audit?: WriteAudit): SQL {
    const notify = this.events.notifyExpression({ type: 'cluster.changed', clusterId: id, change: 'updated' });
    const outboxed = this.outbox ? sql`, outboxed AS (${this.outbox.occurrencesFrom('cluster_updated', sql`u`)})` : sql``;
    const audited = audit ? sql`, audited AS (${audit.successFrom(sql`u`)})` : sql``;
    return sql`
      WITH u AS (
        UPDATE clusters SET ${sql.join(assignments(patch), sql`, `)}
        WHERE id = ${id} AND ${liveCluster}
        RETURNING ${RAW_VIEW_COLUMNS}
      )${outboxed}${audited}
      SELECT u.*, ${notify} AS notified FROM u`;
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

  private writeTx<T>(work: (tx: Db) => Promise<T>, name?: string): Promise<T> {
    return this.uniqueName(() => this.db.transaction((tx) => work(tx as unknown as Db)), name);
  }

  /** A write whose unique-name violation is the caller's duplicate name (the index decides, not a prior check). */
  private async uniqueName<T>(write: () => Promise<T>, name?: string): Promise<T> {
    try {
      return await write();
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
