import { type SQL, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { rowsOf } from './rows.js';

/**
 * Generic, schema-agnostic copy of every table of the `public` schema from one database to another with the same
 * migrations applied. Nothing here names a table: whatever the migrations create (clusters, discovery tasks, and any
 * table a later feature adds) is enumerated from the catalogue, so a new table is copied without a code change.
 */

export interface TablePlan {
  name: string;
  /** Columns that take a value on insert (generated columns are recomputed by the target). */
  columns: string[];
}

export interface TableResult {
  name: string;
  rows: number;
}

/** Row-set fingerprint: count and an md5 over every row's text form, in a collation-independent order. */
interface Fingerprint {
  rows: number;
  digest: string;
}

const q = async <T>(db: Db, query: SQL): Promise<T[]> => rowsOf<T>(await db.execute(query));
const table = (name: string) => sql`public.${sql.identifier(name)}`;
const columnList = (columns: string[]) =>
  sql.join(
    columns.map((c) => sql.identifier(c)),
    sql`, `,
  );

/** Every ordinary table of `public`, parents before children (foreign keys), then by name for a stable order. */
export async function tablesInDependencyOrder(db: Db): Promise<TablePlan[]> {
  const tables = await q<{ name: string }>(
    db,
    sql`SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT c.relispartition ORDER BY c.relname`,
  );
  const edges = await q<{ child: string; parent: string }>(
    db,
    sql`SELECT ch.relname AS child, pa.relname AS parent FROM pg_constraint k
        JOIN pg_class ch ON ch.oid = k.conrelid JOIN pg_class pa ON pa.oid = k.confrelid
        JOIN pg_namespace n ON n.oid = ch.relnamespace
        WHERE k.contype = 'f' AND n.nspname = 'public' AND k.conrelid <> k.confrelid`,
  );
  const columns = await q<{ table: string; column: string }>(
    db,
    sql`SELECT table_name AS "table", column_name AS "column" FROM information_schema.columns
        WHERE table_schema = 'public' AND is_generated = 'NEVER' ORDER BY table_name, ordinal_position`,
  );
  const parents = new Map(tables.map((t) => [t.name, new Set<string>()]));
  for (const e of edges) parents.get(e.child)?.add(e.parent);
  const ordered: string[] = [];
  const placed = new Set<string>();
  while (ordered.length < tables.length) {
    const ready = tables.map((t) => t.name).filter((n) => !placed.has(n) && [...parents.get(n)!].every((p) => placed.has(p) || p === n));
    // A foreign-key cycle between tables: no order satisfies it row by row, so it is reported rather than guessed.
    if (ready.length === 0)
      throw new Error(
        `foreign keys form a cycle among: ${tables
          .map((t) => t.name)
          .filter((n) => !placed.has(n))
          .join(', ')}`,
      );
    for (const n of ready) {
      placed.add(n);
      ordered.push(n);
    }
  }
  return ordered.map((name) => ({ name, columns: columns.filter((c) => c.table === name).map((c) => c.column) }));
}

/** Tables of `public` that hold at least one row. */
export async function nonEmptyTables(db: Db): Promise<string[]> {
  const found: string[] = [];
  for (const t of await tablesInDependencyOrder(db)) {
    const [row] = await q<{ any: boolean }>(db, sql`SELECT EXISTS (SELECT 1 FROM ${table(t.name)}) AS "any"`);
    if (row?.any) found.push(t.name);
  }
  return found;
}

/** The target must have every table and column the source has (same migrations); anything else is refused up front. */
export function assertSameShape(source: TablePlan[], target: TablePlan[]): void {
  const targetTables = new Map(target.map((t) => [t.name, new Set(t.columns)]));
  for (const t of source) {
    const cols = targetTables.get(t.name);
    if (!cols) throw new Error(`the target database has no table "${t.name}" (is it on an older version of the schema?)`);
    const missing = t.columns.filter((c) => !cols.has(c));
    if (missing.length) throw new Error(`the target table "${t.name}" has no column ${missing.map((c) => `"${c}"`).join(', ')}`);
  }
}

/** Rows per batch: about 4 MB of row data, between 1 and 1,000 rows (kubeconfig ciphertexts can be large). */
async function batchSize(db: Db, name: string): Promise<number> {
  const [row] = await q<{ avg: number | string | null }>(db, sql`SELECT avg(pg_column_size(t.*))::float8 AS "avg" FROM ${table(name)} t`);
  const avg = Number(row?.avg ?? 0) || 1;
  return Math.max(1, Math.min(1_000, Math.floor((4 * 1024 * 1024) / avg)));
}

/**
 * Copies one table's rows. Rows travel as JSON (`json_agg` on the source, `json_populate_recordset` on the target), so
 * every column type — enums, timestamps to the microsecond, ciphertext text, bytea, arrays, jsonb — keeps its exact
 * value without a per-type mapping here; OVERRIDING SYSTEM VALUE keeps identity ids. The source is read in physical
 * order, which is stable because nothing writes to it (the DATA_DIR lock).
 */
export async function copyTable(source: Db, target: Db, plan: TablePlan, onProgress: (copied: number, total: number) => void): Promise<number> {
  const [{ n: total } = { n: 0 }] = await q<{ n: number }>(source, sql`SELECT count(*)::int AS n FROM ${table(plan.name)}`);
  const size = await batchSize(source, plan.name);
  const cols = columnList(plan.columns);
  let copied = 0;
  while (copied < total) {
    const [batch] = await q<{ rows: string }>(
      source,
      sql`SELECT coalesce(json_agg(t), '[]')::text AS "rows" FROM (SELECT * FROM ${table(plan.name)} ORDER BY ctid LIMIT ${size} OFFSET ${copied}) t`,
    );
    const count = (JSON.parse(batch!.rows) as unknown[]).length;
    if (count === 0) break;
    await target.execute(
      sql`INSERT INTO ${table(plan.name)} (${cols}) OVERRIDING SYSTEM VALUE
          SELECT ${cols} FROM json_populate_recordset(NULL::${table(plan.name)}, ${batch!.rows}::json)`,
    );
    copied += count;
    onProgress(copied, total);
  }
  return copied;
}

/** Count plus an md5 of all rows as text, ordered byte-wise ("C") so the two servers' collations cannot differ. */
export async function fingerprint(db: Db, name: string): Promise<Fingerprint> {
  const [row] = await q<{ rows: number; digest: string }>(
    db,
    sql`SELECT count(*)::int AS "rows", md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE "C"), '')) AS "digest" FROM ${table(name)} t`,
  );
  return { rows: row!.rows, digest: row!.digest };
}

/**
 * Sequences (identity columns included) continue where the source left them: the source's `last_value`, not the
 * table's max id, so an id that was handed out and then deleted is not handed out again.
 */
export async function copySequences(source: Db, target: Db): Promise<number> {
  const seqs = await q<{ name: string; last: string | null }>(
    source,
    sql`SELECT sequencename AS "name", last_value::text AS "last" FROM pg_sequences WHERE schemaname = 'public'`,
  );
  let set = 0;
  for (const s of seqs) {
    if (s.last === null) continue; // never used: the target's fresh sequence is already in the same state
    await target.execute(sql`SELECT setval(${`public.${quoteIdent(s.name)}`}::regclass, ${s.last}::bigint, true)`);
    set++;
  }
  return set;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export async function truncateAll(target: Db, tables: TablePlan[]): Promise<void> {
  if (tables.length === 0) return;
  await target.execute(
    sql`TRUNCATE ${sql.join(
      tables.map((t) => table(t.name)),
      sql`, `,
    )} RESTART IDENTITY CASCADE`,
  );
}
