/**
 * Benchmark orchestrator: `npm run bench` (full) or `npm run bench -- --quick`. Runs every scenario one after the
 * other (never two at once), then writes bench/results.json and BENCHMARKS.md.
 *
 *   --quick               fewer and shorter rounds (a smoke run of every scenario)
 *   --only a,b            only these scenarios: throughput, paths, proxy, import-plan, fleet-filter, scale, huge, sweep,
 *                         fanout, startup, profile (proxy, import-plan and fleet-filter are part of full runs only)
 *   --no-profile          skip the CPU profiles (on by default in a full run)
 *   --no-write            print the results, do not touch BENCHMARKS.md / bench/results.json
 *   --write               a quick run writes too (by default it only prints: its short rounds must not replace a full
 *                         run's figures)
 *   --render              only re-render BENCHMARKS.md from bench/results.json (after a change to bench/report.ts)
 *
 * bench/results.json accumulates (bench/results-store.ts): a run replaces the scenarios it ran and keeps the others,
 * each with its provenance, so a partial run (`--only`, `--soak`, …) never erases the rest of BENCHMARKS.md.
 *
 *   --fleet-scale         only the fleet scale mode (bench/fleet-scale.ts; --fleet-clusters, --fleet-replicas,
 *                         --fleet-interval, --fleet-intervals); needs BENCH_DATABASE_URL
 *   --soak                only the soak (bench/soak.ts; --soak-minutes N, default 30)
 *   --memory              only the memory figures (bench/memory.ts; also part of a full run)
 *
 * Environment: BENCH_DATABASE_URL=postgres://… also runs the health sweep on PostgreSQL (full runs; a private database per run);
 * BENCH_NODE_ENV overrides the gateway's NODE_ENV (default production, as in the Dockerfile).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { runFanout, type FanoutResult } from './fanout.js';
import { runHealthSweep, type SweepResult } from './health-sweep.js';
import type { HugeClusterResult } from './huge-cluster.js';
import {
  GATEWAY_NODE_ENV,
  LOAD_CPU,
  ROOT,
  SERVER_CPU,
  buildDist,
  flags,
  hasTaskset,
  machineInfo,
  prepareTemplate,
  round,
  runJson,
  type MachineInfo,
} from './lib.js';
import { runPathProfiles, runProfile, runStartupProfile, runSweepProfile, type ProfileSummary } from './profile.js';
import { renderMarkdown } from './report.js';
import { runScale, type ScaleResult } from './scale.js';
import { runStartup, type StartupResult } from './startup.js';
import { runThroughput, type ThroughputResult } from './throughput.js';
import { PATHS, runPaths, type PathSettings, type PathsResult } from './paths.js';
import { runFleetScale, type FleetScaleResult } from './fleet-scale.js';
import { runMemory, type MemoryResult } from './memory.js';
import { runSoak, type SoakResult } from './soak.js';
import { loadSaved, mergeResults, type Provenance, type ScenarioKey } from './results-store.js';
import type { FleetFilterResult, ImportPlanResult, ProxyResult } from './report-extras.js';

export interface Settings {
  quick: boolean;
  connections: number;
  throughput: { clusters: number; rounds: number; durationSec: number; p99Rounds: number; p99DurationSec: number };
  paths: PathSettings;
  scale: { sizes: number[]; rounds: number; durationSec: number; changes: number };
  huge: { pods: number; runs: number; fallback: boolean };
  sweep: { clusters: number; latencyMs: number; concurrencies: number[]; runs: number; postgres: boolean; defaultConcurrency?: number };
  fanout: { subscribers: number; rounds: number };
  startup: { rounds: number; compiled: boolean };
  profile: { enabled: boolean; durationSec: number };
  proxy: { rounds: number; seconds: number; watches: number };
  fleetFilter: { clusters: number };
  gatewayNodeEnv: string;
  pinning: string;
}

export interface Results {
  command: string;
  startedAt: string;
  elapsedSec: number;
  machine: MachineInfo;
  loadAverage: { before: number[]; after: number[] };
  settings: Settings;
  throughput?: ThroughputResult;
  paths?: PathsResult;
  proxy?: ProxyResult;
  importPlan?: ImportPlanResult;
  fleetFilter?: FleetFilterResult;
  fleetScale?: FleetScaleResult;
  memory?: MemoryResult;
  soak?: SoakResult;
  scale?: ScaleResult;
  huge?: HugeClusterResult;
  sweep?: SweepResult;
  fanout?: FanoutResult;
  startup?: StartupResult;
  profile?: ProfileSummary[];
  failures: string[];
  /** Per scenario: the run it comes from (bench/results-store.ts). */
  provenance?: Partial<Record<ScenarioKey, Provenance>>;
}

