/**
 * Where the gateway's time goes under load: the gateway child runs with `--cpu-prof` while autocannon drives one
 * request kind; the profile's samples inside the load window (V8 and this process share CLOCK_MONOTONIC) are
 * summed by function (self time) and by area (npm package, src/ folder, node internals, GC).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SweepRun } from './health-sweep.js';
import { GATEWAY_NODE_ENV, SERVER_CPU, firstJsonLine, round, runJson, sleep, spawnTs, stopChild } from './lib.js';
import { type Kind, load, requestOf, startGatewayChild } from './targets.js';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  kind: Kind | 'start-up cold' | 'start-up warm' | 'health sweep' | `${string} (${'pglite' | 'postgres'})`;
  /** Request kinds: req/s under the profiler. */
  rps?: number;
  /** Start-up: ms from spawn to the banner under the profiler; sweep: wall time of the sweep. */
  ms?: number;
  /** Health sweep: its HEALTH_CHECK_CONCURRENCY. */
  concurrency?: number;
  samples: number;
  topFunctions: { fn: string; where: string; selfPct: number }[];
  areas: { area: string; selfPct: number }[];
}

const now = () => Number(process.hrtime.bigint() / 1000n);

function areaOf(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)' || fn === '(program)' || fn === '(root)') return fn;
  if (url.startsWith('wasm://')) return 'PGlite (WebAssembly)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const src = /\/(src\/[^/]+)\//.exec(url)?.[1] ?? /\/(src)\/[^/]+$/.exec(url)?.[1];
  if (src) return src;
  if (url.startsWith('node:') || url === '') return 'node internals';
  return url.replace(/^file:\/\/.*\/(bench|test)\//, '$1/');
}

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/(src|bench|test)\//, '$1/');

export function summarise(
  profile: CpuProfile,
  from: number,
  to: number,
): { samples: number; topFunctions: ProfileSummary['topFunctions']; areas: ProfileSummary['areas'] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fnHits = new Map<string, number>();
  const areaHits = new Map<string, number>();
  let t = profile.startTime;
  let counted = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    if (area === '(idle)') continue;
    counted++;
    const key = `${functionName || '(anonymous)'}\t${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`;
    fnHits.set(key, (fnHits.get(key) ?? 0) + 1);
    areaHits.set(area, (areaHits.get(area) ?? 0) + 1);
  }
  const pct = (n: number) => round((100 * n) / Math.max(1, counted), 1);
  const top = [...fnHits].sort((a, b) => b[1] - a[1]).slice(0, 15);
  return {
    samples: counted,
    topFunctions: top.map(([k, n]) => ({ fn: k.split('\t')[0]!, where: k.split('\t')[1]!, selfPct: pct(n) })),
    areas: [...areaHits]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([area, n]) => ({ area, selfPct: pct(n) })),
  };
}

