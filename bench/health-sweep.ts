/**
 * Issue item 5: one health sweep over 1,000 simulated clusters that answer after 50 ms each. The gateway runs as
 * deployed, compiled, alone in its own process (bench/sweep-gateway.mjs: `gateway.health.sweep()`, embedded PGlite,
 * HEALTH_CHECK_CONCURRENCY as given); the simulator runs in its own process on the other CPU. Every 50 ms: the
 * gateway process's RSS (/proc), the simulator's open connections, the gateway's open kube sockets. The baseline
 * (`--mode raw`) does the probe requests (version, then nodes ∥ pods?limit=1) with bare node:https keep-alive agents
 * in this process at the same concurrency, no database. Runs alternate.
 *
 * With `--database-url` (BENCH_DATABASE_URL in run.ts) the gateway also runs on PostgreSQL, in a private database
 * created and dropped here, to separate the embedded database's memory from the gateway's.
 *
 *   node --import tsx bench/health-sweep.ts --child --mode gateway|raw --concurrency 64 [--clusters 1000] [--latency-ms 50]
 *     [--database-url postgres://…]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { createSecureContext } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseKubeconfig } from '../src/kube/kubeconfig.js';
import {
  GATEWAY_NODE_ENV,
  LOAD_CPU,
  ROOT,
  SERVER_CPU,
  ask,
  cpuMsOf,
  firstJsonLine,
  flags,
  mb,
  median,
  round,
  runJson,
  spawnTs,
  stopChild,
} from './lib.js';

export interface SweepRun {
  mode: 'gateway' | 'raw';
  database?: 'pglite' | 'postgres';
  concurrency: number;
  clusters: number;
  wallMs: number;
  probed: number;
  peakSimConnections: number;
  peakGatewaySockets: number;
  /** CPU time used during the sweep by this process (gateway or baseline) and by the simulator. */
  cpuMs: number;
  simCpuMs: number;
  /** The sweep's start and end on CLOCK_MONOTONIC in µs (to cut a --cpu-prof profile to the sweep). */
  windowUs: [number, number];
  rssBeforeMB: number;
  peakRssMB: number;
  simRequests: number;
  byStatus: Record<string, number>;
  health?: Record<string, number>;
}

export interface SweepSettings {
  clusters: number;
  latencyMs: number;
  concurrencies: number[];
  runs: number;
  /** Also run the best concurrency on PostgreSQL (server at this URL; a private database is created per run). */
  databaseUrl?: string;
}

export interface SweepResult {
  settings: SweepSettings;
  runs: SweepRun[];
  byConcurrency: {
    concurrency: number;
    gatewayWallMs: number;
    rawWallMs: number;
    ratio: number;
    peakRssMB: number;
    rssBeforeMB?: number;
    peakSimConnections: number;
    gatewayCpuMs: number;
    rawCpuMs: number;
    simCpuMs: number;
  }[];
  best: {
    concurrency: number;
    gatewayWallMs: number;
    rawWallMs: number;
    ratio: number;
    peakRssMB: number;
    peakSimConnections: number;
    peakGatewaySockets: number;
  };
  postgres?: { concurrency: number; gatewayWallMs: number; peakRssMB: number; rssBeforeMB: number };
  /** Raw-mode RSS: node, the modules and 1,000 bare agents, no gateway. */
  rawPeakRssMB: number;
}

