import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import type { HealthStatusValue } from '../db/schema.js';
import { HEALTHY_STATES, type LastSeen, REACHABLE_STATES, type WindowSums } from './availability.js';

/** One stored transition, as history pages show it. */
export interface HealthEventView {
  id: number;
  clusterId: number;
  at: Date;
  from: HealthStatusValue;
  to: HealthStatusValue;
  message: string | null;
}

/** Where a newest-first page continues: strictly older than this (at, id). */
export interface HistoryPosition {
  at: Date;
  id: number;
}

const inList = (values: readonly (number | string)[]): SQL =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );
const iso = (d: Date) => d.toISOString();

/**
 * The disable path's transition (cluster.repository.ts): disabling a probed cluster shows UNKNOWN, and that committed
 * change is a history row like any other. Run inside the disabling transaction, before the update.
 */
export function recordDisableTransition(clusterId: number): SQL {
  return sql`
    WITH old AS (SELECT id, health_status FROM clusters WHERE id = ${clusterId} AND deleted_at IS NULL AND enabled FOR UPDATE)
    INSERT INTO cluster_health_events (cluster_id, from_status, to_status, message)
    SELECT id, health_status, 'unknown', 'cluster is disabled' FROM old WHERE health_status <> 'unknown'`;
}

/**
 * Health history in PostgreSQL. Rows are written by the health domain's batch write (health.repository.ts), in the
 * statement that commits each transition; this repository reads, sums and prunes them.
 */
export class HealthHistoryRepository {
  constructor(private readonly db: Db) {}

  /** Newest first; `limit + 1` rows are read so the caller knows whether another page exists. */
  async page(clusterId: number, opts: { limit: number; since?: Date; before?: HistoryPosition }): Promise<HealthEventView[]> {
    const since = opts.since ? sql`AND at >= ${iso(opts.since)}::timestamptz` : sql``;
    const before = opts.before ? sql`AND (at, id) < (${iso(opts.before.at)}::timestamptz, ${opts.before.id})` : sql``;
    const result = await this.db.execute(sql`
      SELECT id, cluster_id AS "clusterId", at, from_status AS "from", to_status AS "to", message
      FROM cluster_health_events WHERE cluster_id = ${clusterId} ${since} ${before}
      ORDER BY at DESC, id DESC LIMIT ${opts.limit + 1}`);
    return rowsOf<HealthEventView>(result).map((r) => ({ ...r, id: Number(r.id), clusterId: Number(r.clusterId), at: new Date(r.at) }));
  }

  /**
   * Seconds per category in [start, now] for many clusters in one statement. Each transition opens a segment that the
   * next one (or `now`) closes; the newest transition at or before `start` gives the state the window opens in.
   */
  async windowSums(clusterIds: readonly number[], start: Date, now: Date): Promise<Map<number, WindowSums>> {
    if (clusterIds.length === 0) return new Map();
    const ids = inList(clusterIds);
    const result = await this.db.execute(sql`
      WITH e AS (
        (SELECT cluster_id, at, id, to_status FROM cluster_health_events
          WHERE cluster_id IN (${ids}) AND at > ${iso(start)}::timestamptz AND at <= ${iso(now)}::timestamptz)
        UNION ALL
        (SELECT DISTINCT ON (cluster_id) cluster_id, at, id, to_status FROM cluster_health_events
          WHERE cluster_id IN (${ids}) AND at <= ${iso(start)}::timestamptz ORDER BY cluster_id, at DESC, id DESC)
      ), seg AS (
        SELECT cluster_id, to_status, extract(epoch FROM
          coalesce(lead(at) OVER (PARTITION BY cluster_id ORDER BY at, id), ${iso(now)}::timestamptz)
          - greatest(at, ${iso(start)}::timestamptz))::float8 AS seconds
        FROM e
      )
      SELECT cluster_id AS "clusterId",
        coalesce(sum(seconds) FILTER (WHERE to_status <> 'unknown'), 0)::float8 AS observed,
        coalesce(sum(seconds) FILTER (WHERE to_status IN (${inList(HEALTHY_STATES)})), 0)::float8 AS healthy,
        coalesce(sum(seconds) FILTER (WHERE to_status IN (${inList(REACHABLE_STATES)})), 0)::float8 AS reachable
      FROM seg GROUP BY cluster_id`);
    type Row = { clusterId: number; observed: number; healthy: number; reachable: number };
    return new Map(
      rowsOf<Row>(result).map((r) => [
        Number(r.clusterId),
        { observed: Number(r.observed), healthy: Number(r.healthy), reachable: Number(r.reachable) },
      ]),
    );
  }

  /**
   * When each cluster was last healthy / reachable: its last check while it still is, else the moment of the newest
   * transition out of such a state (a later transition from such a state is always that exit). One statement.
   */
  async lastSeen(clusterIds: readonly number[]): Promise<Map<number, LastSeen>> {
    if (clusterIds.length === 0) return new Map();
    const healthy = inList(HEALTHY_STATES);
    const reachable = inList(REACHABLE_STATES);
    const result = await this.db.execute(sql`
      SELECT c.id,
        CASE WHEN c.health_status IN (${healthy}) THEN c.last_checked_at
          ELSE (SELECT max(x.at) FROM cluster_health_events x WHERE x.cluster_id = c.id AND x.from_status IN (${healthy})) END AS "lastHealthyAt",
        CASE WHEN c.health_status IN (${reachable}) THEN c.last_checked_at
          ELSE (SELECT max(x.at) FROM cluster_health_events x WHERE x.cluster_id = c.id AND x.from_status IN (${reachable})) END AS "lastReachableAt"
      FROM clusters c WHERE c.id IN (${inList(clusterIds)})`);
    type Row = { id: number; lastHealthyAt: string | Date | null; lastReachableAt: string | Date | null };
    const date = (v: string | Date | null) => (v === null ? null : new Date(v));
    return new Map(
      rowsOf<Row>(result).map((r) => [Number(r.id), { lastHealthyAt: date(r.lastHealthyAt), lastReachableAt: date(r.lastReachableAt) }]),
    );
  }

  /**
   * Stores transitions with the times given. The health write path inserts its own rows in its batch statement; this is
   * for transitions learned elsewhere (and how tests lay down a history with exact timestamps).
   */
  async insert(events: readonly Omit<HealthEventView, 'id'>[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map((e) => sql`(${e.clusterId}, ${iso(e.at)}::timestamptz, ${e.from}::health_status, ${e.to}::health_status, ${e.message})`);
    await this.db.execute(sql`INSERT INTO cluster_health_events (cluster_id, at, from_status, to_status, message) VALUES ${sql.join(rows, sql`, `)}`);
  }

  /**
   * Deletes transitions older than `days`, except each cluster's newest one before the cutoff: that row is the state
   * the retained period opens in, without which availability could not tell what the cluster was doing then.
   */
  async prune(days: number): Promise<number> {
    const result = await this.db.execute(sql`
      WITH cutoff AS (SELECT now() - make_interval(days => ${days}) AS t),
      keep AS (
        SELECT DISTINCT ON (cluster_id) id FROM cluster_health_events, cutoff WHERE at < cutoff.t ORDER BY cluster_id, at DESC, id DESC
      ), d AS (
        DELETE FROM cluster_health_events USING cutoff WHERE at < cutoff.t AND id NOT IN (SELECT id FROM keep) RETURNING 1
      )
      SELECT count(*)::int AS n FROM d`);
    return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
  }
}
