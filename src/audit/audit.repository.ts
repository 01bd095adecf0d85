import { and, desc, eq, gte, lt, lte, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { auditEvents } from '../db/schema.js';
import { type AuditEventView, CLUSTER_NAME_CAP, type StoredAuditEntry } from './audit-entry.js';

/** Parsed filters of an audit page (audit.manager.ts parses what clients send). */
export interface AuditQuery {
  clusterId?: number;
  actor?: string;
  action?: string;
  since?: Date;
  until?: Date;
  /** Only events older than this id (the cursor). */
  beforeId?: number;
  limit: number;
}

/** Rows deleted per statement while pruning, so a large backlog never holds one long lock. */
const PRUNE_BATCH = 5_000;

/** The audit log's SQL: append, page newest first, claim a periodic job, prune. Nothing here updates an event. */
export class AuditRepository {
  constructor(private readonly db: Db) {}

  async append(entry: StoredAuditEntry): Promise<void> {
    await this.db.insert(auditEvents).values(entry);
  }

  /**
   * The same append as an INSERT to embed in another statement (a data-modifying CTE) or run in another transaction:
   * one event per row of `source`, a relation whose `id` and `name` columns name the cluster written.
   */
  appendFrom(entry: Omit<StoredAuditEntry, 'clusterId' | 'clusterName'>, source: SQL): SQL {
    return sql`
      INSERT INTO audit_events (actor, action, cluster_id, cluster_name, target, outcome, request_id, source_ip)
      SELECT ${entry.actor}::text, ${entry.action}::text, id, left(name, ${CLUSTER_NAME_CAP}), ${entry.target}::text,
        ${entry.outcome}::smallint, ${entry.requestId}::text, ${entry.sourceIp}::text
      FROM ${source}`;
  }

  /** Newest first by id: events appended while a client pages land before its first page, never between pages. */
  async page(q: AuditQuery): Promise<AuditEventView[]> {
    const conditions: (SQL | undefined)[] = [
      q.clusterId === undefined ? undefined : eq(auditEvents.clusterId, q.clusterId),
      q.actor === undefined ? undefined : eq(auditEvents.actor, q.actor),
      q.action === undefined ? undefined : eq(auditEvents.action, q.action),
      q.since === undefined ? undefined : gte(auditEvents.at, q.since),
      q.until === undefined ? undefined : lte(auditEvents.at, q.until),
      q.beforeId === undefined ? undefined : lt(auditEvents.id, q.beforeId),
    ];
    const rows = await this.db
      .select()
      .from(auditEvents)
      .where(and(...conditions))
      .orderBy(desc(auditEvents.id))
      .limit(q.limit);
    return rows.map((r) => ({ ...r, id: String(r.id) }));
  }

  /** Deletes events older than `days` days, in batches; returns how many went. */
  async deleteOlderThan(days: number): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.db.execute(sql`
        WITH gone AS (
          DELETE FROM audit_events WHERE id IN (
            SELECT id FROM audit_events WHERE at < now() - make_interval(days => ${days}) LIMIT ${PRUNE_BATCH}
          ) RETURNING 1
        ) SELECT count(*)::int AS n FROM gone`);
      const deleted = Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
      total += deleted;
      if (deleted < PRUNE_BATCH) return total;
    }
  }
}