export async function runHealthSweep(s: SweepSettings, log: (m: string) => void): Promise<SweepResult> {
  const runs: SweepRun[] = [];
  for (const c of s.concurrencies) {
    for (let r = 0; r < s.runs; r++) {
      for (const mode of r % 2 === 0 ? (['raw', 'gateway'] as const) : (['gateway', 'raw'] as const)) {
        const args = ['--child', '--mode', mode, '--concurrency', String(c), '--clusters', String(s.clusters), '--latency-ms', String(s.latencyMs)];
        const run = await runJson<SweepRun>('bench/health-sweep.ts', args, { cpu: SERVER_CPU, env: { NODE_ENV: GATEWAY_NODE_ENV } });
        runs.push(run);
        log(
          `  sweep ${mode} concurrency ${c}: ${round(run.wallMs, 0)} ms (CPU ${run.cpuMs} ms, simulator CPU ${run.simCpuMs} ms), ${run.probed} probed, peak RSS ${run.peakRssMB} MB, peak sim connections ${run.peakSimConnections}`,
        );
      }
    }
  }
  const byConcurrency = s.concurrencies.map((c) => {
    const g = runs.filter((x) => x.concurrency === c && x.mode === 'gateway');
    const raw = runs.filter((x) => x.concurrency === c && x.mode === 'raw');
    const gatewayWallMs = round(median(g.map((x) => x.wallMs)), 0);
    const rawWallMs = round(median(raw.map((x) => x.wallMs)), 0);
    return {
      concurrency: c,
      gatewayWallMs,
      rawWallMs,
      ratio: round(gatewayWallMs / rawWallMs, 2),
      peakRssMB: median(g.map((x) => x.peakRssMB)),
      rssBeforeMB: median(g.map((x) => x.rssBeforeMB)),
      peakSimConnections: median(g.map((x) => x.peakSimConnections)),
      peakGatewaySockets: median(g.map((x) => x.peakGatewaySockets)),
      gatewayCpuMs: median(g.map((x) => x.cpuMs)),
      rawCpuMs: median(raw.map((x) => x.cpuMs)),
      simCpuMs: median(g.map((x) => x.simCpuMs)),
    };
  });
  const best = [...byConcurrency].sort((a, b) => a.gatewayWallMs - b.gatewayWallMs)[0]!;
  let postgres: SweepResult['postgres'];
  if (s.databaseUrl) {
    const pg: SweepRun[] = [];
    for (let r = 0; r < s.runs; r++) {
      const args = [
        '--child',
        '--mode',
        'gateway',
        '--concurrency',
        String(best.concurrency),
        '--clusters',
        String(s.clusters),
        '--latency-ms',
        String(s.latencyMs),
        '--database-url',
        s.databaseUrl,
      ];
      const run = await runJson<SweepRun>('bench/health-sweep.ts', args, { cpu: SERVER_CPU, env: { NODE_ENV: GATEWAY_NODE_ENV } });
      pg.push(run);
      runs.push(run);
      log(
        `  sweep gateway on PostgreSQL, concurrency ${best.concurrency}: ${round(run.wallMs, 0)} ms, peak RSS ${run.peakRssMB} MB (before ${run.rssBeforeMB} MB)`,
      );
    }
    postgres = {
      concurrency: best.concurrency,
      gatewayWallMs: round(median(pg.map((x) => x.wallMs)), 0),
      peakRssMB: median(pg.map((x) => x.peakRssMB)),
      rssBeforeMB: median(pg.map((x) => x.rssBeforeMB)),
    };
  }
  const rawPeakRssMB = median(runs.filter((x) => x.mode === 'raw').map((x) => x.peakRssMB));
  return { settings: s, runs, byConcurrency: byConcurrency.map(({ peakGatewaySockets: _, ...rest }) => rest), best, postgres, rawPeakRssMB };
}

