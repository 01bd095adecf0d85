import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { ensurePrivateDir, makeFilePrivate, makeTreePrivate } from '../startup-checks.js';
import { packTar, unpackTar } from '../util/tar.js';
import { openDatabase } from './client.js';
import { acquireDataDirLock, dataDirHolder, DataDirInUseError, LOCK_FILE } from './data-dir-lock.js';
import { assertStoppedEmbeddedDataDir, EmbeddedMigrationError, openStoppedEmbedded } from './embedded-migration.js';
import { rowsOf } from './rows.js';
import { tablesInDependencyOrder } from './table-copy.js';

/**
 * Backup of an embedded DATA_DIR as one .tar.gz: PGlite's own dump of its data directory (taken through PGlite on the
 * stopped database, never by copying files a running database is writing), the generated key files, and a manifest
 * with the row count of every table, which restore checks against what it restored.
 */

const MANIFEST = 'kube-gateway-backup.json';
const PGDATA_DUMP = 'pgdata.tar.gz';
/** The generated secrets of secrets.ts: without them a restored database's kubeconfigs cannot be decrypted. */
export const SECRET_FILES = ['encryption.key', 'jwt.secret'] as const;

interface Manifest {
  format: 'kube-gateway-backup';
  version: 1;
  createdAt: string;
  tables: Record<string, number>;
  secretFiles: string[];
}

async function tableCounts(db: Parameters<typeof tablesInDependencyOrder>[0]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const t of await tablesInDependencyOrder(db)) {
    const [row] = rowsOf<{ n: number }>(await db.execute(sql`SELECT count(*)::int AS n FROM public.${sql.identifier(t.name)}`));
    counts[t.name] = row!.n;
  }
  return counts;
}

export async function backupDataDir(opts: { dataDir: string; out: string; force: boolean; progress: (line: string) => void }): Promise<Manifest> {
  if (existsSync(opts.out) && !opts.force)
    throw new EmbeddedMigrationError(`${opts.out} exists; choose another file or pass --force to overwrite it`);
  assertStoppedEmbeddedDataDir(opts.dataDir);
  opts.progress(`opening the embedded database in ${opts.dataDir}…`);
  const database = await openStoppedEmbedded(opts.dataDir, 'kube-gateway db backup', { migrate: false });
  let dump: Buffer;
  let tables: Record<string, number>;
  try {
    tables = await tableCounts(database.db);
    opts.progress('dumping the database through PGlite…');
    dump = Buffer.from(await (await database.pglite!.dumpDataDir('gzip')).arrayBuffer());
  } finally {
    await database.close();
  }
  const secretFiles = SECRET_FILES.filter((f) => existsSync(join(opts.dataDir, f)));
  const manifest: Manifest = { format: 'kube-gateway-backup', version: 1, createdAt: new Date().toISOString(), tables, secretFiles };
  const archive = packTar([
    { name: MANIFEST, body: Buffer.from(JSON.stringify(manifest, null, 2) + '\n'), mode: 0o600 },
    { name: PGDATA_DUMP, body: dump, mode: 0o600 },
    ...secretFiles.map((f) => ({ name: f, body: readFileSync(join(opts.dataDir, f)), mode: 0o600 })),
  ]);
  // The file holds the keys: 0600 from its creation, renamed into place only once complete.
  const partial = `${opts.out}.partial-${process.pid}`;
  writeFileSync(partial, gzipSync(archive), { mode: 0o600, flag: 'wx' });
  renameSync(partial, opts.out);
  return manifest;
}

function readBackup(file: string): { manifest: Manifest; dump: Buffer; secrets: Map<string, Buffer> } {
  let entries;
  try {
    entries = unpackTar(gunzipSync(readFileSync(file)));
  } catch (err) {
    throw new EmbeddedMigrationError(`${file} is not a kube-gateway backup: ${(err as Error).message}`);
  }
  const byName = new Map(entries.map((e) => [e.name, e.body]));
  const manifest = JSON.parse(byName.get(MANIFEST)?.toString('utf8') ?? 'null') as Manifest | null;
  if (manifest?.format !== 'kube-gateway-backup' || manifest.version !== 1 || !byName.has(PGDATA_DUMP)) {
    throw new EmbeddedMigrationError(`${file} is not a kube-gateway backup (no ${MANIFEST} of format version 1)`);
  }
  const secrets = new Map(SECRET_FILES.filter((f) => byName.has(f)).map((f) => [f as string, byName.get(f)!]));
  return { manifest, dump: byName.get(PGDATA_DUMP)!, secrets };
}

export async function restoreDataDir(opts: { input: string; dataDir: string; force: boolean; progress: (line: string) => void }): Promise<Manifest> {
  const { manifest, dump, secrets } = readBackup(opts.input);
  const holder = existsSync(opts.dataDir) ? dataDirHolder(opts.dataDir) : undefined;
  if (holder) throw new DataDirInUseError(`DATA_DIR ${opts.dataDir} is in use by ${holder}; stop it first`);
  const present = existsSync(opts.dataDir) ? readdirSync(opts.dataDir).filter((f) => f !== LOCK_FILE) : [];
  if (present.length > 0 && !opts.force) {
    throw new EmbeddedMigrationError(
      `${opts.dataDir} is not empty (${present.slice(0, 5).join(', ')}); restore into an empty directory, or pass --force to replace it`,
    );
  }
  ensurePrivateDir(opts.dataDir);
  const release = acquireDataDirLock(opts.dataDir, 'kube-gateway db restore');
  try {
    // Unpacked beside the old data first; the old pgdata is replaced only once the new one opened cleanly.
    const staging = join(opts.dataDir, `pgdata.restoring-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    opts.progress(`restoring the database into ${opts.dataDir}…`);
    await (await PGlite.create(staging, { loadDataDir: new Blob([new Uint8Array(dump)]) })).close();
    rmSync(join(opts.dataDir, 'pgdata'), { recursive: true, force: true });
    renameSync(staging, join(opts.dataDir, 'pgdata'));
    for (const f of SECRET_FILES) {
      rmSync(join(opts.dataDir, f), { force: true });
      const body = secrets.get(f);
      if (body) writeFileSync(join(opts.dataDir, f), body, { mode: 0o600 });
      makeFilePrivate(join(opts.dataDir, f));
    }
    makeTreePrivate(join(opts.dataDir, 'pgdata'));
  } finally {
    release();
  }
  opts.progress('verifying row counts…');
  const database = await openDatabase({ kind: 'embedded', dataDir: opts.dataDir, holder: 'kube-gateway db restore' }, { migrate: false });
  try {
    const restored = await tableCounts(database.db);
    for (const [name, rows] of Object.entries(manifest.tables)) {
      if (restored[name] !== rows)
        throw new EmbeddedMigrationError(
          `verification failed: ${name} has ${restored[name] ?? 'no'} rows after the restore, the backup recorded ${rows}`,
        );
    }
  } finally {
    await database.close();
  }
  return manifest;
}