/** The gateway's own defaults (HEALTH_CHECK_CONCURRENCY and the rest), as a bare environment gives them. */
const HEALTH_DEFAULTS = loadConfig({}).health;
const args = flags();
if (args.has('render')) {
  const saved = JSON.parse(readFileSync(join(ROOT, 'bench/results.json'), 'utf8')) as Results;
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), renderMarkdown(mergeResults(undefined, saved)));
  process.exit(0);
}
const quick = args.has('quick');
// The long modes run alone: `--fleet-scale`, `--soak`, `--memory` are scenarios of their own.
const modes = ['fleet-scale', 'soak', 'memory'].filter((m) => args.has(m));
const only = modes.length ? modes : args.get('only')?.split(',');
/** The long modes run only when asked for by name (`--fleet-scale`, `--soak`, or `--only`). */
const EXPLICIT_ONLY = new Set(['fleet-scale', 'soak']);
/** Part of a full run, left out of a quick one (each is a minute or more and has no short form). */
const FULL_ONLY = new Set(['proxy', 'import-plan', 'fleet-filter', 'memory']);
const want = (name: string) =>
  EXPLICIT_ONLY.has(name) ? Boolean(only?.includes(name)) : only ? only.includes(name) : !(quick && FULL_ONLY.has(name));
const databaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;

const settings: Settings = {
  quick,
  connections: 10,
  throughput: quick
    ? { clusters: 100, rounds: 1, durationSec: 2, p99Rounds: 1, p99DurationSec: 2 }
    : { clusters: 100, rounds: 3, durationSec: 5, p99Rounds: 2, p99DurationSec: 5 },
  // Uncached paths on both databases (PostgreSQL when BENCH_DATABASE_URL is set), wrk as the load generator. The quick
  // run measures one database (PostgreSQL when given) and one path of each shape, to stay within its two minutes.
  paths: {
    databases: quick ? [databaseUrl ? 'postgres' : 'pglite'] : ['pglite', 'postgres'],
    clusters: 100,
    connections: 10,
    ...(quick
      ? { rounds: 1, durationSec: 1, halfRateSec: 1, only: ['gql-cluster-small', 'rest-c2-admin', 'proxy-pods', 'rest-c4'] }
      : { rounds: 3, durationSec: 3, halfRateSec: 3 }),
  },
  // The quick run stops the scale curve at 1,000 clusters: seeding 10,000 alone would take a fifth of its budget.
  scale: quick
    ? { sizes: [10, 1_000], rounds: 1, durationSec: 1, changes: 2 }
    : { sizes: [10, 100, 1_000, 10_000], rounds: 3, durationSec: 3, changes: 5 },
  huge: { pods: 100_000, runs: quick ? 1 : 3, fallback: !quick },
  sweep: {
    // A quick sweep is a fifth of the fleet: seeding and simulating 1,000 clusters alone took half a minute.
    clusters: quick ? 200 : 1_000,
    latencyMs: 50,
    concurrencies: quick ? [64] : [32, 64, 128],
    runs: quick ? 1 : 3,
    postgres: Boolean(databaseUrl) && !quick,
    defaultConcurrency: HEALTH_DEFAULTS.concurrency,
  },
  // A quick fan-out holds 400 subscribers: enough to see the push path, half the time of 1,000.
  fanout: { subscribers: quick ? 400 : 1_000, rounds: quick ? 1 : 5 },
  startup: { rounds: quick ? 1 : 3, compiled: !quick },
  profile: { enabled: !quick && !args.has('no-profile'), durationSec: 8 },
  proxy: { rounds: 3, seconds: 5, watches: 1_000 },
  fleetFilter: { clusters: 10_000 },
  gatewayNodeEnv: GATEWAY_NODE_ENV,
  pinning: hasTaskset()
    ? `taskset: servers under test on CPU ${SERVER_CPU}, load generators / clients / simulator on CPU ${LOAD_CPU}`
    : 'none (taskset not found)',
};

const started = Date.now();
const log = (m: string) => process.stderr.write(`[bench ${round((Date.now() - started) / 1000, 0)}s] ${m}\n`);

const results: Results = {
  command: `npm run bench${quick ? ' -- --quick' : ''}   (= npx tsx bench/run.ts${quick ? ' --quick' : ''})`,
  startedAt: new Date(started).toISOString(),
  elapsedSec: 0,
  machine: machineInfo(),
  loadAverage: { before: loadavg().map((x) => round(x, 2)), after: [] },
  settings,
  failures: [],
};

async function section<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
  if (!want(name)) return undefined;
  const t = Date.now();
  log(`${name}: start`);
  try {
    const r = await fn();
    log(`${name}: done in ${round((Date.now() - t) / 1000, 0)} s`);
    return r;
  } catch (err) {
    results.failures.push(`${name}: ${(err as Error).stack ?? err}`);
    log(`${name}: FAILED: ${(err as Error).message}`);
    return undefined;
  }
}

