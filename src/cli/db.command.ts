import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../config.js';
import { backupDataDir, restoreDataDir, SECRET_FILES } from '../db/data-dir-backup.js';
import { DataDirInUseError } from '../db/data-dir-lock.js';
import { EmbeddedMigrationError, migrateEmbeddedToPostgres } from '../db/embedded-migration.js';
import { type Command, CliError, commandGroup, parseOptions, printHelp, progress } from './command.js';

/** DATA_DIR from --data-dir, else from the configuration (DATA_DIR, default ./data), as the gateway would use it. */
function dataDirOption(value: string | undefined): string {
  if (value) return resolve(value);
  try {
    return resolve(loadConfig({ ...process.env, DATABASE_URL: undefined }).dataDir);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    throw err;
  }
}

/** The operator's mistakes from the db layer become one-line CLI errors; anything else stays a bug with a stack. */
async function asCliErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof EmbeddedMigrationError || err instanceof DataDirInUseError) throw new CliError(err.message);
    throw err;
  }
}

const MIGRATE_USAGE = `usage: kube-gateway db migrate-embedded --data-dir DIR --to postgres://USER@HOST:5432/DB [--force] [--print-secrets]

Copies every table of a STOPPED embedded database (DATA_DIR/pgdata) into an EMPTY PostgreSQL database, keeping ids,
encrypted kubeconfigs and sequences; migrates the PostgreSQL database first, verifies every table's row count and
contents, and commits only if all match. Then start the gateway with DATABASE_URL set to the same URL and the
ENCRYPTION_KEY / JWT_SECRET generated in DATA_DIR (their files are named at the end).

options:
  --data-dir DIR      the embedded gateway's DATA_DIR (default: $DATA_DIR, else ./data); no gateway may run on it
  --to URL            the PostgreSQL database (postgres:// or postgresql://)
  --force             replace the contents of a PostgreSQL database that already holds rows
  --print-secrets     also print ENCRYPTION_KEY=… and JWT_SECRET=… (secrets on your terminal: only when asked)`;

