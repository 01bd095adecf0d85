/**
 * Issue 13, item 9: the Kubernetes API proxy's overhead, kubectl-style (HTTPS, keep-alive, bearer token of an issued
 * kubeconfig), against the same requests straight to the simulator, in one run:
 *   1. list of 100 pods: throughput ratio (gateway / direct) and added p50 / p99 at a fixed concurrency, rounds
 *      alternating direct and gateway;
 *   2. 1,000 concurrent watches held: gateway RSS added, and event delivery p99 (direct vs through the gateway).
 * The gateway runs alone on the server CPU; the simulator and this load generator share the other one (in both modes).
 *
 *   node --import tsx bench/proxy.ts [--rounds 3] [--seconds 5] [--concurrency 16] [--watches 1000] [--events 5]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ProxyListRound } from './report-extras.js';
import { flags, LOAD_CPU, median, percentile, round, SERVER_CPU, sleep, spawnTs } from './lib.js';

const args = flags();
const now = () => performance.timeOrigin + performance.now();

if (args.get('role') === 'sim') await simRole();
else if (args.get('role') === 'gateway') await gatewayRole();
else await main();

async function simRole(): Promise<void> {
  const { KubeSimulator, openWatches, simulatePodCreated } = await import('../tools/kube-simulator/index.js');
  const sim = await KubeSimulator.start({ nodes: 3, pods: 100, namespaces: ['default'] });
  let n = 0;
  process.on('message', (m: { type: string }) => {
    if (m.type === 'watches') process.send!({ type: 'watches', count: openWatches(sim.cluster) });
    if (m.type === 'create') {
      // The pod's name carries its creation time, so every watcher can compute its own delivery delay.
      simulatePodCreated(sim.cluster, 'default', `ev-${n++}-${Math.round(now() * 1000)}`);
      process.send!({ type: 'created' });
    }
  });
  process.stdout.write(`${JSON.stringify({ url: sim.url, token: sim.cluster.token, caPem: sim.caPem, kubeconfig: sim.kubeconfig() })}\n`);
}

async function gatewayRole(): Promise<void> {
  const { loadConfig } = await import('../src/config.js');
  const { startGateway } = await import('../src/gateway.js');
  const { signToken } = await import('../src/auth/jwt.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'kgw-bench-proxy-'));
  const secret = randomBytes(32).toString('hex');
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    JWT_SECRET: secret,
    LOG_LEVEL: 'silent',
    PROMETHEUS_AUTO_DISCOVERY: 'false',
    AUTH_FAILURE_LIMIT: '0',
  });
  const gw = await startGateway(config, { healthMonitor: false });
  const cluster = await gw.clusters.create({
    name: 'bench',
    kubeconfig: readFileSync(args.get('kubeconfig-file')!, 'utf8'),
    skipConnectionTest: true,
  });
  process.once('SIGTERM', () => void gw.close().finally(() => (rmSync(dataDir, { recursive: true, force: true }), process.exit(0))));
  process.stdout.write(
    `${JSON.stringify({ url: gw.url, httpsUrl: gw.httpsUrl, caPem: gw.tls!.caPem, clusterId: cluster.id, adminToken: signToken(secret, { sub: 'bench', role: 'admin' }), pid: process.pid })}\n`,
  );
}

interface Target {
  host: string;
  port: number;
  prefix: string;
  token: string;
  ca: string;
  servername: string;
}

function get(t: Target, agent: Agent, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: t.host,
        port: t.port,
        servername: t.servername,
        path: t.prefix + path,
        agent,
        ca: t.ca,
        headers: { authorization: `Bearer ${t.token}`, accept: 'application/json' },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** `concurrency` keep-alive loops for `seconds`: requests per second and latencies (ms). */
async function listLoad(t: Target, concurrency: number, seconds: number): Promise<{ rps: number; latencies: number[]; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        const start = performance.now();
        const status = await get(t, agent, '/api/v1/namespaces/default/pods?limit=500').catch(() => 0);
        if (status === 200) latencies.push(performance.now() - start);
        else errors++;
      }
    }),
  );
  agent.destroy();
  return { rps: latencies.length / seconds, latencies, errors };
}

/** Opens `count` watches; resolves with a function that collects per-event delivery delays, and a closer. */
async function openWatches(t: Target, count: number, ready: () => Promise<number>): Promise<{ delays: number[]; close(): void }> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const delays: number[] = [];
  const reqs = Array.from({ length: count }, () => {
    const req = request(
      {
        host: t.host,
        port: t.port,
        servername: t.servername,
        path: `${t.prefix}/api/v1/namespaces/default/pods?watch=true`,
        agent,
        ca: t.ca,
        headers: { authorization: `Bearer ${t.token}` },
      },
      (res) => {
        let buf = '';
        res.on('data', (d: Buffer) => {
          const at = now();
          buf += d.toString();
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            const m = /"name":"ev-\d+-(\d+)"/.exec(line);
            if (m) delays.push(at - Number(m[1]) / 1000);
          }
        });
      },
    );
    req.on('error', () => undefined);
    req.end();
    return req;
  });
  const deadline = Date.now() + 60_000;
  while ((await ready()) < count && Date.now() < deadline) await sleep(200);
  return { delays, close: () => (reqs.forEach((r) => r.destroy()), agent.destroy()) };
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(/\d+/.exec(line)![0]) / 1024;
}

