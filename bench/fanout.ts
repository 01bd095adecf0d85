/**
 * Issue item 6: 1,000 graphql-ws subscribers (one WebSocket each), half on `discoveryStatus(clusterId)` and half on
 * `clusterHealth(clusterId)` of one simulated cluster. Transitions: a C6 connection test after the simulated cluster
 * flips between healthy and 5xx (health), and a C7 rediscovery (discovery). Latency is from just before the trigger
 * request to each subscriber's next message. Memory per subscriber = (gateway RSS with the subscribers − before) / N.
 * Baseline: a raw `ws` server broadcasting a message of the same size to the same number of plain WebSockets.
 *
 * Runs as a child pinned to the load CPU (clients + simulator); the gateway and baseline servers are on the server CPU.
 *   node --import tsx bench/fanout.ts --child [--subscribers 1000] [--rounds 5]
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { KubeSimulator } from '../tools/kube-simulator/index.js';
import { LOAD_CPU, ask, flags, mb, median, percentile, round, rssOf, runJson, sleep } from './lib.js';
import { startBaselineChild, startGatewayChild } from './targets.js';

export interface FanoutSettings {
  subscribers: number;
  rounds: number;
}

interface Delivery {
  p50: number;
  p99: number;
  max: number;
  delivered: number;
  triggerMs: number;
}

export interface FanoutResult {
  settings: FanoutSettings;
  connectMs: number;
  gateway: {
    rssBeforeMB: number;
    rssAfterMB: number;
    /** From RSS (after forced GCs); PGlite's wasm memory moves RSS by itself, so see heapBytesPerSubscriber too. */
    bytesPerSubscriber: number;
    /** V8 heap + external memory after forced GCs, per subscriber. */
    heapBytesPerSubscriber: number;
    health: Delivery[];
    discovery: Delivery[];
  };
  raw: { rssBeforeMB: number; rssAfterMB: number; bytesPerConnection: number; broadcast: Delivery[]; messageBytes: number };
  medianHealthP99Ms: number;
  medianDiscoveryP99Ms: number;
  medianRawP99Ms: number;
}

export function runFanout(s: FanoutSettings): Promise<FanoutResult> {
  return runJson<FanoutResult>('bench/fanout.ts', ['--child', '--subscribers', String(s.subscribers), '--rounds', String(s.rounds)], {
    cpu: LOAD_CPU,
  });
}

/** Times of messages received per client; `waitAll` resolves when every client has one after `since`. */
class Arrivals {
  readonly times: number[][];
  constructor(n: number) {
    this.times = Array.from({ length: n }, () => []);
  }
  async waitAll(idx: number[], since: number, timeoutMs = 30_000): Promise<number[]> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const got = idx.map((i) => this.times[i]!.find((t) => t >= since));
      if (got.every((t) => t !== undefined) || performance.now() > deadline)
        return got.filter((t): t is number => t !== undefined).map((t) => t - since);
      await sleep(5);
    }
  }
}

const summarise = (lat: number[], triggerMs: number): Delivery => ({
  p50: round(percentile(lat, 50), 1),
  p99: round(percentile(lat, 99), 1),
  max: round(Math.max(...lat), 1),
  delivered: lat.length,
  triggerMs: round(triggerMs, 1),
});

const stableRss = async (pid: number) => {
  await sleep(1_000);
  const xs = [];
  for (let i = 0; i < 3; i++, await sleep(200)) xs.push(rssOf(pid));
  return median(xs);
};

/** The gateway's memory after forced collections: RSS (from /proc) and V8 heap + external. */
async function gatewayMemory(child: ChildProcess, pid: number): Promise<{ rss: number; heap: number }> {
  const xs: { rss: number; heap: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const m = await ask<{ heapUsed: number; external: number }>(child, 'memory');
    xs.push({ rss: rssOf(pid), heap: m.heapUsed + m.external });
    await sleep(300);
  }
  return { rss: median(xs.map((x) => x.rss)), heap: median(xs.map((x) => x.heap)) };
}

