/**
 * Issue 18, item 5 (`npm run bench -- --soak [--soak-minutes N]`, 30 by default): 1,000 simulated clusters of which
 * 10 % flap (healthy ↔ 5xx every 20 s), two compiled replicas on one PostgreSQL of which the second is SIGKILLed and
 * restarted every 5 minutes (every third of the run when shorter than 15 minutes), a webhook receiver that answers
 * 503 a third of the time, 100 live `clusterHealth` subscribers over both replicas, and a C4 write every second.
 * Afterwards (receiver up, writes stopped, retries drained): every health transition is in the history exactly once
 * (no repeated from→to for a cluster in a row), every webhook delivery succeeded and reached the receiver at least
 * once, one `cluster.update` audit entry per acknowledged C4, no discovery task pending or running, and the surviving
 * replica's RSS, V8 heap (both after a forced GC, against a baseline taken once the load has warmed up) and open
 * sockets back near their baseline.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import postgres from 'postgres';
import WebSocket from 'ws';
import { signToken } from '../src/auth/jwt.js';
import { DEPLOYED_NODE_FLAGS, LOAD_CPU, ask, firstJsonLine, mb, percentile, round, sleep, spawnTs, stopChild } from './lib.js';
import { privatePostgres, type Replica, startReplica } from './replicas.js';

export interface SoakResult {
  minutes: number;
  clusters: number;
  restarts: number;
  /** C4 writes, one at a time with 1 s between them: `p50Ms`/`maxMs` their answer time. */
  writes: { acknowledged: number; failed: number; audited: number; p50Ms: number; maxMs: number };
  transitions: { recorded: number; duplicates: number };
  webhooks: { deliveries: number; succeeded: number; notSucceeded: number; receivedDistinct: number; missing: number; refusedWhileDown: number };
  /** Extra node flags of both replicas ('' = as deployed). */
  nodeFlags: string;
  /** `strayConnectErrors`: subscriber reconnects refused while replica-b was down that graphql-ws left unhandled. */
  subscribers: { count: number; pushes: number; strayConnectErrors: number };
  discovery: { unfinished: number };
  /**
   * The replica that is never killed. RSS and V8 heap are read after a forced full GC: `rssColdMB` 15 s after start
   * (before subscribers and load), the baseline once the load has run a warm-up (every kind of work done at least once),
   * `after` once the load stopped and retries drained.
   */
  survivor: {
    rssColdMB: number;
    rssBaselineMB: number;
    rssAfterMB: number;
    heapBaselineMB: number;
    heapAfterMB: number;
    /** V8 heap reserved (used + free pages) and external memory, after GC: where RSS above the heap in use sits. */
    heapTotalBaselineMB: number;
    heapTotalAfterMB: number;
    externalBaselineMB: number;
    externalAfterMB: number;
    socketsBaseline: number;
    socketsAfter: number;
  };
  checks: Record<string, boolean>;
  passed: boolean;
}

const sockets = (pid: number) =>
  readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;