const c = settings.connections;
// The health sweep and the compiled start-up run the gateway as deployed: compiled, from dist/.
let buildMs: number | undefined;
const distBuilt = existsSync(join(ROOT, 'dist/gateway.js'));
if (quick && distBuilt) log('quick: using the dist/ already built (npm run build to refresh it)');
else if (want('sweep') || want('fleet-scale') || want('soak') || want('memory') || (want('startup') && settings.startup.compiled)) {
  buildMs = buildDist();
  log(`npm run build: ${round(buildMs / 1000, 1)} s`);
}
const templateStarted = Date.now();
await prepareTemplate();
log(`template DATA_DIR ready in ${round((Date.now() - templateStarted) / 1000, 0)} s`);
results.throughput = await section('throughput', () => runThroughput({ ...settings.throughput, connections: c }, log));
results.paths = await section('paths', () => runPaths(settings.paths, databaseUrl, log));
results.proxy = await section('proxy', () =>
  runJson<ProxyResult>('bench/proxy.ts', [
    '--rounds',
    String(settings.proxy.rounds),
    '--seconds',
    String(settings.proxy.seconds),
    '--watches',
    String(settings.proxy.watches),
  ]),
);
results.importPlan = await section('import-plan', () => runJson<ImportPlanResult>('bench/import-plan.ts', []));
results.fleetFilter = await section('fleet-filter', () => {
  if (!databaseUrl) throw new Error('fleet-filter needs BENCH_DATABASE_URL (PostgreSQL)');
  return runJson<FleetFilterResult>('bench/fleet-filter.ts', ['--clusters', String(settings.fleetFilter.clusters)], {
    env: { BENCH_DATABASE_URL: databaseUrl },
  });
});
results.fleetScale = await section('fleet-scale', () => {
  if (!databaseUrl) throw new Error('--fleet-scale needs BENCH_DATABASE_URL (PostgreSQL)');
  const n = (name: string, d: number) => Number(args.get(name) ?? d);
  return runFleetScale(
    {
      clusters: n('fleet-clusters', 10_000),
      replicas: n('fleet-replicas', 3),
      intervalSec: n('fleet-interval', 60),
      intervals: n('fleet-intervals', 2),
      flapping: 20,
      subscribers: 60,
    },
    databaseUrl,
    log,
  );
});
results.memory = await section('memory', () => (quick ? Promise.resolve(undefined) : runMemory({ clusters: 1_000, databaseUrl }, log)));
results.soak = await section('soak', () => {
  if (!databaseUrl) throw new Error('--soak needs BENCH_DATABASE_URL (PostgreSQL): two replicas share it');
  return runSoak({ minutes: Number(args.get('soak-minutes') ?? 30), clusters: 1_000, databaseUrl }, log);
});
results.scale = await section('scale', () => runScale(settings.scale, log));
results.huge = await section('huge', () =>
  runJson<HugeClusterResult>('bench/huge-cluster.ts', [
    '--pods',
    String(settings.huge.pods),
    '--runs',
    String(settings.huge.runs),
    ...(settings.huge.fallback ? [] : ['--no-fallback']),
  ]),
);
results.sweep = await section('sweep', () =>
  runHealthSweep({ ...settings.sweep, databaseUrl: settings.sweep.postgres ? databaseUrl : undefined }, log),
);
results.fanout = await section('fanout', () => runFanout(settings.fanout));
results.startup = await section('startup', () =>
  runStartup({ rounds: settings.startup.rounds, compiledBuildMs: settings.startup.compiled ? buildMs : undefined }, log),
);
if (settings.profile.enabled) {
  results.profile = await section('profile', async () => [
    ...(await runProfile(['graphql', 'rest'], { clusters: settings.throughput.clusters, connections: c, durationSec: settings.profile.durationSec })),
    ...(await runStartupProfile()),
    await runSweepProfile(results.sweep?.best.concurrency ?? 64, settings.sweep.clusters, settings.sweep.latencyMs),
    ...(await runPathProfiles(
      PATHS.map((p) => p.id),
      { clusters: settings.paths.clusters, connections: c, durationSec: 4, database: databaseUrl ? 'postgres' : 'pglite', databaseUrl },
    )),
  ]);
}
if (results.soak && !results.soak.passed)
  results.failures.push(
    `soak: ${Object.entries(results.soak.checks)
      .filter(([, ok]) => !ok)
      .map(([k]) => k)
      .join('; ')}`,
  );
if (results.scale && !results.scale.assertion.passed) results.failures.push(`scale: round-trip assertion failed: ${results.scale.assertion.detail}`);

results.elapsedSec = round((Date.now() - started) / 1000, 0);
results.loadAverage.after = loadavg().map((x) => round(x, 2));
// A quick run prints unless told to write: its one-second rounds must not replace a full run's figures.
const write = !args.has('no-write') && (!quick || args.has('write'));
const resultsFile = join(ROOT, 'bench/results.json');
const merged = write ? mergeResults(loadSaved(resultsFile), results) : mergeResults(undefined, results);
const markdown = renderMarkdown(merged);
if (!write) process.stdout.write(`${markdown}\n`);
else {
  writeFileSync(resultsFile, `${JSON.stringify(merged, null, 2)}\n`);
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), markdown);
  log(`wrote BENCHMARKS.md and bench/results.json (${results.elapsedSec} s; other scenarios kept from earlier runs)`);
}
if (results.failures.length) {
  log(`failures:\n${results.failures.join('\n')}`);
  process.exitCode = 1;
}
