/**
 * Issue item 7: start-up of `node --import tsx src/main.ts` (what `npm start` runs) on the embedded database, from
 * spawn to the first `/readyz` 200. Cold: a fresh DATA_DIR (PGlite initdb, migrations, generated secrets). Warm: the
 * DATA_DIR of the previous cold start. Compiled: warm again, but `node dist/main.js` as the Dockerfile runs it (built
 * once by `npm run build` before the rounds). Baseline: the same `node --import tsx` start of the raw baseline server
 * to its first answer (the floor of node + tsx). Rounds rotate the order; medians are reported.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GATEWAY_NODE_ENV, SERVER_CPU, median, round, sleep, spawnTs, stopChild } from './lib.js';

export interface StartupRun {
  kind: 'cold' | 'warm' | 'compiled' | 'baseline';
  bannerMs: number;
  readyMs: number;
  stopMs: number;
}

export interface StartupResult {
  rounds: number;
  runs: StartupRun[];
  medianColdMs: number;
  medianWarmMs: number;
  medianCompiledMs: number;
  medianBaselineMs: number;
  buildMs: number;
}

const GATEWAY_VARIABLES = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'DATA_DIR',
  'JWT_SECRET',
  'JWT_PUBLIC_KEY',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'ENCRYPTION_KEY',
  'ENCRYPTION_PREVIOUS_KEYS',
  'NODE_OPTIONS',
];

async function startOnce(kind: StartupRun['kind'], dataDir: string, routesFile: string): Promise<StartupRun> {
  const env: Record<string, string | undefined> = Object.fromEntries(GATEWAY_VARIABLES.map((k) => [k, undefined]));
  Object.assign(env, {
    NODE_ENV: GATEWAY_NODE_ENV,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    HEALTH_CHECK_INTERVAL_SECONDS: '86400',
    PROMETHEUS_AUTO_DISCOVERY: 'false',
  });
  const t0 = performance.now();
  const child =
    kind === 'baseline'
      ? spawnTs('bench/baseline-server.ts', ['--responses', routesFile], { cpu: SERVER_CPU, env })
      : kind === 'compiled'
        ? spawnTs('dist/main.js', [], { cpu: SERVER_CPU, env, tsx: false })
        : spawnTs('src/main.ts', [], { cpu: SERVER_CPU, env });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  try {
    let url: string | undefined;
    while (!url) {
      url = kind === 'baseline' ? /"url":"(http:\/\/[^"]+)"/.exec(out)?.[1] : /kube-gateway listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (child.exitCode !== null) throw new Error(`${kind} start exited with ${child.exitCode}: ${out}`);
      if (!url) await sleep(5);
      if (performance.now() - t0 > 180_000) throw new Error(`${kind} start timed out`);
    }
    const bannerMs = performance.now() - t0;
    for (;;) {
      const ok = await fetch(`${url}/readyz`)
        .then(async (r) => (await r.arrayBuffer(), r.status === 200))
        .catch(() => false);
      if (ok) break;
      await sleep(10);
    }
    const readyMs = performance.now() - t0;
    const s = performance.now();
    await stopChild(child);
    return { kind, bannerMs: round(bannerMs, 0), readyMs: round(readyMs, 0), stopMs: round(performance.now() - s, 0) };
  } finally {
    await stopChild(child);
  }
}

/** `compiledBuildMs`: dist/ was built (in that many ms) and is measured too; undefined leaves it out. */
export async function runStartup(
  { rounds, compiledBuildMs }: { rounds: number; compiledBuildMs?: number },
  log: (m: string) => void,
): Promise<StartupResult> {
  const compiled = compiledBuildMs !== undefined;
  const routesFile = join(tmpdir(), `kgw-bench-startup-${process.pid}.json`);
  const body = Buffer.from(JSON.stringify({ status: 'ready' }));
  writeFileSync(
    routesFile,
    JSON.stringify({
      routes: [{ method: 'GET', path: '/readyz', status: 200, contentType: 'application/json; charset=utf-8', bodyBase64: body.toString('base64') }],
    }),
  );
  const runs: StartupRun[] = [];
  const buildMs = compiledBuildMs ?? NaN;
  try {
    for (let r = 0; r < rounds; r++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'kgw-startup-'));
      try {
        const order = (r % 2 === 0 ? ['baseline', 'cold', 'warm', 'compiled'] : ['cold', 'compiled', 'warm', 'baseline']).filter(
          (k) => compiled || k !== 'compiled',
        ) as StartupRun['kind'][];
        for (const kind of order) {
          const run = await startOnce(kind, dataDir, routesFile);
          runs.push(run);
          log(`  start-up ${kind}: ready after ${run.readyMs} ms (banner ${run.bannerMs} ms), stopped in ${run.stopMs} ms`);
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(routesFile, { force: true });
  }
  const med = (k: StartupRun['kind']) => median(runs.filter((x) => x.kind === k).map((x) => x.readyMs));
  return {
    rounds,
    runs,
    medianColdMs: med('cold'),
    medianWarmMs: med('warm'),
    medianCompiledMs: med('compiled'),
    medianBaselineMs: med('baseline'),
    buildMs,
  };
}
