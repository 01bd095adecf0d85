/**
 * The gateway under test, alone in its process: embedded PGlite in a temporary DATA_DIR, no health probes, N seeded
 * clusters (bench/seed.ts). Prints one JSON line `{ url, adminToken, pid, clusters, firstId, seedMs, … }` when ready; SIGTERM closes it
 * (so `--cpu-prof` profiles are written).
 *
 *   node --import tsx bench/gateway-server.ts --clusters 100 [--kubeconfig-file F] [--count-queries] [--save-template DIR]
 *     [--database-url postgres://…] [--first-kubeconfig-file F] [--fleet-labels] [--dump-data-dir FILE]
 *
 * `--database-url`: PostgreSQL instead of the embedded database, in a private database created here and dropped on
 * exit. `--first-kubeconfig-file`: the first cluster's kubeconfig (a simulated cluster, for the proxy path).
 * `--fleet-labels`: labels (env, tier, region) and a spread of health on every cluster, for filtered lists.
 * `--dump-data-dir FILE`: embedded only, a tarball of the seeded data directory (PGlite `dumpDataDir`), so the raw
 * baseline (bench/path-baseline.ts) reads the very same rows with the same driver.
 *
 * BENCH_TEMPLATE_DIR: start from a copy of this DATA_DIR (made once per run with `--save-template`).
 *
 * `--count-queries` hands the gateway a PGlite wrapped in a Proxy that counts statements sent to the database
 * (`query`, `exec`, and BEGIN/COMMIT plus each statement of a transaction); the count is read over IPC
 * (`{ type: 'queries' }` → `{ type: 'queries', count, background, recent }`); the discovery reaper's periodic
 * statement is counted apart (`background`). src/ is not touched for this.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { signToken } from '../src/auth/jwt.js';
import { loadConfig } from '../src/config.js';
import type { DatabaseTarget } from '../src/db/client.js';
import { startGateway } from '../src/gateway.js';
import { flags } from './lib.js';
import { seedClusters } from './seed.js';
import { privatePostgres } from './replicas.js';

const args = flags();
const count = Number(args.get('clusters') ?? '100');
const countQueries = args.has('count-queries');
const kubeconfig = args.has('kubeconfig-file') ? readFileSync(args.get('kubeconfig-file')!, 'utf8') : fixtureKubeconfig();
const dataDir = mkdtempSync(join(tmpdir(), 'kgw-bench-'));
// An initialised, migrated, empty DATA_DIR (see bench/lib.ts prepareTemplate) spares every scenario PGlite's initdb.
const template = process.env.BENCH_TEMPLATE_DIR;
if (template && existsSync(join(template, 'pgdata'))) cpSync(template, dataDir, { recursive: true });

/** A syntactically valid kubeconfig for a cluster nobody reaches (probes are off; skipConnectionTest on create). */
function fixtureKubeconfig(): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: bench',
    '  cluster:',
    '    server: https://127.0.0.1:6443',
    'users:',
    '- name: bench-user',
    '  user:',
    '    token: bench-fixture-token',
    'contexts:',
    '- name: bench',
    '  context:',
    '    cluster: bench',
    '    user: bench-user',
    'current-context: bench',
    '',
  ].join('\n');
}

let statements = 0;
/**
 * Statements of timers that run whatever the requests do, counted apart: the discovery reaper (every 5 s), the webhook
 * worker's idle poll (every second) and the once-per-interval claims of the pruning jobs.
 */
let background = 0;
const BACKGROUND =
  /^UPDATE discovery_tasks SET state = 'failed'.*lease expired|^SELECT EXISTS \(SELECT 1 FROM webhook_events\)|INSERT INTO periodic_job_claims/;
/** The most recent request-driven statements (first 120 characters), to show what a round-trip was. */
const recent: string[] = [];
const note = (a: unknown[]) => {
  const text = String(typeof a[0] === 'string' ? a[0] : '(non-text)')
    .replace(/\s+/g, ' ')
    .trim();
  if (BACKGROUND.test(text)) {
    background++;
    return;
  }
  statements++;
  recent.push(text.slice(0, 120));
  if (recent.length > 50) recent.shift();
};

/** Counts every statement that reaches PGlite; methods run on the real instance (PGlite uses private fields). */
function counting<T extends object>(target: T): T {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'query' || prop === 'exec' || prop === 'sql') {
        return (...a: unknown[]) => {
          note(a);
          return (value as (...x: unknown[]) => unknown).apply(t, a);
        };
      }
      if (prop === 'transaction') {
        return (fn: (tx: object) => Promise<unknown>) => {
          note(['BEGIN']);
          note(['COMMIT']);
          return (value as (f: (tx: object) => Promise<unknown>) => unknown).call(t, (tx: object) => fn(counting(tx)));
        };
      }
      return (value as (...x: unknown[]) => unknown).bind(t);
    },
  });
}