async function main(): Promise<void> {
  const rounds = Number(args.get('rounds') ?? '3');
  const seconds = Number(args.get('seconds') ?? '5');
  const concurrency = Number(args.get('concurrency') ?? '16');
  const watchCount = Number(args.get('watches') ?? '1000');
  const events = Number(args.get('events') ?? '5');
  const log = (m: string) => process.stderr.write(`[proxy bench] ${m}\n`);

  const simChild = spawnTs(new URL(import.meta.url).pathname, ['--role', 'sim'], { cpu: LOAD_CPU, ipc: true });
  const sim = JSON.parse(await firstLine(simChild)) as { url: string; token: string; caPem: string; kubeconfig: string };
  const kubeconfigFile = join(mkdtempSync(join(tmpdir(), 'kgw-bench-kc-')), 'sim.yaml');
  (await import('node:fs')).writeFileSync(kubeconfigFile, sim.kubeconfig);
  const gwChild = spawnTs(new URL(import.meta.url).pathname, ['--role', 'gateway', '--kubeconfig-file', kubeconfigFile], { cpu: SERVER_CPU });
  const gw = JSON.parse(await firstLine(gwChild)) as {
    url: string;
    httpsUrl: string;
    caPem: string;
    clusterId: number;
    adminToken: string;
    pid: number;
  };
  const ask = <T>(type: string) =>
    new Promise<T>((resolve) => {
      const on = (m: { type: string } & T) => {
        if (m.type === type || (type === 'create' && m.type === 'created')) {
          simChild.off('message', on);
          resolve(m);
        }
      };
      simChild.on('message', on);
      simChild.send({ type });
    });

  // kubectl-style credentials: an issued kubeconfig's token and CA.
  const issued = parse(
    await (
      await fetch(`${gw.url}/api/v1/k8s/clusters/${gw.clusterId}/kubeconfig?ttl=2h`, { headers: { authorization: `Bearer ${gw.adminToken}` } })
    ).text(),
  );
  const simUrl = new URL(sim.url);
  const gwUrl = new URL(gw.httpsUrl);
  const direct: Target = { host: '127.0.0.1', port: Number(simUrl.port), prefix: '', token: sim.token, ca: sim.caPem, servername: 'localhost' };
  const proxied: Target = {
    host: '127.0.0.1',
    port: Number(gwUrl.port),
    prefix: `/api/v1/k8s/clusters/${gw.clusterId}/proxy`,
    token: issued.users[0].user.token,
    ca: gw.caPem,
    servername: 'localhost',
  };

  log(`list of 100 pods: ${rounds} rounds × ${seconds}s per mode, concurrency ${concurrency}`);
  await listLoad(direct, concurrency, 1);
  await listLoad(proxied, concurrency, 1);
  const listRounds: ProxyListRound[] = [];
  for (let r = 0; r < rounds; r++) {
    const d = await listLoad(direct, concurrency, seconds);
    const g = await listLoad(proxied, concurrency, seconds);
    listRounds.push({
      directRps: round(d.rps),
      gatewayRps: round(g.rps),
      ratio: round(g.rps / d.rps, 3),
      directP50: round(percentile(d.latencies, 50), 3),
      gatewayP50: round(percentile(g.latencies, 50), 3),
      directP99: round(percentile(d.latencies, 99), 3),
      gatewayP99: round(percentile(g.latencies, 99), 3),
      errors: d.errors + g.errors,
    });
    log(`round ${r + 1}: ${JSON.stringify(listRounds[r])}`);
  }
  // Latency at a light load too (one request at a time): what a person running kubectl feels.
  const single = { direct: await listLoad(direct, 1, seconds), gateway: await listLoad(proxied, 1, seconds) };

  const watchesOpen = async () => (await ask<{ count: number }>('watches')).count;
  const deliver = async (mode: Target) => {
    const before = await watchesOpen();
    const rssBefore = rssMiB(gw.pid);
    const w = await openWatches(mode, watchCount, async () => (await watchesOpen()) - before);
    await sleep(1_000);
    const rssHeld = rssMiB(gw.pid);
    for (let e = 0; e < events; e++) {
      await ask('create');
      await sleep(1_000);
    }
    w.close();
    await sleep(1_000);
    return {
      rssAddedMiB: round(rssHeld - rssBefore, 1),
      delivered: w.delays.length,
      p50: round(percentile(w.delays, 50), 2),
      p99: round(percentile(w.delays, 99), 2),
    };
  };
  log(`${watchCount} watches direct, then through the gateway; ${events} events each`);
  const watchDirect = await deliver(direct);
  const watchGateway = await deliver(proxied);

  const result = {
    list: {
      rounds: listRounds,
      medianRatio: median(listRounds.map((r) => r.ratio)),
      addedP50Ms: round(median(listRounds.map((r) => r.gatewayP50 - r.directP50)), 3),
      addedP99Ms: round(median(listRounds.map((r) => r.gatewayP99 - r.directP99)), 3),
      oneAtATime: {
        directP50Ms: round(percentile(single.direct.latencies, 50), 3),
        gatewayP50Ms: round(percentile(single.gateway.latencies, 50), 3),
        directP99Ms: round(percentile(single.direct.latencies, 99), 3),
        gatewayP99Ms: round(percentile(single.gateway.latencies, 99), 3),
      },
    },
    watches: {
      count: watchCount,
      events,
      direct: watchDirect,
      gateway: watchGateway,
      addedDeliveryP99Ms: round(watchGateway.p99 - watchDirect.p99, 2),
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  gwChild.kill('SIGTERM');
  simChild.kill('SIGTERM');
  process.exit(0);
}

function firstLine(child: ReturnType<typeof spawnTs>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before answering`)));
  });
}