export async function runProfile(kinds: Kind[], s: { clusters: number; connections: number; durationSec: number }): Promise<ProfileSummary[]> {
  const out: ProfileSummary[] = [];
  for (const kind of kinds) {
    const dir = mkdtempSync(join(tmpdir(), 'kgw-prof-'));
    try {
      const gw = await startGatewayChild(s.clusters, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
      const req = requestOf(kind, gw.info.adminToken);
      await load(gw.info.url, req, { connections: s.connections, duration: 1 });
      const from = now();
      const res = await load(gw.info.url, req, { connections: s.connections, duration: s.durationSec });
      const to = now();
      await gw.stop();
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error('the gateway wrote no CPU profile');
      const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
      let sum = summarise(profile, from, to);
      // Should the clocks ever disagree, fall back to the whole profile (start-up included) rather than nothing.
      if (sum.samples === 0) sum = summarise(profile, -Infinity, Infinity);
      out.push({ kind, rps: round(res.rps, 0), ...sum });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

/** Start-up of `src/main.ts` (cold, then warm on the same DATA_DIR) under `--cpu-prof`, whole profile to the banner. */
export async function runStartupProfile(): Promise<ProfileSummary[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kgw-prof-data-'));
  const out: ProfileSummary[] = [];
  try {
    for (const kind of ['start-up cold', 'start-up warm'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'kgw-prof-'));
      try {
        const env = {
          PORT: '0',
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
          LOG_LEVEL: 'warn',
          NODE_ENV: GATEWAY_NODE_ENV,
          HEALTH_CHECK_INTERVAL_SECONDS: '86400',
          PROMETHEUS_AUTO_DISCOVERY: 'false',
          DATABASE_URL: undefined,
          JWT_SECRET: undefined,
          ENCRYPTION_KEY: undefined,
        };
        const child = spawnTs('src/main.ts', [], { cpu: SERVER_CPU, env, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
        let text = '';
        child.stdout!.on('data', (d: Buffer) => (text += d.toString('utf8')));
        const t0 = performance.now();
        while (!/listening on/.test(text)) {
          if (child.exitCode !== null || performance.now() - t0 > 180_000) throw new Error(`gateway did not start: ${text}`);
          await sleep(20);
        }
        const ms = performance.now() - t0;
        await stopChild(child);
        const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
        if (!file) throw new Error('the gateway wrote no CPU profile');
        const sum = summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, -Infinity, Infinity);
        out.push({ kind, ms: round(ms, 0), ...sum });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return out;
}

/** One health sweep (gateway in-process, simulator apart) under `--cpu-prof`, cut to the sweep itself. */
export async function runSweepProfile(concurrency: number, clusters: number, latencyMs: number): Promise<ProfileSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'kgw-prof-'));
  try {
    const args = [
      '--child',
      '--mode',
      'gateway',
      '--concurrency',
      String(concurrency),
      '--clusters',
      String(clusters),
      '--latency-ms',
      String(latencyMs),
    ];
    const run = await runJson<SweepRun>('bench/health-sweep.ts', args, {
      cpu: SERVER_CPU,
      env: { NODE_ENV: GATEWAY_NODE_ENV },
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    });
    // The harness passes the flags on to the gateway's own process, whose profile is named gateway.cpuprofile.
    const file = readdirSync(dir).find((f) => f === 'gateway.cpuprofile');
    if (!file) throw new Error('the sweep wrote no CPU profile');
    const sum = summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, run.windowUs[0], run.windowUs[1]);
    return { kind: 'health sweep', ms: round(run.wallMs, 0), concurrency, ...sum };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Issue 18: one uncached path (bench/paths.ts) under `--cpu-prof`: the gateway child on the given database, wrk driving
 * the path's request for `durationSec`; self time inside the load window.
 */
export async function runPathProfiles(
  pathIds: string[],
  s: { clusters: number; connections: number; durationSec: number; database: 'pglite' | 'postgres'; databaseUrl?: string },
): Promise<ProfileSummary[]> {
  const { PATHS } = await import('./paths.js');
  const { runWrk } = await import('./wrk.js');
  const out: ProfileSummary[] = [];
  for (const id of pathIds) {
    const path = PATHS.find((p) => p.id === id);
    if (!path || path.baseline === 'simulator') continue;
    const dir = mkdtempSync(join(tmpdir(), 'kgw-prof-'));
    try {
      const args = ['--clusters', String(s.clusters), '--fleet-labels', ...(s.database === 'postgres' ? ['--database-url', s.databaseUrl!] : [])];
      const child = spawnTs('bench/gateway-server.ts', args, {
        cpu: SERVER_CPU,
        env: { NODE_ENV: GATEWAY_NODE_ENV },
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
      });
      const info = await firstJsonLine<{ url: string; adminToken: string; userToken: string; firstId: number }>(child);
      const base = path.request(info.firstId);
      const req = { ...base, headers: { ...base.headers, authorization: `Bearer ${path.as === 'admin' ? info.adminToken : info.userToken}` } };
      await runWrk(info.url, req, { connections: s.connections, durationSec: 1 });
      const from = now();
      const res = await runWrk(info.url, req, { connections: s.connections, durationSec: s.durationSec });
      const to = now();
      await stopChild(child);
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error('the gateway wrote no CPU profile');
      const sum = summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, from, to);
      out.push({ kind: `${id} (${s.database})`, rps: round(res.rps, 0), ...sum });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}
