import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { liveCluster } from '../clusters/cluster.repository.js';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { isUniqueViolation } from '../db/errors.js';
import { clusters, discoveryTasks, type DiscoveryTaskRow } from '../db/schema.js';
import type { DiscoveryTaskSnapshot, EventBus, GatewayEvent } from '../events/event-bus.js';
import type { TransactionalOutbox } from '../events/outbox.js';

const ACTIVE = ['pending', 'running'] as const;
const TASK_COLUMNS = sql.raw(`id, cluster_id AS "clusterId", state, message, candidates_checked AS "candidatesChecked",
  prometheus_url AS "prometheusUrl", started_at AS "startedAt", finished_at AS "finishedAt", created_at AS "createdAt"`);

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** The event for a task transition, with the task's state at that moment (NOTIFY payloads must stay under 8 KB). */
function taskEvent(
  row: Pick<
    DiscoveryTaskRow,
    'id' | 'clusterId' | 'state' | 'message' | 'candidatesChecked' | 'prometheusUrl' | 'startedAt' | 'finishedAt' | 'createdAt'
  >,
): GatewayEvent {
  const task: DiscoveryTaskSnapshot = {
    state: row.state,
    message: row.message === null ? null : row.message.slice(0, 2_000),
    candidatesChecked: row.candidatesChecked,
    prometheusUrl: row.prometheusUrl,
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    createdAt: iso(row.createdAt)!,
  };
  return { type: 'discovery.changed', clusterId: row.clusterId, taskId: row.id, task };
}
const ONE_ACTIVE_INDEX = 'discovery_tasks_one_active_uq';

export type TaskOutcome = { state: 'found'; prometheusUrl: string; message: string } | { state: 'not_found' | 'failed'; message: string };

/**
 * Discovery tasks in PostgreSQL. "At most one active task per cluster" is the unique partial index, so two replicas
 * (or twenty parallel C7 calls) cannot both start one; every state change publishes an event in its transaction.
 */
export class DiscoveryRepository {
  constructor(
    private readonly db: Db,
    private readonly events: EventBus,
    /** DISCOVERY_FINISHED is recorded in the transaction that finishes the task (events/outbox.ts). */
    private readonly outbox?: TransactionalOutbox,
  ) {}

  /** Inserts a PENDING task, first failing any task whose owner's lease ran out. Returns null if one is active. */
  async createPending(clusterId: number, owner: string, leaseSeconds: number): Promise<DiscoveryTaskRow | null> {
    try {
      return await this.db.transaction(async (tx) => {
        await this.failExpired(tx as unknown as Db, clusterId);
        // Leased from birth: a replica that dies before starting the task must not block the cluster forever.
        const [task] = await tx
          .insert(discoveryTasks)
          .values({
            clusterId,
            state: 'pending',
            message: 'waiting to start',
            owner,
            leaseUntil: sql`now() + make_interval(secs => ${leaseSeconds})`,
          })
          .returning();
        await this.events.publishInTx(tx as unknown as Db, taskEvent(task!));
        return task!;
      });
    } catch (err) {
      if (isUniqueViolation(err, ONE_ACTIVE_INDEX)) return null;
      throw err;
    }
  }

  /** PENDING → RUNNING, claimed by `owner` with a lease. False if the task was cancelled meanwhile. */
  async markRunning(taskId: number, clusterId: number, owner: string, leaseSeconds: number): Promise<boolean> {
    return this.transition(
      taskId,
      clusterId,
      ['pending'],
      {
        state: 'running',
        leaseUntil: sql`now() + make_interval(secs => ${leaseSeconds})`,
        startedAt: sql`now()`,
        message: 'looking for Prometheus candidates',
      },
      owner,
    );
  }

  /** Progress while RUNNING; false means the task is no longer ours to run (cancelled or taken over). */
  async progress(taskId: number, clusterId: number, owner: string, candidatesChecked: number, message: string): Promise<boolean> {
    return this.transition(taskId, clusterId, ['running'], { candidatesChecked, message }, owner);
  }

