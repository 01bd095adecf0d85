/**
 * Issue 18, item 3 (`npm run bench -- --fleet-scale`): N simulated clusters (10,000), R gateway replicas (3, compiled,
 * as deployed) on one PostgreSQL, HEALTH_CHECK_INTERVAL I s (60). After a warm-up interval (every cluster is due at
 * once when first seen), over K intervals: every cluster must be probed once per interval (±10 %) and never twice
 * within half an interval (from the simulator's own request log: each probe starts with `GET /version`); per-replica
 * CPU and RSS sampled every second; while the sweeps run, the filtered list (GraphQL `clusters(filter, first: 50)`,
 * one request at a time, replicas in turn) and the `clusterHealth` fan-out (subscribers spread over the replicas on
 * flapping clusters; delay = arrival − the transition's `updatedAt`, written by whichever replica probed).
 *
 *   npx tsx bench/run.ts --fleet-scale [--fleet-clusters 10000] [--fleet-replicas 3] [--fleet-interval 60] [--fleet-intervals 2]
 * Needs BENCH_DATABASE_URL (or TEST_DATABASE_URL): a private database is created and dropped.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { signToken } from '../src/auth/jwt.js';
import { LOAD_CPU, ask, cpuMsOf, firstJsonLine, mb, median, percentile, round, sleep, spawnTs, stopChild } from './lib.js';
import { privatePostgres, type Replica, startReplica } from './replicas.js';

export interface FleetScaleSettings {
  clusters: number;
  replicas: number;
  intervalSec: number;
  intervals: number;
  flapping: number;
  subscribers: number;
}

export interface FleetScaleResult {
  settings: FleetScaleSettings;
  windowSec: number;
  probes: {
    total: number;
    perIntervalExpected: number;
    clustersChecked: number;
    onSchedule: number;
    late: number;
    early: number;
    missed: number;
    doubleProbes: number;
    gapP1Sec: number;
    gapP50Sec: number;
    gapP99Sec: number;
    gapMinSec: number;
    gapMaxSec: number;
  };
  /**
   * `runQueueWaitPct`: time the replica's main (JavaScript) thread was ready to run but waiting for a core
   * (/proc/<pid>/schedstat), % of the window: a low `cpuPct` beside a high wait is a starved replica, not an idle one.
   */
  replicas: { name: string; cpuPct: number; runQueueWaitPct: number; peakRssMB: number; meanRssMB: number }[];
  /** CPU of the simulator process (every cluster's TLS and JSON answers) over the window, % of one core. */
  simCpuPct: number;
  simRunQueueWaitPct: number;
  /** The machine's 1-minute load average at the window's start and end (2 cores; other work included). */
  loadAverage: [number, number];
  filteredList: { requests: number; p50Ms: number; p99Ms: number; errors: number };
  fanout: { subscribers: number; deliveries: number; p50Ms: number; p99Ms: number; maxMs: number };
  passed: boolean;
}

/** Time the process's main thread spent runnable but waiting for a CPU, ms (Linux schedstat). */
const runQueueWaitMs = (pid: number) => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;

const FILTERED =
  '{ clusters(filter: { labelSelector: "env=prod", healthStatus: [HEALTHY, WARNING] }, first: 50) { total items { id name healthStatus } } }';