/** Bare probe of one cluster: what the gateway's probe asks, with nothing else around it. */
function rawProbe(kubeconfig: string): () => Promise<void> {
  const spec = parseKubeconfig(kubeconfig);
  // One TLS secure context per cluster (built once, not per socket), as an efficient client would.
  const secureContext = createSecureContext({ ca: Buffer.from(spec.caData!, 'base64') });
  const agent = new https.Agent({ keepAlive: true, maxFreeSockets: 4, timeout: 30_000, secureContext });
  const get = (path: string) =>
    new Promise<unknown>((resolve, reject) => {
      const req = https.request(
        new URL(path, spec.server),
        { agent, headers: { authorization: `Bearer ${spec.token}`, accept: 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  return async () => {
    await get('/version');
    await Promise.all([get('/api/v1/nodes'), get('/api/v1/pods?limit=1')]);
  };
}

/** What a sweep reports, whichever process ran it. */
interface SweepOutcome {
  wallMs: number;
  cpuMs: number;
  probed: number;
  windowUs: [number, number];
  peakSockets: number;
  health?: Record<string, number>;
}

/** The process under test: this one (raw agents) or the compiled gateway's own (bench/sweep-gateway.mjs). */
interface SweepTarget {
  pid: number;
  sweep(): Promise<SweepOutcome>;
  close(): Promise<void>;
}

const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

/**
 * The gateway as deployed, alone in its process (compiled dist/, plain node: no tsx, no harness), on this process's
 * CPU (taskset is inherited). `--cpu-prof` flags given to this process go to the gateway's instead, named gateway.cpuprofile.
 */
async function compiledGateway(dataDir: string, kubeconfigFile: string, concurrency: number, env: Record<string, string>): Promise<SweepTarget> {
  if (!existsSync(new URL('../dist/gateway.js', import.meta.url)))
    throw new Error('the sweep measures the compiled gateway: run `npm run build` first');
  const prof = process.execArgv.filter((a) => a.startsWith('--cpu-prof'));
  const nodeArgs = prof.length ? [...prof, '--cpu-prof-name=gateway.cpuprofile'] : [];
  const gw = spawn(
    process.execPath,
    [...nodeArgs, 'bench/sweep-gateway.mjs', '--data-dir', dataDir, '--kubeconfigs', kubeconfigFile, '--concurrency', String(concurrency)],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the sweep gateway exited (${code}) before '${type}'`));
      gw.once('exit', onExit);
      const onMessage = (m: { type?: string }) => {
        if (m?.type !== type) return;
        gw.off('message', onMessage);
        gw.off('exit', onExit);
        resolve(m as T);
      };
      gw.on('message', onMessage);
    });
  await next('ready');
  return {
    pid: gw.pid!,
    sweep: async () => {
      const swept = next<SweepOutcome>('swept');
      gw.send({ type: 'sweep' });
      return swept;
    },
    close: async () => {
      const exited = new Promise((resolve) => gw.once('exit', resolve));
      gw.send({ type: 'close' });
      await exited;
    },
  };
}

function rawAgents(kubeconfigs: string[], concurrency: number): SweepTarget {
  const probes = kubeconfigs.map(rawProbe);
  return {
    pid: process.pid,
    sweep: async () => {
      const cpu0 = process.cpuUsage();
      const fromUs = Number(process.hrtime.bigint() / 1000n);
      const t = performance.now();
      let next = 0;
      const worker = async () => {
        while (next < probes.length) await probes[next++]!();
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const wallMs = performance.now() - t;
      const cpu = process.cpuUsage(cpu0);
      return {
        wallMs,
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        probed: probes.length,
        windowUs: [fromUs, Number(process.hrtime.bigint() / 1000n)],
        peakSockets: 0,
      };
    },
    close: async () => {},
  };
}

async function child(): Promise<void> {
  const args = flags();
  const mode = args.get('mode') === 'raw' ? 'raw' : 'gateway';
  const concurrency = Number(args.get('concurrency') ?? '32');
  const clusters = Number(args.get('clusters') ?? '1000');
  const sim = spawnTs('bench/sim-server.ts', ['--clusters', String(clusters), '--latency-ms', args.get('latency-ms') ?? '50'], {
    cpu: LOAD_CPU,
    ipc: true,
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'kgw-sweep-'));
  let dropDatabase = async () => {};
  let extraEnv: Record<string, string> = {};
  let kubeconfigFile = '';
  try {
    const simInfo = await firstJsonLine<{ url: string; kubeconfigFile: string }>(sim);
    kubeconfigFile = simInfo.kubeconfigFile;
    let target: SweepTarget;
    if (mode === 'gateway') {
      const databaseUrl = args.get('database-url');
      if (databaseUrl) {
        const dbName = `kgw_bench_${process.pid}`;
        const postgres = (await import('postgres')).default;
        const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
        await admin.unsafe(`CREATE DATABASE ${dbName}`);
        await admin.end();
        const url = new URL(databaseUrl);
        url.pathname = `/${dbName}`;
        dropDatabase = async () => {
          const a = postgres(databaseUrl, { max: 1, onnotice: () => {} });
          await a.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
          await a.end();
        };
        extraEnv = { DATABASE_URL: url.toString(), ENCRYPTION_KEY: randomBytes(32).toString('base64') };
      }
      const template = process.env.BENCH_TEMPLATE_DIR;
      if (!databaseUrl && template && existsSync(join(template, 'pgdata'))) cpSync(template, dataDir, { recursive: true });
      target = await compiledGateway(dataDir, kubeconfigFile, concurrency, extraEnv);
    } else {
      target = rawAgents(JSON.parse(readFileSync(kubeconfigFile, 'utf8')) as string[], concurrency);
    }
    await ask(sim, 'clear');
    const rssBefore = rssOf(target.pid);
    let peakRss = rssBefore;
    let peakConns = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakRss = Math.max(peakRss, rssOf(target.pid));
        peakConns = Math.max(peakConns, (await ask<{ count: number }>(sim, 'conns')).count);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const simCpu0 = cpuMsOf(sim.pid!);
    const outcome = await target.sweep();
    const simCpuMs = cpuMsOf(sim.pid!) - simCpu0;
    sampling = false;
    await sampler;
    peakRss = Math.max(peakRss, rssOf(target.pid));
    const stats = await ask<{ requests: number; byStatus: Record<string, number> }>(sim, 'stats');
    const result: SweepRun = {
      mode,
      database: mode === 'raw' ? undefined : extraEnv.DATABASE_URL ? 'postgres' : 'pglite',
      concurrency,
      clusters,
      wallMs: outcome.wallMs,
      probed: outcome.probed,
      peakSimConnections: peakConns,
      peakGatewaySockets: outcome.peakSockets,
      cpuMs: outcome.cpuMs,
      simCpuMs,
      windowUs: outcome.windowUs,
      rssBeforeMB: mb(rssBefore),
      peakRssMB: mb(peakRss),
      simRequests: stats.requests,
      byStatus: stats.byStatus,
      health: outcome.health,
    };
    await target.close();
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await stopChild(sim);
    await dropDatabase();
    rmSync(dataDir, { recursive: true, force: true });
    if (kubeconfigFile) rmSync(kubeconfigFile, { force: true });
  }
  process.exit(0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv.includes('--child')) await child();