  /**
   * Finishes a RUNNING task. A found URL is stored on the cluster in the same transaction, unless an operator set one
   * by hand meanwhile (manual always wins) or the cluster was deleted.
   */
  async finish(taskId: number, clusterId: number, owner: string, candidatesChecked: number, outcome: TaskOutcome): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const db = tx as unknown as Db;
      const [row] = await db
        .update(discoveryTasks)
        .set({
          state: outcome.state,
          message: outcome.message,
          candidatesChecked,
          prometheusUrl: outcome.state === 'found' ? outcome.prometheusUrl : null,
          finishedAt: sql`now()`,
          leaseUntil: null,
          updatedAt: sql`now()`,
        })
        .where(and(eq(discoveryTasks.id, taskId), eq(discoveryTasks.state, 'running'), eq(discoveryTasks.owner, owner)))
        .returning();
      if (!row) return false;
      if (outcome.state === 'found') {
        const updated = await db
          .update(clusters)
          .set({ prometheusUrl: outcome.prometheusUrl, prometheusSource: 'auto', updatedAt: sql`now()` })
          .where(and(eq(clusters.id, clusterId), sql`${clusters.prometheusSource} <> 'manual'`, liveCluster))
          .returning({ id: clusters.id });
        if (updated.length) await this.events.publishInTx(db, { type: 'cluster.changed', clusterId, change: 'updated' });
      }
      await this.events.publishInTx(db, taskEvent(row));
      await this.outbox?.recordInTx(db, {
        event: 'discovery_finished',
        clusterId,
        data: { state: outcome.state, message: outcome.message, prometheusUrl: outcome.state === 'found' ? outcome.prometheusUrl : null },
      });
      return true;
    });
  }

  /** Cancels the cluster's active task, if any (manual URL, delete). Returns the cancelled task id. */
  async cancelActive(clusterId: number, reason: string): Promise<number | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(discoveryTasks)
        .set({ state: 'cancelled', message: reason, finishedAt: sql`now()`, leaseUntil: null, updatedAt: sql`now()` })
        .where(and(eq(discoveryTasks.clusterId, clusterId), inArray(discoveryTasks.state, [...ACTIVE])))
        .returning();
      if (row) await this.events.publishInTx(tx as unknown as Db, taskEvent(row));
      return row?.id;
    });
  }

  /** Fails active tasks whose owner stopped renewing its lease (a replica died): they must never block C7. */
  async failExpired(db: Db = this.db, clusterId?: number): Promise<number> {
    const result = await db.execute(sql`
      UPDATE discovery_tasks SET state = 'failed', finished_at = now(), lease_until = NULL, updated_at = now(),
        message = 'the replica running this task stopped responding (lease expired)'
      WHERE state IN ('pending', 'running') AND lease_until IS NOT NULL AND lease_until < now()
        ${clusterId === undefined ? sql`` : sql`AND cluster_id = ${clusterId}`}
      RETURNING ${TASK_COLUMNS}`);
    const rows = rowsOf<DiscoveryTaskRow>(result);
    for (const r of rows) await this.events.publishInTx(db, taskEvent(r));
    return rows.length;
  }

  /** Hands back this replica's running tasks on shutdown: failed with a clear reason, so C7 works at once. */
  async abandon(owner: string): Promise<void> {
    const result = await this.db.execute(sql`
      UPDATE discovery_tasks SET state = 'failed', finished_at = now(), lease_until = NULL, updated_at = now(),
        message = 'the gateway replica running this task shut down; start a new discovery'
      WHERE state IN ('pending', 'running') AND owner = ${owner}
      RETURNING ${TASK_COLUMNS}`);
    for (const r of rowsOf<DiscoveryTaskRow>(result)) await this.events.publish(taskEvent(r)).catch(() => {});
  }

  /** The cluster as discovery needs it: null when it does not exist (or was deleted). */
  async cluster(
    clusterId: number,
  ): Promise<{ id: number; enabled: boolean; prometheusSource: string; prometheusUrl: string | null; ciphertext: string } | null> {
    const [row] = await this.db
      .select({
        id: clusters.id,
        enabled: clusters.enabled,
        prometheusSource: clusters.prometheusSource,
        prometheusUrl: clusters.prometheusUrl,
        ciphertext: clusters.kubeconfigCiphertext,
      })
      .from(clusters)
      .where(and(eq(clusters.id, clusterId), liveCluster));
    return row ?? null;
  }

  async latest(clusterId: number): Promise<DiscoveryTaskRow | undefined> {
    const [row] = await this.db
      .select()
      .from(discoveryTasks)
      .where(eq(discoveryTasks.clusterId, clusterId))
      .orderBy(desc(discoveryTasks.id))
      .limit(1);
    return row;
  }

  /**
   * The latest task of each of these clusters, in one query (the GraphQL `discovery` field batches through this, so
   * aliases and long lists cost one round trip per request). Clusters without a task are absent from the map.
   */
  async latestForClusters(clusterIds: readonly number[]): Promise<Map<number, DiscoveryTaskRow>> {
    const found = new Map<number, DiscoveryTaskRow>();
    if (clusterIds.length === 0) return found;
    const rows = await this.db
      .selectDistinctOn([discoveryTasks.clusterId])
      .from(discoveryTasks)
      .where(inArray(discoveryTasks.clusterId, [...new Set(clusterIds)]))
      .orderBy(discoveryTasks.clusterId, desc(discoveryTasks.id));
    for (const row of rows) found.set(row.clusterId, row);
    return found;
  }

  private async transition(
    taskId: number,
    _clusterId: number,
    from: readonly ('pending' | 'running')[],
    set: Record<string, unknown>,
    owner?: string,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(discoveryTasks)
        .set({ ...set, updatedAt: sql`now()` } as unknown as Partial<DiscoveryTaskRow>)
        .where(and(eq(discoveryTasks.id, taskId), inArray(discoveryTasks.state, [...from]), owner ? eq(discoveryTasks.owner, owner) : undefined))
        .returning();
      if (row) await this.events.publishInTx(tx as unknown as Db, taskEvent(row));
      return Boolean(row);
    });
  }
}
