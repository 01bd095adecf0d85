/**
 * Issue 14 item 8: the filtered cluster list at 10,000 clusters on PostgreSQL.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/fleet-filter.ts [--clusters 10000] [--requests 300]
 *
 * Seeds clusters with labels (env × tier × region × team) and mixed health in a private database, then times, one
 * request at a time over HTTP, GraphQL `clusters(filter: {labelSelector, healthStatus}, first: 50)` (runs in SQL every
 * time: filtered reads are never answered from the response cache), the same with a cursor (page 2), and the
 * unfiltered cached list (`clusters { … }`, answered from rendered bytes). Prints one JSON line with p50/p99.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { signToken } from '../src/auth/jwt.js';
import { KubeconfigCipher } from '../src/clusters/kubeconfig-cipher.js';
import { loadConfig } from '../src/config.js';
import { clusters, type HEALTH_STATUSES } from '../src/db/schema.js';
import { startGateway } from '../src/gateway.js';
import { flags, percentile, round } from './lib.js';

const args = flags();
const databaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!databaseUrl) throw new Error('set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL URL');
const COUNT = Number(args.get('clusters') ?? '10000');
const REQUESTS = Number(args.get('requests') ?? '300');
const WARMUP = 30;

const SELECTOR = 'env=prod,tier in (web,api)';
const FILTERED = `query($after: String) { clusters(filter: { labelSelector: "${SELECTOR}", healthStatus: [HEALTHY, WARNING] }, first: 50, after: $after) {
  total items { id name healthStatus nodeCount labels { key value } } pageInfo { hasNextPage endCursor } } }`;
const UNFILTERED = '{ clusters { total items { id name healthStatus nodeCount } } }';

const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;
// Health spread like a real fleet: mostly healthy.
const HEALTH_SPREAD = [
  'healthy',
  'healthy',
  'healthy',
  'healthy',
  'healthy',
  'healthy',
  'healthy',
  'warning',
  'unavailable',
  'error',
  'unknown',
] as const;

async function main() {
  const dbName = `kgw_fleet_bench_${process.pid}`;
  const admin = postgres(databaseUrl!, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const url = new URL(databaseUrl!);
  url.pathname = `/${dbName}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'kgw-fleet-bench-'));
  const secret = randomBytes(24).toString('hex');
  const gw = await startGateway(
    loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: url.toString(),
      JWT_SECRET: secret,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'silent',
      PROMETHEUS_AUTO_DISCOVERY: 'false',
      AUTH_FAILURE_LIMIT: '0',
    }),
    { healthMonitor: false },
  );
  try {
    const seedStarted = performance.now();
    const cipher = new KubeconfigCipher(gw.secrets.encryptionKey, gw.secrets.previousEncryptionKeys);
    const { ciphertext, keyId } = cipher.encrypt('apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    for (let start = 0; start < COUNT; start += 1000) {
      const rows = [];
      for (let i = start; i < Math.min(COUNT, start + 1000); i++) {
        rows.push({
          name: `fleet-${String(i).padStart(5, '0')}`,
          kubeconfigCiphertext: ciphertext,
          kubeconfigKeyId: keyId,
          isDefault: i === 0,
          healthStatus: pick(HEALTH_SPREAD, i * 7) as (typeof HEALTH_STATUSES)[number],
          healthMessage: 'seeded',
          nodeCount: 3 + (i % 20),
          labels: {
            env: pick(['prod', 'staging', 'dev'], i),
            tier: pick(['web', 'api', 'db', 'batch'], i >> 1),
            region: `r${i % 8}`,
            team: `t${i % 50}`,
          },
        });
      }
      await gw.database.db.insert(clusters).values(rows);
    }
    await gw.database.db.execute(sql`ANALYZE clusters`);
    gw.clusters.invalidateList();
    const seedMs = performance.now() - seedStarted;

    const token = signToken(secret, { sub: 'bench', role: 'admin' });
    const post = async (query: string, variables?: Record<string, unknown>) => {
      const started = performance.now();
      const res = await fetch(`${gw.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = await res.text();
      const ms = performance.now() - started;
      if (res.status !== 200 || body.includes('"errors"')) throw new Error(`answer ${res.status}: ${body.slice(0, 300)}`);
      return { ms, body };
    };
    const time = async (query: string, variables?: Record<string, unknown>) => {
      for (let i = 0; i < WARMUP; i++) await post(query, variables);
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < REQUESTS; i++) {
        const { ms, body } = await post(query, variables);
        times.push(ms);
        bytes = body.length;
      }
      return { p50Ms: round(percentile(times, 50)), p99Ms: round(percentile(times, 99)), bodyBytes: bytes };
    };

    const page1 = JSON.parse((await post(FILTERED)).body).data.clusters;
    const filtered = await time(FILTERED);
    const filteredPage2 = await time(FILTERED, { after: page1.pageInfo.endCursor });
    const unfilteredCached = await time(UNFILTERED);
    const result = {
      scenario: 'fleet-filter',
      database: 'postgres',
      clusters: COUNT,
      seedMs: Math.round(seedMs),
      selector: SELECTOR,
      healthStatus: ['HEALTHY', 'WARNING'],
      matches: page1.total,
      filteredFirst50: filtered,
      filteredFirst50Page2: filteredPage2,
      unfilteredCachedList: unfilteredCached,
      requests: REQUESTS,
      targetFilteredP50Ms: 20,
      targetMet: filtered.p50Ms <= 20,
    };
    console.log(JSON.stringify(result));
  } finally {
    await gw.close();
    rmSync(dataDir, { recursive: true, force: true });
    const a = postgres(databaseUrl!, { max: 1, onnotice: () => {} });
    await a.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
    await a.end();
  }
}

await main();
