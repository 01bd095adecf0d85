import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { type Database, type Db, openDatabase } from './client.js';
import { dataDirHolder, DataDirInUseError, LOCK_FILE } from './data-dir-lock.js';
import {
  assertSameShape,
  copySequences,
  copyTable,
  fingerprint,
  nonEmptyTables,
  tablesInDependencyOrder,
  type TableResult,
  truncateAll,
} from './table-copy.js';

/** The operator's mistake, said in one line (the CLI prints it and exits non-zero). */
export class EmbeddedMigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedMigrationError';
  }
}

export interface MigrationSummary {
  tables: TableResult[];
  sequences: number;
}

/**
 * The embedded database of DATA_DIR must exist and be stopped: no live lock holder, and no PGlite `postmaster.pid`
 * without a lock file (some process that predates the lock may hold it). A lock left by a killed process is stale.
 */
export function assertStoppedEmbeddedDataDir(dataDir: string): void {
  if (!existsSync(join(dataDir, 'pgdata', 'PG_VERSION'))) {
    throw new EmbeddedMigrationError(`${dataDir} holds no embedded database (no pgdata/PG_VERSION)`);
  }
  const holder = dataDirHolder(dataDir);
  if (holder) throw new DataDirInUseError(`DATA_DIR ${dataDir} is in use by ${holder}; stop the gateway first`);
  if (!existsSync(join(dataDir, LOCK_FILE)) && existsSync(join(dataDir, 'pgdata', 'postmaster.pid'))) {
    throw new DataDirInUseError(
      `${join(dataDir, 'pgdata', 'postmaster.pid')} exists but no ${LOCK_FILE}: a process may still have the embedded database open; ` +
        'stop it (or, if none runs, start and stop the gateway once so it shuts the database down cleanly)',
    );
  }
}

/** Opens the stopped embedded database for a `kube-gateway db` command (taking the DATA_DIR lock while it works). */
export async function openStoppedEmbedded(dataDir: string, holder: string, opts: { migrate: boolean }): Promise<Database> {
  assertStoppedEmbeddedDataDir(dataDir);
  return openDatabase({ kind: 'embedded', dataDir, holder }, { migrate: opts.migrate });
}

/**
 * Copies every table of a stopped embedded DATA_DIR into an empty PostgreSQL database, in one transaction on the
 * target: it commits only when every table's row count and content fingerprint match the source, so a failure leaves
 * the target as empty as it was. Both sides are first migrated to this version's schema (what starting this version
 * of the gateway on either would do), so they have the same tables and columns.
 */
export async function migrateEmbeddedToPostgres(opts: {
  dataDir: string;
  url: string;
  force: boolean;
  progress: (line: string) => void;
}): Promise<MigrationSummary> {
  const { progress } = opts;
  assertStoppedEmbeddedDataDir(opts.dataDir);
  progress(`opening the embedded database in ${opts.dataDir} (and applying this version's migrations)…`);
  const source = await openStoppedEmbedded(opts.dataDir, 'kube-gateway db migrate-embedded', { migrate: true });
  let target: Database | undefined;
  try {
    progress('connecting to PostgreSQL and applying migrations…');
    try {
      target = await openDatabase({ kind: 'postgres', url: opts.url });
    } catch (err) {
      throw new EmbeddedMigrationError(`cannot prepare the PostgreSQL database: ${(err as Error).message}`);
    }
    const plans = await tablesInDependencyOrder(source.db);
    const targetPlans = await tablesInDependencyOrder(target.db);
    assertSameShape(plans, targetPlans);
    const occupied = await nonEmptyTables(target.db);
    if (occupied.length > 0 && !opts.force) {
      throw new EmbeddedMigrationError(
        `the PostgreSQL database is not empty (rows in ${occupied.join(', ')}); use an empty database, or --force to replace its contents`,
      );
    }
    await sessionInUtc(source.db);
    const tables: TableResult[] = [];
    let sequences = 0;
    await target.db.transaction(async (txn) => {
      const tx = txn as unknown as Db;
      // Same text form of timestamps on both sides, for the fingerprints.
      await tx.execute(sql`SET LOCAL TIME ZONE 'UTC'`);
      if (occupied.length > 0) {
        progress(`--force: emptying ${targetPlans.length} tables of the PostgreSQL database`);
        await truncateAll(tx, targetPlans);
      }
      for (const plan of plans) {
        let lastReport = 0;
        const rows = await copyTable(source.db, tx, plan, (copied, total) => {
          // A line per ~10% of a large table, so long copies show they advance.
          if (copied === total || copied - lastReport >= Math.max(1_000, total / 10)) {
            lastReport = copied;
            progress(`  ${plan.name}: ${copied}/${total} rows`);
          }
        });
        if (rows === 0) progress(`  ${plan.name}: 0 rows`);
        tables.push({ name: plan.name, rows });
      }
      sequences = await copySequences(source.db, tx);
      progress('verifying row counts and contents…');
      for (const plan of plans) {
        const [a, b] = [await fingerprint(source.db, plan.name), await fingerprint(tx, plan.name)];
        if (a.rows !== b.rows)
          throw new EmbeddedMigrationError(`verification failed: ${plan.name} has ${a.rows} rows in the source, ${b.rows} copied`);
        if (a.digest !== b.digest) throw new EmbeddedMigrationError(`verification failed: the rows of ${plan.name} differ after the copy`);
      }
    });
    return { tables, sequences };
  } finally {
    await target?.close();
    await source.close();
  }
}

async function sessionInUtc(db: Db): Promise<void> {
  await db.execute(sql`SET TIME ZONE 'UTC'`);
}
