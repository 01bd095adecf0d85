/**
 * Issue 18, item 4: the compiled gateway's RSS (bench/fleet-replica.mjs, plain node, as deployed), idle and with 1,000
 * clusters (simulated, answering, health monitor on: one sweep done and the list cached), on the embedded database and
 * on PostgreSQL; with V8's heap and external memory beside it. The floor: a bare node process holding an open PGlite
 * on the same data directory (its WebAssembly memory), and a bare node process (the runtime itself).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '../src/auth/jwt.js';
import { DEPLOYED_NODE_FLAGS, LOAD_CPU, ROOT, SERVER_CPU, firstJsonLine, mb, sleep, spawnTs, stopChild } from './lib.js';
import { privatePostgres, startReplica } from './replicas.js';

export interface MemoryRow {
  database: 'pglite' | 'postgres';
  /** Extra node flags of the gateway process ('' = as `npm run start:prod` runs it). */
  nodeFlags: string;
  state: 'idle' | 'clusters';
  clusters: number;
  rssMB: number;
  heapUsedMB: number;
  /** V8 heap reserved (used + free pages); after a forced GC. */
  heapTotalMB: number;
  externalMB: number;
  arrayBuffersMB: number;
  /** V8 code space in use (compiled functions). */
  codeMB: number;
  /** malloc'd by V8 outside the heap. */
  mallocedMB: number;
  /** PGlite's WebAssembly memory (embedded; 0 on PostgreSQL): included in arrayBuffers/external. */
  wasmMB: number;
}

export interface MemoryResult {
  rows: MemoryRow[];
  /** RSS of a bare node process, and of one holding an open PGlite (same options) on a migrated data directory. */
  nodeFloorMB: number;
  pgliteFloorMB: number;
  targets: { postgresIdleMB: number; embeddedClustersMB: number };
}

const FLOOR_SCRIPT = (dir: string) => `
import { PGlite } from '@electric-sql/pglite';
const db = await PGlite.create(${JSON.stringify(join(dir, 'pgdata'))}, { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=8MB'] });
await db.query('SELECT count(*) FROM clusters');
globalThis.gc?.();
await new Promise((r) => setTimeout(r, 500));
console.log(JSON.stringify({ rss: process.memoryUsage().rss }));
await db.close();`;

function floorRss(script: string): number {
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  return (JSON.parse(out.trim().split('\n').at(-1)!) as { rss: number }).rss;
}

export async function runMemory(
  s: { clusters: number; databaseUrl?: string; nodeFlags?: string[] },
  log: (m: string) => void,
): Promise<MemoryResult> {
  const template = process.env.BENCH_TEMPLATE_DIR;
  if (!template || !existsSync(join(template, 'pgdata')))
    throw new Error('memory needs the migrated template DATA_DIR (bench/lib.ts prepareTemplate)');
  const sim = spawnTs('bench/sim-server.ts', ['--clusters', String(s.clusters), '--latency-ms', '0'], { cpu: LOAD_CPU, ipc: true });
  const rows: MemoryRow[] = [];
  try {
    const simInfo = await firstJsonLine<{ kubeconfigFile: string }>(sim);
    const kubeconfigs = JSON.parse(readFileSync(simInfo.kubeconfigFile, 'utf8')) as string[];
    rmSync(simInfo.kubeconfigFile, { force: true });
    for (const database of ['pglite', 'postgres'] as const) {
      if (database === 'postgres' && !s.databaseUrl) continue;
      const dir = mkdtempSync(join(tmpdir(), 'kgw-mem-'));
      const pg = database === 'postgres' ? await privatePostgres(s.databaseUrl!, 'mem') : undefined;
      if (!pg) cpSync(template, dir, { recursive: true });
      const secret = randomBytes(32).toString('hex');
      const env = {
        DATA_DIR: dir,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        JWT_SECRET: secret,
        PROMETHEUS_AUTO_DISCOVERY: 'false',
        ...(pg ? { DATABASE_URL: pg.url, ENCRYPTION_KEY: randomBytes(32).toString('base64') } : {}),
      };
      const replica = await startReplica(`memory-${database}`, env, {
        cpu: SERVER_CPU,
        nodeArgs: ['--expose-gc', ...(s.nodeFlags ?? DEPLOYED_NODE_FLAGS)],
      });
      try {
        const sample = async (state: MemoryRow['state'], clusters: number) => {
          await sleep(2_000);
          const m = await replica.ask<{
            rss: number;
            heapUsed: number;
            heapTotal: number;
            external: number;
            arrayBuffers: number;
            codeSpaceUsed: number;
            mallocedMemory: number;
            wasmBytes: number;
          }>('memory');
          await sleep(500);
          const row: MemoryRow = {
            database,
            nodeFlags: (s.nodeFlags ?? DEPLOYED_NODE_FLAGS).join(' '),
            state,
            clusters,
            rssMB: mb(replica.rssBytes()),
            heapUsedMB: mb(m.heapUsed),
            heapTotalMB: mb(m.heapTotal),
            externalMB: mb(m.external),
            arrayBuffersMB: mb(m.arrayBuffers),
            codeMB: mb(m.codeSpaceUsed),
            mallocedMB: mb(m.mallocedMemory),
            wasmMB: mb(m.wasmBytes),
          };
          rows.push(row);
          log(
            `  memory ${database}${row.nodeFlags ? ` (${row.nodeFlags})` : ''} ${state}: RSS ${row.rssMB} MB (heap ${row.heapUsedMB}/${row.heapTotalMB}, external ${row.externalMB}, ` +
              `array buffers ${row.arrayBuffersMB}, wasm ${row.wasmMB}, code ${row.codeMB}, malloced ${row.mallocedMB})`,
          );
        };
        await sample('idle', 0);
        await replica.ask('seed', { kubeconfigs, prefix: 'mem' });
        // One health sweep over every cluster (the monitor starts at once), then the list read through the API.
        const token = signToken(secret, { sub: 'bench', role: 'admin' });
        const deadline = Date.now() + 120_000;
        while (Date.now() < deadline) {
          const res = await fetch(`${replica.url}/api/v1/k8s/clusters`, { headers: { authorization: `Bearer ${token}` } });
          const body = (await res.json()) as { data?: { clusters?: { health_status: string }[] } };
          if ((body.data?.clusters ?? []).filter((c) => c.health_status !== 'unknown').length >= s.clusters * 0.95) break;
          await sleep(1_000);
        }
        await sample('clusters', s.clusters);
      } finally {
        await replica.close();
        await pg?.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const floorDir = mkdtempSync(join(tmpdir(), 'kgw-mem-floor-'));
    cpSync(template, floorDir, { recursive: true });
    const pgliteFloorMB = mb(floorRss(FLOOR_SCRIPT(floorDir)));
    rmSync(floorDir, { recursive: true, force: true });
    const nodeFloorMB = mb(floorRss('console.log(JSON.stringify({ rss: process.memoryUsage().rss }))'));
    return { rows, nodeFloorMB, pgliteFloorMB, targets: { postgresIdleMB: 200, embeddedClustersMB: 300 } };
  } finally {
    await stopChild(sim);
  }
}