const migrateEmbedded: Command = {
  name: 'migrate-embedded',
  summary: 'copy a stopped embedded DATA_DIR into an empty PostgreSQL database',
  async run(argv) {
    const parsed = parseOptions(argv, {
      'data-dir': { type: 'string' },
      to: { type: 'string' },
      force: { type: 'boolean' },
      'print-secrets': { type: 'boolean' },
    });
    if (!parsed) return printHelp(MIGRATE_USAGE);
    const { to, force, 'print-secrets': printSecrets } = parsed.values;
    if (!to) throw new CliError('--to postgres://… is required (see --help)', 2);
    if (!/^postgres(ql)?:\/\//.test(to)) throw new CliError('--to must be a postgres:// or postgresql:// URL', 2);
    const dataDir = dataDirOption(parsed.values['data-dir']);
    const started = Date.now();
    const summary = await asCliErrors(() => migrateEmbeddedToPostgres({ dataDir, url: to, force: force ?? false, progress }));
    const width = Math.max(...summary.tables.map((t) => t.name.length), 5);
    const total = summary.tables.reduce((n, t) => n + t.rows, 0);
    const lines = [
      `Copied ${summary.tables.length} tables, ${total} rows, ${summary.sequences} sequences in ${((Date.now() - started) / 1000).toFixed(1)} s; row counts and contents verified.`,
      '',
      ...summary.tables.map((t) => `  ${t.name.padEnd(width)}  ${String(t.rows).padStart(8)}`),
      '',
      'Start the gateway on PostgreSQL with:',
      '  DATABASE_URL=<the --to URL>',
      ...secretLines(dataDir, printSecrets ?? false),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};

/** Where ENCRYPTION_KEY / JWT_SECRET come from; their values only with --print-secrets. */
function secretLines(dataDir: string, print: boolean): string[] {
  const variables: Record<(typeof SECRET_FILES)[number], string> = { 'encryption.key': 'ENCRYPTION_KEY', 'jwt.secret': 'JWT_SECRET' };
  return SECRET_FILES.map((file) => {
    const path = join(dataDir, file);
    const name = variables[file];
    if (!existsSync(path)) return `  ${name}=<the ${name} this embedded gateway ran with: ${path} does not exist, so it came from its environment>`;
    return print ? `  ${name}=${readFileSync(path, 'utf8').trim()}` : `  ${name}=<the contents of ${path}>   (or rerun with --print-secrets)`;
  });
}

const BACKUP_USAGE = `usage: kube-gateway db backup --out FILE [--data-dir DIR] [--force]

Writes a consistent backup of a STOPPED embedded DATA_DIR to FILE (a .tar.gz, created 0600): PGlite's dump of the
database, the generated encryption.key and jwt.secret, and each table's row count. Keep it as safe as the keys.

options:
  --out FILE          where to write the backup (refused if it exists, unless --force)
  --data-dir DIR      the embedded gateway's DATA_DIR (default: $DATA_DIR, else ./data); no gateway may run on it
  --force             overwrite FILE`;

const backup: Command = {
  name: 'backup',
  summary: 'back up a stopped embedded DATA_DIR (database and generated keys) to a file',
  async run(argv) {
    const parsed = parseOptions(argv, { out: { type: 'string' }, 'data-dir': { type: 'string' }, force: { type: 'boolean' } });
    if (!parsed) return printHelp(BACKUP_USAGE);
    if (!parsed.values.out) throw new CliError('--out FILE is required (see --help)', 2);
    const dataDir = dataDirOption(parsed.values['data-dir']);
    const out = resolve(parsed.values.out);
    const manifest = await asCliErrors(() => backupDataDir({ dataDir, out, force: parsed.values.force ?? false, progress }));
    const rows = Object.values(manifest.tables).reduce((a, b) => a + b, 0);
    process.stdout.write(
      `Backed up ${dataDir} to ${out}: ${Object.keys(manifest.tables).length} tables, ${rows} rows, files ${manifest.secretFiles.join(', ') || '(no generated keys)'}.\n`,
    );
    return 0;
  },
};

const RESTORE_USAGE = `usage: kube-gateway db restore --in FILE --data-dir DIR [--force]

Restores a backup made by \`kube-gateway db backup\` into DIR (database and generated keys, 0600 in a 0700 directory)
and checks every table's row count against the backup. DIR must be empty or absent, and no gateway may run on it.

options:
  --in FILE           the backup file
  --data-dir DIR      the DATA_DIR to restore into
  --force             replace the contents of a non-empty DIR`;

const restore: Command = {
  name: 'restore',
  summary: 'restore a backup into an empty embedded DATA_DIR',
  async run(argv) {
    const parsed = parseOptions(argv, { in: { type: 'string' }, 'data-dir': { type: 'string' }, force: { type: 'boolean' } });
    if (!parsed) return printHelp(RESTORE_USAGE);
    if (!parsed.values.in) throw new CliError('--in FILE is required (see --help)', 2);
    if (!parsed.values['data-dir']) throw new CliError('--data-dir DIR is required (see --help)', 2);
    const input = resolve(parsed.values.in);
    if (!existsSync(input)) throw new CliError(`${input} does not exist`);
    const dataDir = resolve(parsed.values['data-dir']);
    const manifest = await asCliErrors(() => restoreDataDir({ input, dataDir, force: parsed.values.force ?? false, progress }));
    const rows = Object.values(manifest.tables).reduce((a, b) => a + b, 0);
    process.stdout.write(
      `Restored the backup of ${manifest.createdAt} into ${dataDir}: ${Object.keys(manifest.tables).length} tables, ${rows} rows verified.\n`,
    );
    return 0;
  },
};

export const dbCommand = commandGroup(
  'db',
  'Database operations on an embedded DATA_DIR: move it to PostgreSQL, back it up, restore it.',
  'kube-gateway',
  [migrateEmbedded, backup, restore],
);