export async function runFleetScale(s: FleetScaleSettings, databaseUrl: string, log: (m: string) => void): Promise<FleetScaleResult> {
  const db = await privatePostgres(databaseUrl, 'fleet');
  const sim = spawnTs('bench/sim-server.ts', ['--clusters', String(s.clusters), '--latency-ms', '5'], { cpu: LOAD_CPU, ipc: true });
  const dirs: string[] = [];
  const replicas: Replica[] = [];
  const clients: Client[] = [];
  try {
    const simInfo = await firstJsonLine<{ kubeconfigFile: string; pid: number }>(sim);
    const kubeconfigs = JSON.parse(readFileSync(simInfo.kubeconfigFile, 'utf8')) as string[];
    rmSync(simInfo.kubeconfigFile, { force: true });
    const secret = randomBytes(32).toString('hex');
    const shared = {
      DATABASE_URL: db.url,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      JWT_SECRET: secret,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      HEALTH_CHECK_INTERVAL_SECONDS: String(s.intervalSec),
      PROMETHEUS_AUTO_DISCOVERY: 'false',
      AUTH_FAILURE_LIMIT: '0',
    };
    for (let r = 0; r < s.replicas; r++) {
      const dir = mkdtempSync(join(tmpdir(), 'kgw-fleet-'));
      dirs.push(dir);
      replicas.push(await startReplica(`replica-${r + 1}`, { ...shared, DATA_DIR: dir }));
    }
    const seedStarted = performance.now();
    await replicas[0]!.ask('seed', { kubeconfigs, prefix: 'fleet', labels: true, firstIsDefault: true });
    log(`  fleet: ${s.clusters} clusters seeded in ${round((performance.now() - seedStarted) / 1000, 1)} s, ${s.replicas} replicas up`);
    const token = signToken(secret, { sub: 'bench', role: 'admin' });

    // Warm-up: the first sweep finds every cluster due at once.
    const intervalMs = s.intervalSec * 1000;
    await sleep(intervalMs * 1.1);
    const flapping = Array.from({ length: s.flapping }, (_, i) => Math.floor((i * s.clusters) / s.flapping));
    const delays: number[] = [];
    for (let i = 0; i < s.subscribers; i++) {
      const replica = replicas[i % replicas.length]!;
      const client = createClient({
        url: `${replica.url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { Authorization: `Bearer ${token}` },
        lazy: false,
        retryAttempts: 0,
        onNonLazyError: () => {},
      });
      clients.push(client);
      let first = true;
      client.subscribe<{ clusterHealth: { updatedAt: string } }>(
        {
          query: 'subscription($id: ID) { clusterHealth(clusterId: $id) { id healthStatus updatedAt } }',
          variables: { id: String(flapping[i % flapping.length]! + 1) },
        },
        {
          next: (m) => {
            if (first) return void (first = false); // the current state on subscribing
            const at = m.data?.clusterHealth.updatedAt;
            if (at) delays.push(Date.now() - Date.parse(at));
          },
          error: () => {},
          complete: () => {},
        },
      );
    }

    const windowStart = Date.now();
    const windowMs = s.intervals * intervalMs;
    const samples = replicas.map(() => ({ rss: [] as number[], cpu0: 0 }));
    replicas.forEach((r, i) => (samples[i]!.cpu0 = r.cpuMs()));
    const simCpu0 = cpuMsOf(simInfo.pid);
    const wait0 = replicas.map((r) => runQueueWaitMs(r.pid));
    const simWait0 = runQueueWaitMs(simInfo.pid);
    const load0 = loadavg()[0]!;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        replicas.forEach((r, i) => samples[i]!.rss.push(r.rssBytes()));
        await sleep(1000);
      }
    })();
    // Flapping: every 20 s a flapping cluster switches between healthy and 5xx (noticed at its next probe).
    let flips = 0;
    const flipper = setInterval(
      () => void ask(sim, 'setMany', { indexes: flapping, knobs: { mode: flips++ % 2 === 0 ? 'error5xx' : 'normal' } }),
      20_000,
    );
    const listTimes: number[] = [];
    let listErrors = 0;
    for (let i = 0; Date.now() - windowStart < windowMs; i++) {
      const started = performance.now();
      const res = await fetch(`${replicas[i % replicas.length]!.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: FILTERED }),
      }).catch(() => undefined);
      const body = await res?.text();
      if (res?.status === 200 && !body?.includes('"errors"')) listTimes.push(performance.now() - started);
      else listErrors++;
      await sleep(100);
    }
    clearInterval(flipper);
    sampling = false;
    await sampler;
    const windowEnd = Date.now();
    const cpuPct = replicas.map((r, i) => round((100 * (r.cpuMs() - samples[i]!.cpu0)) / (windowEnd - windowStart), 1));
    const simCpuPct = round((100 * (cpuMsOf(simInfo.pid) - simCpu0)) / (windowEnd - windowStart), 1);
    const pctOfWindow = (ms: number) => round((100 * ms) / (windowEnd - windowStart), 1);
    const waitPct = replicas.map((r, i) => pctOfWindow(runQueueWaitMs(r.pid) - wait0[i]!));
    const simRunQueueWaitPct = pctOfWindow(runQueueWaitMs(simInfo.pid) - simWait0);
    const loadAverage: [number, number] = [round(load0, 2), round(loadavg()[0]!, 2)];

    // Probe accounting from the simulator's log: probes a little before the window give each cluster its first gap.
    const { at } = await ask<{ at: number[][] }>(sim, 'probes', { since: windowStart - intervalMs * 1.2 });
    const gaps: number[] = [];
    let onSchedule = 0,
      late = 0,
      early = 0,
      missed = 0,
      doubleProbes = 0,
      total = 0;
    for (const times of at) {
      const inWindow = times.filter((t) => t >= windowStart && t < windowEnd);
      total += inWindow.length;
      if (inWindow.length === 0) missed++;
      for (let k = 1; k < times.length; k++) {
        if (times[k]! < windowStart) continue;
        const gap = times[k]! - times[k - 1]!;
        gaps.push(gap / 1000);
        if (gap < intervalMs * 0.5) doubleProbes++;
        else if (gap < intervalMs * 0.9) early++;
        else if (gap > intervalMs * 1.1) late++;
        else onSchedule++;
      }
    }
    const result: FleetScaleResult = {
      settings: s,
      windowSec: round((windowEnd - windowStart) / 1000, 0),
      probes: {
        total,
        perIntervalExpected: s.clusters,
        clustersChecked: at.length,
        onSchedule,
        late,
        early,
        missed,
        doubleProbes,
        gapP1Sec: round(percentile(gaps, 1), 2),
        gapP50Sec: round(median(gaps), 2),
        gapP99Sec: round(percentile(gaps, 99), 2),
        gapMinSec: round(Math.min(...gaps), 1),
        gapMaxSec: round(Math.max(...gaps), 1),
      },
      replicas: replicas.map((r, i) => ({
        name: r.name,
        cpuPct: cpuPct[i]!,
        runQueueWaitPct: waitPct[i]!,
        peakRssMB: mb(Math.max(...samples[i]!.rss)),
        meanRssMB: mb(samples[i]!.rss.reduce((a, b) => a + b, 0) / samples[i]!.rss.length),
      })),
      simCpuPct,
      simRunQueueWaitPct,
      loadAverage,
      filteredList: {
        requests: listTimes.length,
        p50Ms: round(percentile(listTimes, 50)),
        p99Ms: round(percentile(listTimes, 99)),
        errors: listErrors,
      },
      fanout: {
        subscribers: s.subscribers,
        deliveries: delays.length,
        p50Ms: round(percentile(delays, 50)),
        p99Ms: round(percentile(delays, 99)),
        maxMs: round(Math.max(0, ...delays)),
      },
      passed: false,
    };
    result.passed = doubleProbes === 0 && missed === 0 && late + early === 0;
    log(
      `  fleet: ${JSON.stringify(result.probes)}; CPU ${cpuPct.join(' / ')} % (run-queue wait ${waitPct.join(' / ')} %), simulator ${simCpuPct} % (wait ${simRunQueueWaitPct} %), load ${loadAverage.join(' → ')}; filtered p50 ${result.filteredList.p50Ms} ms`,
    );
    return result;
  } finally {
    for (const c of clients) await c.dispose();
    for (const r of replicas) await r.close();
    await stopChild(sim);
    await db.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