const pg = args.has('database-url') ? await privatePostgres(args.get('database-url')!, 'bench_gw') : undefined;

const jwtSecret = randomBytes(32).toString('hex');
const config = loadConfig({
  ...(pg ? { DATABASE_URL: pg.url, ENCRYPTION_KEY: randomBytes(32).toString('base64') } : {}),
  PORT: '0',
  HOST: '127.0.0.1',
  DATA_DIR: dataDir,
  JWT_SECRET: jwtSecret,
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  HEALTH_CHECK_INTERVAL_SECONDS: '86400',
  PROMETHEUS_AUTO_DISCOVERY: 'false',
  AUTH_FAILURE_LIMIT: '0',
  DISCOVERY_TIMEOUT_SECONDS: '5',
});

let database: DatabaseTarget | undefined;
if (countQueries) {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  database = { kind: 'pglite', client: counting(await PGlite.create(`${dataDir}/pgdata`)) };
}
const gateway = await startGateway(config, { database, healthMonitor: false });

if (args.has('save-template')) {
  // Start-up only: close cleanly, keep the migrated DATA_DIR as the template for the other runs.
  await gateway.close();
  cpSync(dataDir, args.get('save-template')!, { recursive: true });
  rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ template: args.get('save-template') })}\n`);
  process.exit(0);
}
const firstKubeconfig = args.has('first-kubeconfig-file') ? readFileSync(args.get('first-kubeconfig-file')!, 'utf8') : kubeconfig;
const seed = await seedClusters(gateway, count, (i) => (i === 0 ? firstKubeconfig : kubeconfig), {
  viaService: Number(args.get('via-service') ?? '20'),
});
if (args.has('fleet-labels')) {
  // A fleet's spread: a third each of env, four tiers, eight regions; mostly healthy.
  await gateway.database.db.execute(sql`UPDATE clusters SET
    labels = jsonb_build_object('env', (ARRAY['prod','staging','dev'])[1 + id % 3], 'tier', (ARRAY['web','api','db','batch'])[1 + (id / 3) % 4], 'region', 'r' || (id % 8)),
    health_status = (ARRAY['healthy','healthy','healthy','healthy','warning','unavailable']::health_status[])[1 + (id * 7) % 6],
    node_count = 3 + id % 20, pod_count = 40 + id % 100`);
  await gateway.database.db.execute(sql`ANALYZE clusters`);
  gateway.clusters.invalidateList();
}
if (args.has('dump-data-dir')) {
  const pglite = gateway.database.pglite;
  if (!pglite) throw new Error('--dump-data-dir needs the embedded database');
  await pglite.query('CHECKPOINT');
  writeFileSync(args.get('dump-data-dir')!, Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer()));
}

let seeded = count;
process.on('message', (m: { type?: string; count?: number }) => {
  if (m?.type === 'queries') process.send?.({ type: 'queries', count: statements, background, recent: recent.slice(-10) });
  // Memory after full collections (when started with --expose-gc), for per-subscriber figures.
  if (m?.type === 'memory') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    setTimeout(() => process.send?.({ type: 'memory', ...process.memoryUsage(), gc: Boolean(gc) }), 100);
  }
  // Grows the registry to `count` clusters (the scale curve reuses one process).
  if (m?.type === 'seed') {
    const target = m.count ?? seeded;
    seedClusters(gateway, target, () => kubeconfig, { viaService: 0, from: seeded })
      .then((r) => {
        seeded = Math.max(seeded, target);
        process.send?.({ type: 'seed', ...r });
      })
      .catch((err: Error) => process.send?.({ type: 'seed', error: err.message }));
  }
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(1), 20_000);
  force.unref();
  gateway
    .close()
    .catch(() => undefined)
    .then(() => pg?.drop())
    .finally(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);

const adminToken = signToken(jwtSecret, { sub: 'bench-admin', role: 'admin' }, { expiresIn: '24h' });
const userToken = signToken(jwtSecret, { sub: 'bench-user', role: 'user' }, { expiresIn: '24h' });
// Admins with distinct subjects, for clients that need more subscriptions than one user may hold (500 per replica).
const adminTokens = Array.from({ length: 4 }, (_, i) => signToken(jwtSecret, { sub: `bench-admin-${i}`, role: 'admin' }, { expiresIn: '24h' }));
// The bench's throwaway encryption key, for the raw baseline's decrypt of the same ciphertext (never a real key).
const encryptionKey = gateway.secrets.encryptionKey.toString('base64');
process.stdout.write(
  `${JSON.stringify({ url: gateway.url, adminToken, adminTokens, userToken, encryptionKey, databaseUrl: pg?.url, pid: process.pid, clusters: count, ...seed })}\n`,
);
