import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, testDrivers } from './support/databases.js';
import { startDecoy, type Decoy } from './support/decoys.js';
import { uniqueName } from './support/gateway.js';
import type { SimService } from '../tools/kube-simulator/index.js';
import { type LiveCluster, type LiveDiscoveryStatus, stateSequence } from './support/live-payloads.js';
import { gqlCall, liveClient, type GatewayProcess, type LiveClient, processToken, restCall, startGatewayProcess } from './support/processes.js';
import { prometheusAvailable, startPrometheus, type RealPrometheus } from './support/prometheus.js';
import { reachableCluster, type ReachableCluster } from './support/reachable.js';

/**
 * Two real gateway processes on one PostgreSQL database behave like one gateway: work is claimed in the database and
 * events cross processes through LISTEN/NOTIFY. Needs real PostgreSQL and Prometheus; under REQUIRE_ALL_BACKENDS=1 a
 * missing one throws (testDrivers / prometheusAvailable) instead of skipping.
 */
const hasPostgres = testDrivers().includes('postgres');
if (!hasPostgres) console.warn('[test] TEST_DATABASE_URL is not set: the two-process tests (real PostgreSQL) are skipped');
const hasPrometheus = hasPostgres && prometheusAvailable();

const DISCOVERY_SUB = `subscription($id: ID!) { discoveryStatus(clusterId: $id) { clusterId taskId state prometheusUrl message candidatesChecked } }`;
const HEALTH_SUB = `subscription($id: ID) { clusterHealth(clusterId: $id) { id name healthStatus healthMessage nodeCount readyNodeCount } }`;
const PROM_URL = 'http://prometheus-server.monitoring.svc.cluster.local:9090';
// DISCOVERY_TIMEOUT_SECONDS=5 on both: a task's lease is 5 + 15 = 20 s; the reaper runs every 5 s.
const LEASE_MS = 20_000;

