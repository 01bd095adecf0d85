import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/db/rows.js';
import type { Gateway } from '../../src/gateway.js';

/** Every column of every row of the tables a request could change, in a form `toEqual` can compare. */
export interface TableSnapshot {
  clusters: Record<string, unknown>[];
  discovery_tasks: Record<string, unknown>[];
}

// Drivers disagree on types (Date vs string, bigint vs number); the comparison must only see real changes.
function normalise(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? v.toString() : v]),
  );
}

/** `SELECT *` of `clusters` and `discovery_tasks`, ordered by id: taken before and after a hostile batch. */
export async function snapshotTables(gw: Gateway): Promise<TableSnapshot> {
  const db = gw.database.db;
  const clusters = rowsOf<Record<string, unknown>>(await db.execute(sql`SELECT * FROM clusters ORDER BY id`)).map(normalise);
  const tasks = rowsOf<Record<string, unknown>>(await db.execute(sql`SELECT * FROM discovery_tasks ORDER BY id`)).map(normalise);
  return { clusters, discovery_tasks: tasks };
}