export async function runSoak(
  s: { minutes: number; clusters: number; databaseUrl: string; nodeFlags?: string[] },
  log: (m: string) => void,
): Promise<SoakResult> {
  const db = await privatePostgres(s.databaseUrl, 'soak');
  const sim = spawnTs('bench/sim-server.ts', ['--clusters', String(s.clusters), '--latency-ms', '0'], { cpu: LOAD_CPU, ipc: true });
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  const dirs = [mkdtempSync(join(tmpdir(), 'kgw-soak-a-')), mkdtempSync(join(tmpdir(), 'kgw-soak-b-'))];
  const received = new Set<string>();
  let down = false;
  let refusedWhileDown = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (down) {
        refusedWhileDown++;
        return void res.writeHead(503).end();
      }
      received.add(String(req.headers['x-kube-gateway-delivery']));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const clients: Client[] = [];
  // graphql-ws can leave a refused reconnect's ErrorEvent unhandled (a socket to the killed replica): counted, not fatal.
  let strayConnectErrors = 0;
  const onStray = (err: unknown) => {
    const e = err as { type?: unknown; message?: unknown } | null;
    if (e?.type === 'error' && typeof e.message === 'string' && /ECONNREFUSED|ECONNRESET|socket hang up/.test(e.message)) strayConnectErrors++;
    else throw err;
  };
  process.on('unhandledRejection', onStray);
  let a: Replica | undefined;
  let b: Replica | undefined;
  try {
    const simInfo = await firstJsonLine<{ kubeconfigFile: string }>(sim);
    const kubeconfigs = JSON.parse(readFileSync(simInfo.kubeconfigFile, 'utf8')) as string[];
    rmSync(simInfo.kubeconfigFile, { force: true });
    const secret = randomBytes(32).toString('hex');
    const encryptionKey = randomBytes(32).toString('base64');
    const env = (dir: string) => ({
      DATABASE_URL: db.url,
      ENCRYPTION_KEY: encryptionKey,
      JWT_SECRET: secret,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dir,
      LOG_LEVEL: 'error',
      HEALTH_CHECK_INTERVAL_SECONDS: '10',
      PROMETHEUS_AUTO_DISCOVERY: 'true',
      DISCOVERY_TIMEOUT_SECONDS: '5',
      AUTH_FAILURE_LIMIT: '0',
      // The shipped retry schedule (30 s … 16 min) is compressed: its delays are multiples of 30 s, the receiver's
      // outage period, so a delivery refused once would be retried in the outage every time; and its 32-minute tail
      // would not drain within a run. The same seven attempts, 3 s … 96 s apart.
      BENCH_WEBHOOK_RETRY_DELAYS_MS: '3000,6000,12000,24000,48000,96000',
    });
    // --expose-gc: memory is read after a full collection (fleet-replica.mjs 'memory'), so garbage is not a leak.
    const nodeArgs = ['--expose-gc', ...(s.nodeFlags ?? DEPLOYED_NODE_FLAGS)];
    a = await startReplica('replica-a', env(dirs[0]!), { nodeArgs });
    b = await startReplica('replica-b', env(dirs[1]!), { nodeArgs });
    // The restarted replica-b listens where the killed one did, as a restarted pod behind its service address would,
    // so its subscribers reconnect to it.
    const bPort = new URL(b.url).port;
    const survivorMemory = () => a!.ask<{ rss: number; heapUsed: number; heapTotal: number; external: number }>('memory');
    await a.ask('seed', { kubeconfigs, prefix: 'soak', firstIsDefault: true });
    const token = signToken(secret, { sub: 'soak-admin', role: 'admin' });
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const hook = await fetch(`${a.url}/api/v1/k8s/webhooks`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
        events: ['cluster_health_changed', 'cluster_updated'],
      }),
    });
    if (hook.status !== 201) throw new Error(`webhook not created: ${hook.status} ${await hook.text()}`);
    await sleep(15_000); // the first sweep
    const cold = await survivorMemory();
    const socketsBaseline = sockets(a.pid);
    log(`  soak: ${s.clusters} clusters, cold RSS ${mb(cold.rss)} MB, ${socketsBaseline} sockets; running ${s.minutes} min`);

    const flapping = Array.from({ length: Math.round(s.clusters / 10) }, (_, i) => i * 10);
    let pushes = 0;
    for (let i = 0; i < 100; i++) {
      const target = i % 2 === 0 ? 'a' : 'b';
      const client = createClient({
        // Whichever process is replica-b now (same address after a restart).
        url: () => `${(target === 'a' ? a! : b!).url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { Authorization: `Bearer ${token}` },
        lazy: false,
        // A killed replica's subscribers reconnect (and resubscribe) once it is back, as a real client would.
        retryAttempts: 1_000,
        retryWait: () => sleep(1_000),
        shouldRetry: () => true,
        onNonLazyError: () => {},
      });
      clients.push(client);
      client.subscribe(
        {
          query: 'subscription($id: ID) { clusterHealth(clusterId: $id) { id healthStatus } }',
          variables: { id: String(flapping[i % flapping.length]! + 1) },
        },
        { next: () => void pushes++, error: () => {}, complete: () => {} },
      );
    }

    const endAt = Date.now() + s.minutes * 60_000;
    const killEveryMs = Math.min(5 * 60_000, (s.minutes * 60_000) / 3);
    let nextKill = Date.now() + killEveryMs;
    let restarts = 0;
    let flips = 0;
    let lastFlip = Date.now();
    let acknowledged = 0;
    const writeMs: number[] = [];
    let failed = 0;
    const cycleStart = Date.now();
    const warmupMs = Math.min(90_000, (s.minutes * 60_000) / 5);
    let warm: { rss: number; heapUsed: number; heapTotal: number; external: number } | undefined;
    while (Date.now() < endAt) {
      const t = Date.now();
      down = ((t - cycleStart) / 1000) % 30 >= 20; // down 10 s of every 30 s: a third of the time
      if (t - lastFlip >= 20_000) {
        lastFlip = t;
        await ask(sim, 'setMany', { indexes: flapping, knobs: { mode: flips++ % 2 === 0 ? 'error5xx' : 'normal' } });
      }
      if (t >= nextKill) {
        nextKill += killEveryMs;
        await b.kill();
        restarts++;
        log(`  soak: replica-b killed (${restarts}); restarting`);
        await sleep(3_000);
        b = await startReplica('replica-b', { ...env(dirs[1]!), PORT: bPort }, { nodeArgs });
      }
      // The baseline: after a warm-up in which every kind of work ran (flaps both ways, an outage, retries, pushes).
      if (!warm && t - cycleStart >= warmupMs) {
        warm = await survivorMemory();
        log(`  soak: warm baseline RSS ${mb(warm.rss)} MB, heap ${mb(warm.heapUsed)} MB`);
      }
      const writer = restarts % 2 === 0 ? a : b;
      const writeStarted = performance.now();
      const res = await fetch(`${writer.url}/api/v1/k8s/clusters/${(acknowledged % 50) + 2}`, {
        method: 'PUT',
        headers: auth,
        body: JSON.stringify({ labels: { soak: String(acknowledged % 7) } }),
      }).catch(() => undefined);
      if (res?.status === 200) {
        acknowledged++;
        writeMs.push(performance.now() - writeStarted);
      } else failed++;
      await res?.text();
      await sleep(1_000);
    }
    await ask(sim, 'setMany', { indexes: flapping, knobs: { mode: 'normal' } });
    down = false;
    for (const c of clients) await c.dispose();
    // Drain: retries of deliveries refused while the receiver was down.
    const drainUntil = Date.now() + 240_000; // the last of seven attempts is due 189 s after the first
    let pending = 1;
    while (Date.now() < drainUntil) {
      [{ pending }] = (await sql`SELECT count(*)::int AS pending FROM webhook_deliveries WHERE status IN ('pending', 'delivering')`) as unknown as [
        { pending: number },
      ];
      if (pending === 0) break;
      await sleep(2_000);
    }
    await sleep(35_000); // idle kube sockets close after 30 s
    const [del] =
      (await sql`SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'succeeded')::int AS ok FROM webhook_deliveries`) as unknown as [
        { n: number; ok: number },
      ];
    const ids = (await sql`SELECT id FROM webhook_deliveries`).map((r) => String(r.id));
    const [hist] = (await sql`SELECT count(*)::int AS n FROM cluster_health_events`) as unknown as [{ n: number }];
    const [dups] =
      (await sql`SELECT count(*)::int AS n FROM (SELECT to_status, lag(to_status) OVER (PARTITION BY cluster_id ORDER BY at, id) AS prev FROM cluster_health_events) x WHERE prev = to_status`) as unknown as [
        { n: number },
      ];
    const [audited] = (await sql`SELECT count(*)::int AS n FROM audit_events WHERE action = 'cluster.update' AND outcome = 200`) as unknown as [
      { n: number },
    ];
    const [disc] = (await sql`SELECT count(*)::int AS n FROM discovery_tasks WHERE state IN ('pending', 'running')`) as unknown as [{ n: number }];
    const missing = ids.filter((id) => !received.has(id)).length;
    const after = await survivorMemory();
    const baseline = warm ?? cold;
    const socketsAfter = sockets(a.pid);
    const checks = {
      'every health transition recorded exactly once': dups.n === 0 && hist.n > 0,
      'every webhook delivery succeeded and was received at least once': del.n > 0 && del.ok === del.n && missing === 0,
      'one audit entry per acknowledged write': audited.n === acknowledged,
      'no discovery task stuck': disc.n === 0,
      // After a full GC, against the warm baseline: what is left above it is a leak or a high-water mark that keeps
      // growing. 10 % + 16 MB leaves room for allocator fragmentation (glibc arenas, V8 pages) that a GC does not return.
      'RSS back to baseline (after GC, ≤ warm baseline + 10 % + 16 MB)': after.rss <= baseline.rss * 1.1 + 16 * 1024 * 1024,
      'V8 heap back to baseline (after GC, ≤ warm baseline + 10 % + 4 MB)': after.heapUsed <= baseline.heapUsed * 1.1 + 4 * 1024 * 1024,
      'sockets back to baseline (≤ +10)': socketsAfter <= socketsBaseline + 10,
    };
    const result: SoakResult = {
      minutes: s.minutes,
      clusters: s.clusters,
      nodeFlags: (s.nodeFlags ?? DEPLOYED_NODE_FLAGS).join(' '),
      restarts,
      writes: { acknowledged, failed, audited: audited.n, p50Ms: round(percentile(writeMs, 50)), maxMs: round(Math.max(0, ...writeMs)) },
      transitions: { recorded: hist.n, duplicates: dups.n },
      webhooks: { deliveries: del.n, succeeded: del.ok, notSucceeded: del.n - del.ok, receivedDistinct: received.size, missing, refusedWhileDown },
      subscribers: { count: clients.length, pushes, strayConnectErrors },
      discovery: { unfinished: disc.n },
      survivor: {
        rssColdMB: mb(cold.rss),
        rssBaselineMB: mb(baseline.rss),
        rssAfterMB: mb(after.rss),
        heapBaselineMB: mb(baseline.heapUsed),
        heapAfterMB: mb(after.heapUsed),
        heapTotalBaselineMB: mb(baseline.heapTotal),
        heapTotalAfterMB: mb(after.heapTotal),
        externalBaselineMB: mb(baseline.external),
        externalAfterMB: mb(after.external),
        socketsBaseline,
        socketsAfter,
      },
      checks,
      passed: Object.values(checks).every(Boolean),
    };
    log(`  soak: ${JSON.stringify(result)}`);
    return result;
  } finally {
    for (const c of clients) await Promise.resolve(c.dispose()).catch(() => {});
    process.off('unhandledRejection', onStray);
    await b?.close();
    await a?.close();
    await sql.end();
    receiver.close();
    await stopChild(sim);
    await db.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