describe.skipIf(!hasPostgres || !hasPrometheus)('two gateway processes on one PostgreSQL database', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let prom: RealPrometheus;
  let blackhole: Decoy;
  const clients: LiveClient[] = [];
  const simClusters: ReachableCluster[] = [];
  const admin = processToken();
  const user = processToken({ sub: 'proc-user', role: 'user' });

  const connect = (gw: GatewayProcess, token = user) => {
    const c = liveClient(gw.url, { token });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    [database, prom, blackhole] = await Promise.all([createTestDatabase('postgres'), startPrometheus(), startDecoy('blackhole')]);
    const env = { PROMETHEUS_AUTO_DISCOVERY: 'false', DISCOVERY_TIMEOUT_SECONDS: '5', HEALTH_CHECK_INTERVAL_SECONDS: '3600' };
    [a, b] = await Promise.all([startGatewayProcess({ databaseUrl: database.url!, env }), startGatewayProcess({ databaseUrl: database.url!, env })]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose().catch(() => {})));
    await Promise.all([a?.kill(), b?.kill()]);
    await Promise.all([prom?.stop(), blackhole?.close(), database?.dispose(), ...simClusters.map((c) => c.close())]);
  });

  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      for (const [name, p] of [
        ['A', a],
        ['B', b],
      ] as const) {
        if (p) console.error(`--- gateway ${name} (pid ${p.pid}) stderr ---\n${p.stderr().slice(-4000)}\n--- stdout ---\n${p.stdout().slice(-2000)}`);
      }
    });
  });

  async function register(via: GatewayProcess, services: SimService[] = []) {
    const cluster = await reachableCluster({ services });
    simClusters.push(cluster);
    const res = await restCall(via.url, admin, 'POST', '/api/v1/k8s/clusters', { name: uniqueName('two'), kubeconfig: cluster.kubeconfigBase64 });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id: res.body.data.id as number, name: res.body.data.name as string, cluster };
  }

  const promService = (upstream: string): SimService => ({
    name: 'prometheus-server',
    namespace: 'monitoring',
    labels: { app: 'prometheus', component: 'server' },
    ports: [{ name: 'http', port: 9090, upstream }],
  });
  const rediscover = (via: GatewayProcess, id: number) => restCall(via.url, user, 'POST', `/api/v1/k8s/clusters/${id}/prometheus/rediscover`);

  it('runs two separate processes that share the database', () => {
    expect(a.pid).not.toBe(b.pid);
    expect(a.url).not.toBe(b.url);
    expect(a.isRunning() && b.isRunning()).toBe(true);
  });

  it('a cluster created on A is listed by B within moments (LISTEN/NOTIFY), and B’s clusterHealth subscriber receives it', async () => {
    const first = await register(a);
    const ws = connect(b);
    const sub = ws.subscribe<LiveCluster>(HEALTH_SUB, {});
    await sub.waitFor((c) => c.id === String(first.id), 10_000, 'the existing cluster');

    // B serves its list from memory between changes; a change on A reaches it through NOTIFY. The cached list is
    // eventually consistent across replicas (C2 reads the database and is exact at once): each round warms B's cache,
    // creates on A, and requires B's list to show the new cluster well before the 5 s safety TTL could have helped.
    const created: number[] = [first.id];
    for (let round = 0; round < 8; round++) {
      expect((await restCall(b.url, user, 'GET', '/api/v1/k8s/clusters')).status).toBe(200);
      const next = await register(a);
      created.push(next.id);
      const got = await restCall(b.url, user, 'GET', `/api/v1/k8s/clusters/${next.id}`);
      expect(got.body.data, JSON.stringify(got.body)).toMatchObject({ id: next.id, name: next.name });
      const deadline = Date.now() + 1_000;
      let ids: number[] = [];
      for (;;) {
        const listed = await restCall(b.url, user, 'GET', '/api/v1/k8s/clusters');
        expect(listed.status, JSON.stringify(listed.body)).toBe(200);
        ids = (listed.body.data.clusters as { id: number }[]).map((c) => c.id);
        if (created.every((id) => ids.includes(id)) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(ids, `round ${round}: B still listed ${JSON.stringify(ids)} 1 s after A created cluster ${next.id}`).toEqual(
        expect.arrayContaining(created),
      );
    }
    for (const id of created.slice(1)) await sub.waitFor((c) => c.id === String(id), 10_000, `cluster ${id} created on A`);
    await ws.dispose();
  });

  it('discoveryStatus on B sees PENDING → RUNNING → FOUND for every task started by C7 on A', async () => {
    const { id } = await register(a, [promService(prom.url)]);
    const ws = connect(b);
    const sub = ws.subscribe<LiveDiscoveryStatus>(DISCOVERY_SUB, { id: String(id) });
    const first = await sub.waitFor(() => true, 10_000, 'the current state');
    expect(first).toMatchObject({ clusterId: String(id), taskId: null, state: 'NOT_FOUND' });

    // Several tasks: each transition must reach B, however quickly A moves on to the next state.
    for (let round = 0; round < 3; round++) {
      const seen = sub.items.length;
      const res = await rediscover(a, id);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const taskId = String(res.body.data.task_id);
      const found = await sub.waitFor((s) => s.state === 'FOUND' && s.taskId === taskId, 15_000, `FOUND for task ${taskId}`);
      const transitions = sub.items.slice(seen);
      expect(stateSequence(transitions), `task ${taskId}: ${JSON.stringify(transitions)}`).toEqual(['PENDING', 'RUNNING', 'FOUND']);
      expect(transitions.every((s) => s.taskId === taskId)).toBe(true);
      expect(found).toMatchObject({ prometheusUrl: PROM_URL, candidatesChecked: 1 });
    }

    const onB = await restCall(b.url, user, 'GET', `/api/v1/k8s/clusters/${id}`);
    expect(onB.body.data).toMatchObject({ prometheus_url: PROM_URL, prometheus_source: 'auto' });
    await ws.dispose();
  });

  it('every transition reaches B even when B handles the notifications late (B paused while A runs the task)', async () => {
    const { id } = await register(a, [promService(prom.url)]);
    const ws = connect(b);
    const sub = ws.subscribe<LiveDiscoveryStatus>(DISCOVERY_SUB, { id: String(id) });
    await sub.waitFor(() => true, 10_000, 'the current state');
    const seen = sub.items.length;

    // NOTIFY is queued for B while it is stopped; nothing is lost in transport, so nothing may be lost in delivery.
    b.pause();
    let taskId: string;
    try {
      const res = await rediscover(a, id);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      taskId = String(res.body.data.task_id);
      const deadline = Date.now() + 15_000;
      for (;;) {
        const q = await gqlCall(a.url, user, 'query($id: ID!) { cluster(id: $id) { discovery { taskId state } } }', { id: String(id) });
        const d = q.data?.cluster?.discovery as { taskId: string; state: string } | undefined;
        if (d?.taskId === taskId && !['PENDING', 'RUNNING'].includes(d.state)) break;
        if (Date.now() > deadline) throw new Error(`task still ${JSON.stringify(d)} on A`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      b.resume();
    }
    await sub.waitFor((s) => s.state === 'FOUND' && s.taskId === taskId, 10_000, 'FOUND on B');
    await new Promise((r) => setTimeout(r, 500)); // anything else B still had queued
    const transitions = sub.items.slice(seen);
    expect(stateSequence(transitions), JSON.stringify(transitions)).toEqual(['PENDING', 'RUNNING', 'FOUND']);
    await ws.dispose();
  });

  it('20 parallel C7 calls split across both processes start exactly one task', async () => {
    const { id } = await register(b, [promService(prom.url)]);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => rediscover(i % 2 ? b : a, id)));
    const statuses = results.map((r) => r.status);
    const detail = JSON.stringify(results.filter((r) => r.status !== 409));
    expect(
      statuses.filter((s) => s === 202),
      detail,
    ).toHaveLength(1);
    expect(
      statuses.filter((s) => s === 409),
      detail,
    ).toHaveLength(19);
    const accepted = results.find((r) => r.status === 202)!;

    // The one task runs to completion (seen from either process).
    const deadline = Date.now() + 15_000;
    let discovery: LiveDiscoveryStatus | undefined;
    for (;;) {
      const q = await gqlCall(a.url, user, 'query($id: ID!) { cluster(id: $id) { discovery { taskId state prometheusUrl message } } }', {
        id: String(id),
      });
      discovery = q.data?.cluster?.discovery;
      if (discovery && !['PENDING', 'RUNNING'].includes(discovery.state)) break;
      if (Date.now() > deadline) throw new Error(`discovery still ${JSON.stringify(discovery)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(discovery, JSON.stringify(discovery)).toMatchObject({
      taskId: String(accepted.body.data.task_id),
      state: 'FOUND',
      prometheusUrl: PROM_URL,
    });
  });

  it('a clusterHealth subscriber on A sees the health change recorded by C6 on B', async () => {
    const { id, cluster } = await register(a);
    const settle = await restCall(b.url, admin, 'POST', `/api/v1/k8s/clusters/${id}/test-connection`);
    expect(settle.status).toBe(200);

    const ws = connect(a);
    const sub = ws.subscribe<LiveCluster>(HEALTH_SUB, { id: String(id) });
    const first = await sub.waitFor(() => true, 10_000, 'the current cluster');
    expect(first).toMatchObject({ id: String(id), healthStatus: 'HEALTHY', nodeCount: 3, readyNodeCount: 3 });

    cluster.handle.set({ notReadyNodes: 2 });
    const c6 = await restCall(b.url, admin, 'POST', `/api/v1/k8s/clusters/${id}/test-connection`);
    expect(c6.status).toBe(200);
    const warning = await sub.waitFor((c) => c.healthStatus === 'WARNING', 10_000, 'WARNING from B');
    expect(warning).toMatchObject({ id: String(id), nodeCount: 3, readyNodeCount: 1 });
    expect(warning.healthMessage).toMatch(/2 of 3 nodes NotReady/);
    await ws.dispose();
  });

  it('when A is SIGKILLed mid-discovery, B fails the task once its lease expires, then C7 on B answers 202', async () => {
    const { id } = await register(a, [promService(blackhole.url)]);
    const ws = connect(b);
    const sub = ws.subscribe<LiveDiscoveryStatus>(DISCOVERY_SUB, { id: String(id) });
    await sub.waitFor(() => true, 10_000, 'the current state');

    const started = await rediscover(a, id);
    expect(started.status).toBe(202);
    const taskId = String(started.body.data.task_id);
    await sub.waitFor((s) => s.state === 'RUNNING' && s.taskId === taskId, 10_000, 'RUNNING');
    const runningSeenAt = Date.now();

    expect(await a.kill()).toBeNull();
    expect((await a.exited).signal).toBe('SIGKILL');

    // The dead replica's lease still holds: the task blocks C7 until it runs out.
    const blocked = await rediscover(b, id);
    expect(blocked.status).toBe(409);

    const failed = await sub.waitFor((s) => s.state === 'FAILED' && s.taskId === taskId, 35_000, 'FAILED by B');
    const failedAfter = Date.now() - runningSeenAt;
    expect(failed.message).toMatch(/lease expired/);
    expect(failedAfter).toBeGreaterThanOrEqual(LEASE_MS - 2_000);
    expect(failedAfter).toBeLessThan(LEASE_MS + 15_000);

    const again = await rediscover(b, id);
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect(String(again.body.data.task_id)).not.toBe(taskId);
    await sub.waitFor((s) => s.state === 'RUNNING' && s.taskId === String(again.body.data.task_id), 10_000, 'the new task RUNNING on B');
    await ws.dispose();
  }, 60_000);

  it('SIGTERM on B: exits with code 0 within 15 s and hands back the task it was running', async () => {
    const started = Date.now();
    const code = await b.stop('SIGTERM', 20_000);
    const took = Date.now() - started;
    expect(code).toBe(0);
    expect(took).toBeLessThan(15_000);

    const sql = postgres(database.url!, { max: 1, onnotice: () => {} });
    try {
      const active = await sql`SELECT id FROM discovery_tasks WHERE state IN ('pending', 'running')`;
      expect(active).toEqual([]);
      const [last] = await sql`SELECT state, message FROM discovery_tasks ORDER BY id DESC LIMIT 1`;
      expect(last).toMatchObject({ state: 'failed' });
      expect(last!.message).toMatch(/shut down/);
    } finally {
      await sql.end();
    }
  }, 30_000);
});