async function child(): Promise<void> {
  const args = flags();
  const n = Number(args.get('subscribers') ?? '1000');
  const rounds = Number(args.get('rounds') ?? '5');
  const sim = await KubeSimulator.start({ nodes: 3, pods: 42 });
  const kubeconfigFile = join(tmpdir(), `kgw-bench-fanout-${process.pid}.yaml`);
  writeFileSync(kubeconfigFile, sim.kubeconfig());
  const gw = await startGatewayChild(1, { kubeconfigFile, viaService: 1, nodeArgs: ['--expose-gc'] });
  const base = await startBaselineChild([], { ws: true });
  const id = gw.info.firstId;
  const auth = { authorization: `Bearer ${gw.info.adminToken}` };
  const post = async (path: string) => {
    const t = performance.now();
    const res = await fetch(`${gw.info.url}/api/v1/k8s/clusters/${id}${path}`, { method: 'POST', headers: auth });
    await res.arrayBuffer();
    return performance.now() - t;
  };
  const healthQuery = `subscription($id: ID!) { clusterHealth(clusterId: $id) { id name healthStatus healthMessage nodeCount podCount kubernetesVersion lastConnectedAt updatedAt } }`;
  const discoveryQuery = `subscription($id: ID!) { discoveryStatus(clusterId: $id) { clusterId taskId state startedAt finishedAt prometheusUrl message candidatesChecked } }`;
  const arrivals = new Arrivals(n);
  let sample = '';
  const clients: Client[] = [];
  const subscribeAll = async (count: number, into: Arrivals) => {
    for (let i = clients.length; i < count; i++) {
      const client = createClient({
        url: gw.info.url.replace(/^http/, 'ws') + '/graphql',
        webSocketImpl: WebSocket,
        // Spread over several admins: one user may hold at most 500 subscriptions per replica.
        connectionParams: { Authorization: `Bearer ${gw.info.adminTokens[i % gw.info.adminTokens.length]}` },
        lazy: false,
        retryAttempts: 0,
      });
      clients.push(client);
      client.subscribe(
        { query: i % 2 === 0 ? discoveryQuery : healthQuery, variables: { id: String(id) } },
        {
          next: (m) => {
            into.times[i]!.push(performance.now());
            if (i % 2 === 1) sample = JSON.stringify({ type: 'next', id: 'x', payload: m });
          },
          error: (e) => process.stderr.write(`subscriber ${i}: ${JSON.stringify(e)}\n`),
          complete: () => undefined,
        },
      );
      if (i % 50 === 49)
        await into.waitAll(
          Array.from({ length: 50 }, (_, k) => i - k),
          0,
        );
    }
  };
  try {
    // Warm-up: code paths of both subscriptions and both triggers, so RSS "before" is not just un-JITted code.
    const warm = new Arrivals(2);
    await subscribeAll(2, warm);
    await warm.waitAll([0, 1], 0);
    await post('/test-connection');
    await post('/prometheus/rediscover');
    await sleep(2_000);
    for (const c of clients.splice(0)) await c.dispose();
    await sleep(1_000);
    const before = await gatewayMemory(gw.child, gw.info.pid);

    const t0 = performance.now();
    await subscribeAll(n, arrivals);
    const initial = await arrivals.waitAll(
      Array.from({ length: n }, (_, i) => i),
      0,
    );
    if (initial.length !== n) throw new Error(`only ${initial.length} of ${n} subscribers got their initial state`);
    const connectMs = performance.now() - t0;
    const after = await gatewayMemory(gw.child, gw.info.pid);

    const healthIdx = Array.from({ length: n }, (_, i) => i).filter((i) => i % 2 === 1);
    const discoveryIdx = Array.from({ length: n }, (_, i) => i).filter((i) => i % 2 === 0);
    const health: Delivery[] = [];
    const discovery: Delivery[] = [];
    for (let r = 0; r < rounds; r++) {
      sim.set({ mode: r % 2 === 0 ? 'error5xx' : 'ok' });
      let since = performance.now();
      let trigger = await post('/test-connection');
      health.push(summarise(await arrivals.waitAll(healthIdx, since), trigger));
      since = performance.now();
      trigger = await post('/prometheus/rediscover');
      discovery.push(summarise(await arrivals.waitAll(discoveryIdx, since), trigger));
      await sleep(1_500); // let the discovery task finish before the next round
    }
    sim.set({ mode: 'ok' });

    // Baseline: raw WebSockets, one broadcast of a message the size of a clusterHealth delivery.
    const rawRssBefore = await stableRss(base.info.pid);
    const raw = new Arrivals(n);
    const sockets: WebSocket[] = [];
    for (let i = 0; i < n; i++) {
      const ws = new WebSocket(base.info.url.replace(/^http/, 'ws') + '/ws');
      ws.on('message', () => raw.times[i]!.push(performance.now()));
      sockets.push(ws);
      if (i % 50 === 49)
        await Promise.all(sockets.slice(-50).map((w) => (w.readyState === WebSocket.OPEN ? undefined : new Promise((ok) => w.once('open', ok)))));
    }
    await Promise.all(sockets.map((w) => (w.readyState === WebSocket.OPEN ? undefined : new Promise((ok) => w.once('open', ok)))));
    const rawRssAfter = await stableRss(base.info.pid);
    const broadcast: Delivery[] = [];
    for (let r = 0; r < rounds; r++) {
      const since = performance.now();
      const res = await fetch(`${base.info.url}/__broadcast`, { method: 'POST', body: sample });
      await res.arrayBuffer();
      broadcast.push(
        summarise(
          await raw.waitAll(
            Array.from({ length: n }, (_, i) => i),
            since,
          ),
          performance.now() - since,
        ),
      );
      await sleep(200);
    }
    for (const w of sockets) w.terminate();

    const result: FanoutResult = {
      settings: { subscribers: n, rounds },
      connectMs: round(connectMs, 0),
      gateway: {
        rssBeforeMB: mb(before.rss),
        rssAfterMB: mb(after.rss),
        bytesPerSubscriber: round((after.rss - before.rss) / n, 0),
        heapBytesPerSubscriber: round((after.heap - before.heap) / n, 0),
        health,
        discovery,
      },
      raw: {
        rssBeforeMB: mb(rawRssBefore),
        rssAfterMB: mb(rawRssAfter),
        bytesPerConnection: round((rawRssAfter - rawRssBefore) / n, 0),
        broadcast,
        messageBytes: Buffer.byteLength(sample),
      },
      medianHealthP99Ms: median(health.map((d) => d.p99)),
      medianDiscoveryP99Ms: median(discovery.map((d) => d.p99)),
      medianRawP99Ms: median(broadcast.map((d) => d.p99)),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await base.stop();
    await gw.stop();
    await sim.close();
    rmSync(kubeconfigFile, { force: true });
  }
  process.exit(0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv.includes('--child')) await child();
