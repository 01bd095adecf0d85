/**
 * `kube-gateway db migrate-embedded` / `db backup` / `db restore`, end to end: a real embedded gateway (PGlite files and
 * generated keys in a temporary DATA_DIR) registers simulated clusters and runs discovery, is stopped, and the real CLI
 * (a child process, as an operator runs it) copies it into a fresh database on real PostgreSQL; then a gateway on
 * PostgreSQL with the secrets from DATA_DIR serves the same clusters, decrypts their kubeconfigs and continues ids.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { loadConfig } from '../src/config.js';
import { type Gateway, startGateway } from '../src/gateway.js';
import { withDatabase } from './support/global-setup.js';
import { queryRows, uniqueName } from './support/gateway.js';
import { useReachableCluster } from './support/suite-fixtures.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BASE_URL = process.env.TEST_DATABASE_URL;
if (!BASE_URL && process.env.REQUIRE_ALL_BACKENDS === '1') throw new Error('REQUIRE_ALL_BACKENDS=1 but TEST_DATABASE_URL is not set');
// Generous: each CLI run loads the TypeScript sources through tsx on a loaded 2-core machine.
const CLI_TIMEOUT_MS = 120_000;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kube-gateway ARGS` through the package's bin launcher, with no DATA_DIR / DATABASE_URL of the test's own. */
function cli(args: string[]): Promise<CliRun> {
  const env = { ...process.env };
  for (const key of ['DATA_DIR', 'DATABASE_URL', 'ENCRYPTION_KEY', 'JWT_SECRET']) delete env[key];
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin/kube-gateway.js'), ...args], { cwd: ROOT, env, timeout: CLI_TIMEOUT_MS }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const dirs: string[] = [];
const databases: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

/** A fresh, EMPTY database on the test server (nothing migrated: the command migrates it). */
async function freshDatabase(): Promise<string> {
  const name = `kgw_mig_${process.pid}_${Date.now().toString(36)}_${databases.length}`;
  const admin = postgres(BASE_URL!, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  databases.push(name);
  return withDatabase(BASE_URL!, name);
}

/**
 * A gateway as `kube-gateway start` runs it (embedded DATA_DIR and generated keys, or PostgreSQL), minus the health
 * timer: its probe leases would change rows between the snapshots the test compares.
 */
async function gatewayOn(env: Record<string, string>) {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    PROMETHEUS_AUTO_DISCOVERY: 'false',
    AUTH_FAILURE_LIMIT: '0',
    ...env,
  });
  const gw: Gateway = await startGateway(config, { healthMonitor: false });
  const secret = gw.secrets.jwt.algorithm === 'HS256' ? gw.secrets.jwt.secret : '';
  const admin = signToken(secret, { sub: 'admin', role: 'admin' });
  const rest = async (method: string, path: string, body?: unknown, token = admin) => {
    const res = await fetch(`${gw.url}/api/v1/k8s${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as { code: number; message: string; data: any } };
  };
  return { gw, admin, rest };
}

type Rows = Record<string, unknown>[];
const snapshot = async (gw: Gateway): Promise<{ clusters: Rows; tasks: Rows }> => ({
  clusters: await queryRows(gw, sql`SELECT * FROM clusters ORDER BY id`),
  tasks: await queryRows(gw, sql`SELECT * FROM discovery_tasks ORDER BY id`),
});

describe.skipIf(!BASE_URL)('kube-gateway db migrate-embedded → PostgreSQL, backup and restore (real PostgreSQL)', () => {
  const cluster = useReachableCluster();
  let dataDir: string;
  let before: { clusters: Rows; tasks: Rows };
  let oldAdminToken: string;
  let liveIds: number[];
  let deletedId: number;

  beforeAll(async () => {
    // A migrated embedded database as the harness prepared it once per run (initdb costs seconds).
    dataDir = tempDir('kgw-mig-src-');
    await (await PGlite.create(join(dataDir, 'pgdata'), { loadDataDir: new Blob([readFileSync(inject('pgliteDump'))]) })).close();

    const embedded = await gatewayOn({ DATA_DIR: dataDir });
    try {
      oldAdminToken = embedded.admin;
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) {
        const created = await embedded.rest('POST', '/clusters', { name: uniqueName('mig'), kubeconfig: cluster.kubeconfigBase64 });
        expect(created.status, created.body.message).toBe(201);
        ids.push(created.body.data.id);
      }
      // The last one is deleted: its id was handed out, so the PostgreSQL gateway must not hand it out again.
      deletedId = ids.at(-1)!;
      expect((await embedded.rest('DELETE', `/clusters/${deletedId}`)).status).toBe(200);
      liveIds = ids.slice(0, -1);
      for (const id of liveIds) expect((await embedded.rest('POST', `/clusters/${id}/prometheus/rediscover`)).status).toBe(202);
      // Discovery against the simulator ends (not_found) quickly; wait so the copy holds finished tasks.
      const deadline = Date.now() + 60_000;
      while ((await queryRows(embedded.gw, sql`SELECT 1 FROM discovery_tasks WHERE state IN ('pending', 'running')`)).length > 0) {
        if (Date.now() > deadline) throw new Error('discovery tasks did not finish');
        await new Promise((r) => setTimeout(r, 200));
      }

      // While the gateway runs, the command refuses to touch its DATA_DIR.
      const refused = await cli(['db', 'migrate-embedded', '--data-dir', dataDir, '--to', await freshDatabase()]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^kube-gateway: DATA_DIR .* is in use by a kube-gateway server \(pid \d+/);
      expect(refused.stderr.trim().split('\n').at(-1)).toMatch(/stop the gateway first$/);
      before = await snapshot(embedded.gw);
    } finally {
      await embedded.gw.close();
    }
    expect(before.clusters).toHaveLength(3);
    expect(before.tasks.length).toBeGreaterThanOrEqual(2);
  }, 240_000);

  afterAll(async () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    const admin = postgres(BASE_URL!, { max: 1, onnotice: () => {} });
    for (const name of databases) await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
  });

  it('copies every row with its id and ciphertext; a gateway on PostgreSQL with the DATA_DIR keys serves the same clusters and continues ids', async () => {
    const url = await freshDatabase();
    const run = await cli(['db', 'migrate-embedded', '--data-dir', dataDir, '--to', url]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Copied \d+ tables, \d+ rows, \d+ sequences .*row counts and contents verified/);
    expect(run.stdout).toMatch(/^\s+clusters\s+3$/m);
    expect(run.stdout).toMatch(new RegExp(`^\\s+discovery_tasks\\s+${before.tasks.length}$`, 'm'));
    expect(run.stderr).toMatch(/clusters: 3\/3 rows/); // progress, on stderr
    // Where the secrets are, not what they are (no --print-secrets).
    const encryptionKey = readFileSync(join(dataDir, 'encryption.key'), 'utf8').trim();
    const jwtSecret = readFileSync(join(dataDir, 'jwt.secret'), 'utf8').trim();
    expect(run.stdout).toContain(join(dataDir, 'encryption.key'));
    expect(run.stdout).toContain(join(dataDir, 'jwt.secret'));
    expect(run.stdout + run.stderr).not.toContain(encryptionKey);
    expect(run.stdout + run.stderr).not.toContain(jwtSecret);

    const onPostgres = await gatewayOn({ DATABASE_URL: url, ENCRYPTION_KEY: encryptionKey, JWT_SECRET: jwtSecret });
    try {
      // Every column of every row, ciphertexts and timestamps included, is what the embedded database held.
      expect(await snapshot(onPostgres.gw)).toEqual(before);
      // A token the embedded gateway issued still works; the list shows the same live clusters.
      const list = await onPostgres.rest('GET', '/clusters', undefined, oldAdminToken);
      expect(list.status).toBe(200);
      expect(JSON.stringify(list.body.data)).toContain(String(before.clusters[0]!.name));
      for (const id of liveIds) {
        const c2 = await onPostgres.rest('GET', `/clusters/${id}`);
        expect(c2.status, c2.body.message).toBe(200);
        expect(Buffer.from(c2.body.data.kubeconfig, 'base64').toString('utf8')).toBe(cluster.kubeconfigYaml);
      }
      // Ids continue after the highest one ever handed out (the deleted cluster's), not after the highest live one.
      const created = await onPostgres.rest('POST', '/clusters', { name: uniqueName('after'), kubeconfig: cluster.kubeconfigBase64 });
      expect(created.status, created.body.message).toBe(201);
      expect(created.body.data.id).toBe(deletedId + 1);
      const rediscover = await onPostgres.rest('POST', `/clusters/${created.body.data.id}/prometheus/rediscover`);
      expect(rediscover.status).toBe(202);
      const [task] = await queryRows<{ id: number }>(onPostgres.gw, sql`SELECT max(id)::int AS id FROM discovery_tasks`);
      expect(task!.id).toBe(Math.max(...before.tasks.map((t) => Number(t.id))) + 1);
    } finally {
      await onPostgres.gw.close();
    }

    // The database now holds rows: a second run refuses it, and replaces it only with --force.
    const again = await cli(['db', 'migrate-embedded', '--data-dir', dataDir, '--to', url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^kube-gateway: the PostgreSQL database is not empty \(rows in .*clusters/m);
    const forced = await cli(['db', 'migrate-embedded', '--data-dir', dataDir, '--to', url, '--force', '--print-secrets']);
    expect(forced.code, forced.stderr).toBe(0);
    // Asked for explicitly: now the values are printed, as variables to set.
    expect(forced.stdout).toContain(`ENCRYPTION_KEY=${encryptionKey}`);
    expect(forced.stdout).toContain(`JWT_SECRET=${jwtSecret}`);
    const db = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const rows = await db`SELECT id FROM clusters ORDER BY id`;
      expect(rows.map((r) => r.id)).toEqual(before.clusters.map((c) => c.id)); // the post-migration cluster is gone
    } finally {
      await db.end();
    }
  }, 300_000);

  it('refuses bad usage with exit code 2 and one line naming the problem', async () => {
    const [noTarget, badUrl, noDb, unknown] = await Promise.all([
      cli(['db', 'migrate-embedded', '--data-dir', dataDir]),
      cli(['db', 'migrate-embedded', '--data-dir', dataDir, '--to', 'mysql://x']),
      cli(['db', 'migrate-embedded', '--data-dir', tempDir('kgw-mig-none-'), '--to', 'postgres://127.0.0.1/x']),
      cli(['db', 'frobnicate']),
    ]);
    expect(noTarget).toMatchObject({ code: 2, stderr: 'kube-gateway: --to postgres://… is required (see --help)\n' });
    expect(badUrl).toMatchObject({ code: 2, stderr: 'kube-gateway: --to must be a postgres:// or postgresql:// URL\n' });
    expect(noDb.code).toBe(1);
    expect(noDb.stderr).toMatch(/^kube-gateway: .* holds no embedded database \(no pgdata\/PG_VERSION\)\n$/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('kube-gateway: unknown command "kube-gateway db frobnicate" (commands: migrate-embedded, backup, restore)\n');
  }, 300_000);

  it('backup → restore round trip: a gateway on the restored DATA_DIR serves the same clusters with the same keys', async () => {
    const out = join(tempDir('kgw-backup-'), 'kgw.tar.gz');
    const backup = await cli(['db', 'backup', '--data-dir', dataDir, '--out', out]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/Backed up .* files encryption\.key, jwt\.secret\./);
    expect(statSync(out).mode & 0o777).toBe(0o600); // it holds the keys
    expect((await cli(['db', 'backup', '--data-dir', dataDir, '--out', out])).stderr).toMatch(/exists; choose another file or pass --force/);

    const target = join(tempDir('kgw-restore-'), 'data');
    const restored = await cli(['db', 'restore', '--in', out, '--data-dir', target]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/Restored the backup of .* rows verified\./);
    for (const file of ['encryption.key', 'jwt.secret']) {
      expect(readFileSync(join(target, file), 'utf8')).toBe(readFileSync(join(dataDir, file), 'utf8'));
      expect(statSync(join(target, file)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(target).mode & 0o777).toBe(0o700);

    // A non-empty DATA_DIR is not overwritten unless asked.
    const refused = await cli(['db', 'restore', '--in', out, '--data-dir', target]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is not empty .*pass --force to replace it/);
    expect((await cli(['db', 'restore', '--in', out, '--data-dir', target, '--force'])).code).toBe(0);
    const junk = join(tempDir('kgw-junk-'), 'junk.tar.gz');
    writeFileSync(junk, 'not a backup');
    const bad = await cli(['db', 'restore', '--in', junk, '--data-dir', join(tempDir('kgw-restore2-'), 'd')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^kube-gateway: .*junk\.tar\.gz is not a kube-gateway backup/);

    // No keys in the environment: the restored generated ones are used, so old tokens and kubeconfigs work.
    const onRestored = await gatewayOn({ DATA_DIR: target });
    try {
      expect(await snapshot(onRestored.gw)).toEqual(before);
      const c2 = await onRestored.rest('GET', `/clusters/${liveIds[0]}`, undefined, oldAdminToken);
      expect(c2.status, c2.body.message).toBe(200);
      expect(Buffer.from(c2.body.data.kubeconfig, 'base64').toString('utf8')).toBe(cluster.kubeconfigYaml);
    } finally {
      await onRestored.gw.close();
    }
  }, 300_000);
});
