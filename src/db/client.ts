import { existsSync } from 'node:fs';
import { rowsOf } from './rows.js';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { ensurePrivateDir, makeTreePrivate } from '../startup-checks.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import * as schema from './schema.js';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** The database as the rest of the program sees it: one drizzle handle plus the LISTEN/NOTIFY seam. */
export interface Database {
  readonly db: Db;
  readonly driver: 'pglite' | 'postgres';
  /** The PGlite instance itself (pglite driver only): `kube-gateway db backup` dumps its data directory through it. */
  readonly pglite?: PGlite;
  /** Subscribes to a NOTIFY channel; the returned function unsubscribes. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  /** Cheap round trip used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));
// Arbitrary, fixed: serialises migrations when several replicas start against one PostgreSQL.
const MIGRATION_LOCK_KEY = 7_316_205_001;

/** `holder` names who opens an embedded DATA_DIR in its lock file (default: the gateway); see data-dir-lock.ts. */
export type DatabaseTarget =
  | { kind: 'postgres'; url: string }
  | { kind: 'embedded'; dataDir: string; holder?: string }
  | { kind: 'memory' }
  | { kind: 'pglite'; client: PGlite };

/** Opens the database and applies pending migrations. */
export async function openDatabase(target: DatabaseTarget, opts: { migrate?: boolean } = {}): Promise<Database> {
  const database = target.kind === 'postgres' ? await openPostgres(target.url) : await openPglite(target);
  if (opts.migrate !== false) await migrateDatabase(database, target);
  return database;
}

/**
 * PostgreSQL's default 128 MB of shared buffers is sized for a server; the embedded database holds a registry of
 * kilobytes per cluster (the list columns of 10,000 clusters are a few MB), and that reservation was the largest part
 * of the gateway's memory (measured on a 1,000-cluster health sweep: peak RSS 530 MB at 128 MB, ~300 MB at 8 MB).
 */
const PGLITE_OPTIONS = { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=8MB'] };

async function openPglite(target: Exclude<DatabaseTarget, { kind: 'postgres' }>): Promise<Database> {
  let client: PGlite;
  // Embedded files: PGlite writes them 0666 whatever the umask, so they are made 0600 (directories 0700) once open and
  // again once closed; DATA_DIR itself is 0700 throughout.
  let pgdata: string | undefined;
  let releaseLock = () => {};
  if (target.kind === 'pglite') client = target.client;
  else if (target.kind === 'memory') client = await PGlite.create(PGLITE_OPTIONS);
  else {
    ensurePrivateDir(target.dataDir);
    releaseLock = acquireDataDirLock(target.dataDir, target.holder ?? 'a kube-gateway server');
    pgdata = `${target.dataDir}/pgdata`;
    try {
      if (!existsSync(`${pgdata}/PG_VERSION`)) {
        // Several seconds of silence otherwise on a first start.
        process.stderr.write(`initialising the embedded database in ${pgdata}…\n`);
        // initdb grows PGlite's WebAssembly memory to about 570 MB, and WebAssembly memory never shrinks: initialise in
        // an instance of its own and reopen, so a first start runs at the ~140 MB of every later start.
        await (await PGlite.create(pgdata, PGLITE_OPTIONS)).close();
        process.stderr.write('embedded database initialised\n');
      }
      client = await PGlite.create(pgdata, PGLITE_OPTIONS);
    } catch (err) {
      releaseLock();
      throw err;
    }
    makeTreePrivate(pgdata);
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    driver: 'pglite',
    pglite: client,
    listen: async (channel, onPayload) => {
      const unlisten = await client.listen(channel, onPayload);
      return async () => {
        if (!client.closed) await unlisten();
      };
    },
    notify: async (channel, payload) => {
      await client.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    ping: async () => {
      await client.query('SELECT 1');
    },
    close: async () => {
      if (target.kind !== 'pglite' && !client.closed) await client.close();
      if (pgdata) makeTreePrivate(pgdata);
      releaseLock();
    },
  };
}

async function openPostgres(url: string): Promise<Database> {
  const sql = postgres(url, {
    max: 10,
    idle_timeout: 30,
    connect_timeout: 5,
    onnotice: () => {},
    // Keep timestamps as Date objects; drizzle maps them.
  });
  const db = drizzlePostgres(sql, { schema }) as unknown as Db;
  return {
    db,
    driver: 'postgres',
    listen: async (channel, onPayload) => {
      const sub = await sql.listen(channel, onPayload);
      return async () => {
        await sub.unlisten().catch(() => {});
      };
    },
    notify: async (channel, payload) => {
      await sql.notify(channel, payload);
    },
    ping: async () => {
      await sql`SELECT 1`;
    },
    close: async () => {
      await sql.end({ timeout: 5 });
    },
  };
}

async function migrateDatabase(database: Database, target: DatabaseTarget): Promise<void> {
  if (database.driver === 'pglite') {
    await migratePglite(database.db as never, { migrationsFolder: MIGRATIONS_FOLDER });
    return;
  }
  // A dedicated single connection holds the advisory lock for the whole migration.
  const sql = postgres((target as { url: string }).url, { max: 1, onnotice: () => {} });
  try {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await migratePostgres(drizzlePostgres(sql), { migrationsFolder: MIGRATIONS_FOLDER });
    await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** True when every committed migration has been applied (used by /readyz). */
export async function migrationsApplied(database: Database): Promise<boolean> {
  const expected = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length;
  try {
    // drizzle records applied migrations in drizzle.__drizzle_migrations on both drivers.
    const result: unknown = await database.db.execute(sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
    const rows = rowsOf<{ n: number }>(result);
    return (rows[0]?.n ?? 0) >= expected;
  } catch {
    return false;
  }
}
