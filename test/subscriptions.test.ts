import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { testDrivers } from './support/databases.js';
import { startDecoy, type Decoy } from './support/decoys.js';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway, uniqueName } from './support/gateway.js';
import type { SimService } from '../tools/kube-simulator/index.js';
import { liveClient, type LiveClient } from './support/processes.js';
import { type LiveCluster, type LiveDiscoveryStatus, stateSequence } from './support/live-payloads.js';
import { prometheusAvailable, startPrometheus, type RealPrometheus } from './support/prometheus.js';
import { reachableCluster, type ReachableCluster } from './support/reachable.js';

const drivers = testDrivers();
const hasPrometheus = prometheusAvailable();

const DISCOVERY_SUB = `subscription Discovery($id: ID!) {
  discoveryStatus(clusterId: $id) { clusterId taskId state startedAt finishedAt prometheusUrl message candidatesChecked } }`;
const HEALTH_SUB = `subscription Health($id: ID) {
  clusterHealth(clusterId: $id) { id name healthStatus healthMessage kubernetesVersion nodeCount readyNodeCount podCount prometheusUrl prometheusSource kubeconfig } }`;
const REDISCOVER = `mutation Rediscover($id: ID!) { rediscoverPrometheus(id: $id) { clusterId taskId state } }`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const expOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;

// The drivers' suites run side by side (each owns its gateway and database); the tests inside each run in order.
describe.each(drivers)('GraphQL subscriptions over graphql-ws on %s', { concurrent: true }, (driver) => {
  describe('one gateway', { concurrent: false }, () => {
    let t: TestGateway;
    let blackhole: Decoy;
    let prom: RealPrometheus | undefined;
    const clients: LiveClient[] = [];
    const simClusters: ReachableCluster[] = [];

    const connect = (auth: Parameters<typeof liveClient>[1], url = t.url) => {
      const c = liveClient(url, auth);
      clients.push(c);
      return c;
    };

    beforeAll(async () => {
      [t, blackhole, prom] = await Promise.all([
        startTestGateway(driver, { DISCOVERY_TIMEOUT_SECONDS: '5', HEALTH_CHECK_INTERVAL_SECONDS: '3600' }),
        startDecoy('blackhole'),
        hasPrometheus ? startPrometheus() : Promise.resolve(undefined),
      ]);
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.dispose().catch(() => {})));
      await Promise.all([t?.close(), blackhole?.close(), prom?.stop(), ...simClusters.map((c) => c.close())]);
    });

    /** Registers a simulated cluster through REST (C3) and returns its id and simulator handle. */
    async function register(services: SimService[] = [], gateway: TestGateway = t) {
      const cluster = await reachableCluster({ services });
      simClusters.push(cluster);
      const res = await gateway.rest('POST', '/api/v1/k8s/clusters', { body: { name: uniqueName('sub'), kubeconfig: cluster.kubeconfigBase64 } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return { id: res.body.data.id as number, cluster };
    }

    const promService = (upstream: string): SimService => ({
      name: 'prometheus-server',
      namespace: 'monitoring',
      labels: { app: 'prometheus', component: 'server' },
      ports: [{ name: 'http', port: 9090, upstream }],
    });

    describe.runIf(hasPrometheus)('discoveryStatus', () => {
      it('sends the current state first, then PENDING → RUNNING (with progress) → FOUND after rediscoverPrometheus', async () => {
        const { id } = await register([promService(prom!.url)]);
        const ws = connect({ token: t.userToken });
        const sub = ws.subscribe<LiveDiscoveryStatus>(DISCOVERY_SUB, { id: String(id) });

        const first = await sub.waitFor(() => true, 10_000, 'the current state');
        expect(first).toMatchObject({ clusterId: String(id), taskId: null, state: 'NOT_FOUND', prometheusUrl: null });
        expect(first.message).toMatch(/no discovery has run/);

        const started = await t.gql(REDISCOVER, { id: String(id) }, { token: t.userToken });
        expect(started.errors, JSON.stringify(started.errors)).toBeUndefined();
        expect(started.data.rediscoverPrometheus).toMatchObject({ clusterId: String(id), state: 'PENDING' });
        const taskId = started.data.rediscoverPrometheus.taskId as string;

        const found = await sub.waitFor((s) => s.state === 'FOUND', 15_000, 'FOUND');
        const transitions = sub.items.slice(1);
        expect(stateSequence(transitions), JSON.stringify(transitions)).toEqual(['PENDING', 'RUNNING', 'FOUND']);
        expect(transitions.every((s) => s.taskId === taskId && s.clusterId === String(id))).toBe(true);
        expect(transitions[0]).toMatchObject({ state: 'PENDING', startedAt: null, finishedAt: null, message: 'waiting to start' });

        const running = transitions.filter((s) => s.state === 'RUNNING');
        expect(running[0]!.startedAt).not.toBeNull();
        expect(running.map((s) => s.message)).toContain('found 1 candidate(s); verifying');
        expect(running.find((s) => s.message === 'found 1 candidate(s); verifying')!.candidatesChecked).toBe(0);

        expect(found).toMatchObject({ prometheusUrl: 'http://prometheus-server.monitoring.svc.cluster.local:9090', candidatesChecked: 1 });
        expect(found.message).toMatch(/found Prometheus \d+\.\d+/);
        expect(found.finishedAt).not.toBeNull();
        expect(sub.results.every((r) => r.errors === undefined)).toBe(true);
        await ws.dispose();
      });

      it.concurrent('a candidate that never answers: RUNNING → FAILED after DISCOVERY_TIMEOUT_SECONDS', async ({ expect }) => {
        const { id } = await register([promService(blackhole.url)]);
        const ws = connect({ token: t.adminToken });
        const sub = ws.subscribe<LiveDiscoveryStatus>(DISCOVERY_SUB, { id: String(id) });
        await sub.waitFor(() => true, 10_000, 'the current state');
        const started = Date.now();
        const res = await t.rest('POST', `/api/v1/k8s/clusters/${id}/prometheus/rediscover`);
        expect(res.status).toBe(202);

        const running = await sub.waitFor((s) => s.state === 'RUNNING' && /verifying/.test(s.message ?? ''), 10_000, 'RUNNING (verifying)');
        expect(running.candidatesChecked).toBe(0);
        const failed = await sub.waitFor((s) => s.state === 'FAILED', 15_000, 'FAILED');
        expect(Date.now() - started).toBeLessThan(12_000);
        expect(failed.message).toMatch(/timed out after 5 s|did not answer in time/);
        expect(failed.finishedAt).not.toBeNull();
        expect(failed.prometheusUrl).toBeNull();
        expect(stateSequence(sub.items.slice(1))).toEqual(['PENDING', 'RUNNING', 'FAILED']);
        await ws.dispose();
      });

      it.concurrent('setting a manual prometheus_url (C4) while RUNNING → CANCELLED, and nothing after it', async ({ expect }) => {
        const { id } = await register([promService(blackhole.url)]);
        const ws = connect({ token: t.userToken });
        const sub = ws.subscribe<LiveDiscoveryStatus>(DISCOVERY_SUB, { id: String(id) });
        await sub.waitFor(() => true, 10_000, 'the current state');
        const c7At = Date.now();
        expect((await t.rest('POST', `/api/v1/k8s/clusters/${id}/prometheus/rediscover`)).status).toBe(202);
        await sub.waitFor((s) => s.state === 'RUNNING', 10_000, 'RUNNING');

        const put = await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { prometheus_url: 'https://prom.example.com' } });
        expect(put.status).toBe(200);
        const cancelled = await sub.waitFor((s) => s.state === 'CANCELLED', 10_000, 'CANCELLED');
        expect(cancelled.message).toMatch(/set by hand/);
        expect(cancelled.finishedAt).not.toBeNull();

        // The abandoned probe times out 5 s after C7; the task must stay CANCELLED and the subscriber hear nothing more.
        const count = sub.items.length;
        await sleep(Math.max(0, c7At + 6_000 - Date.now()));
        expect(sub.items.slice(count)).toEqual([]);
        expect(sub.items.at(-1)!.state).toBe('CANCELLED');
        expect((await t.gw.discovery.status(id)).state).toBe('cancelled');
        await ws.dispose();
      });
    });

    describe('clusterHealth', () => {
      it('sends the cluster first, then a payload whenever its health or figures change (only that cluster)', async () => {
        const { id, cluster } = await register();
        const other = await register();
        await t.gw.health.checkNow(id); // settle the first probe, so the background monitor has nothing to do
        await t.gw.health.checkNow(other.id);

        const ws = connect({ token: t.userToken });
        const sub = ws.subscribe<LiveCluster>(HEALTH_SUB, { id: String(id) });
        const first = await sub.waitFor(() => true, 10_000, 'the current cluster');
        expect(first).toMatchObject({ id: String(id), healthStatus: 'HEALTHY', nodeCount: 3, readyNodeCount: 3, podCount: 42, kubeconfig: null });

        cluster.handle.set({ notReadyNodes: 1 });
        await t.gw.health.checkNow(id);
        const warning = await sub.waitFor((c) => c.healthStatus === 'WARNING', 10_000, 'WARNING');
        expect(warning).toMatchObject({ id: String(id), nodeCount: 3, readyNodeCount: 2, kubeconfig: null });
        expect(warning.healthMessage).toMatch(/1 of 3 nodes NotReady/);

        // Another cluster's change is not this subscriber's business.
        other.cluster.handle.set({ notReadyNodes: 2 });
        await t.gw.health.checkNow(other.id);

        cluster.handle.set({ notReadyNodes: 0, nodes: 5, pods: 50 });
        const c6 = await t.rest('POST', `/api/v1/k8s/clusters/${id}/test-connection`);
        expect(c6.status).toBe(200);
        const grown = await sub.waitFor((c) => c.nodeCount === 5, 10_000, 'nodeCount 5');
        expect(grown).toMatchObject({ id: String(id), healthStatus: 'HEALTHY', readyNodeCount: 5, podCount: 50 });
        expect(sub.items.every((c) => c.id === String(id))).toBe(true);
        expect(sub.items).toHaveLength(3);
        await ws.dispose();
      });

      it('without an id sends every cluster first, then changes of any cluster (including new ones)', async () => {
        const a = await register();
        const b = await register();
        await Promise.all([t.gw.health.checkNow(a.id), t.gw.health.checkNow(b.id)]);
        const list = await t.gql('{ clusters { items { id } } }');
        const ids = (list.data.clusters.items as { id: string }[]).map((c) => c.id);
        expect(ids).toEqual(expect.arrayContaining([String(a.id), String(b.id)]));

        const ws = connect({ token: t.userToken });
        const sub = ws.subscribe<LiveCluster>(HEALTH_SUB, {});
        await sub.waitFor(() => sub.items.length >= ids.length, 10_000, `${ids.length} clusters`);
        expect(sub.items.slice(0, ids.length).map((c) => c.id)).toEqual(ids);

        b.cluster.handle.set({ notReadyNodes: 3 });
        await t.gw.health.checkNow(b.id);
        const changed = await sub.waitFor((c) => c.id === String(b.id) && c.healthStatus === 'WARNING', 10_000, 'cluster b WARNING');
        expect(changed.readyNodeCount).toBe(0);

        const created = await register();
        await sub.waitFor((c) => c.id === String(created.id), 10_000, 'the new cluster');
        expect(sub.items.every((c) => c.kubeconfig === null)).toBe(true);
        await ws.dispose();
      });
    });

    describe('authentication', () => {
      async function expectRejected(auth: Parameters<typeof liveClient>[1], reason?: RegExp) {
        const ws = connect(auth);
        const sub = ws.subscribe<LiveCluster>(HEALTH_SUB, {});
        const closed = await Promise.race([ws.closed, sleep(5_000).then(() => null)]);
        expect(closed, `no close for ${JSON.stringify(auth)}`).not.toBeNull();
        expect(closed!.code).toBe(4401);
        if (reason) expect(closed!.reason).toMatch(reason);
        const ended = await sub.ended;
        expect(ended.kind).toBe('error');
        // Refused outright: never acknowledged, so no operation can run on the socket before it closes.
        expect(
          ws.messages.filter((m) => (m as { type?: string }).type === 'connection_ack'),
          'the server acknowledged the connection',
        ).toEqual([]);
        expect(sub.results.filter((r) => r.data)).toEqual([]);
      }

      it('closes the socket with 4401 without connectionParams', async () => {
        await expectRejected({}, /Unauthorized/);
      });

      it('closes the socket with 4401 for a malformed, foreign, expired or non-Bearer credential', async () => {
        const foreign = signToken('another-secret-another-secret-another-secret', { sub: 'mallory', role: 'admin' });
        const expired = signToken(TEST_JWT_SECRET, { sub: 'late', role: 'admin' }, { expiresIn: '-1h' });
        await expectRejected({ token: 'not-a-jwt' });
        await expectRejected({ token: foreign }, /signature/);
        await expectRejected({ token: expired }, /expired/);
        await expectRejected({ connectionParams: { Authorization: t.adminToken } });
        await expectRejected({ connectionParams: { Authorization: 42 } });
      });

      it('refuses a token that expired 2 s ago (inside the verifier clock tolerance) before serving anything', async () => {
        await register(); // something an accepted socket would be sent at once
        const justExpired = signToken(TEST_JWT_SECRET, { sub: 'late', role: 'admin' }, { expiresIn: '-2s' });
        await expectRejected({ token: justExpired }, /expired/);
      });

      // Issue 17 changed this from 4401 (fatal for graphql-ws clients) to 4440, which they retry with fresh connectionParams.
      it('closes the socket with 4440 when the token expires 2 s after connecting', async () => {
        const { id } = await register();
        // `exp` has whole seconds: signed just after a second boundary, the token lives ~2 s from now.
        await sleep(1_000 - (Date.now() % 1_000) + 5);
        const token = signToken(TEST_JWT_SECRET, { sub: 'short-lived', role: 'user' }, { expiresIn: '2s' });
        const exp = expOf(token);
        const ws = connect({ token });
        const sub = ws.subscribe<LiveCluster>(HEALTH_SUB, { id: String(id) });
        // Served while the token is valid (on a heavily loaded machine the first payload may only just make it).
        await sub.waitFor(() => true, Math.max(500, exp - Date.now()), 'the current cluster before expiry');
        const closed = await Promise.race([ws.closed, sleep(exp - Date.now() + 5_000).then(() => null)]);
        expect(closed, 'the socket stayed open after the token expired').not.toBeNull();
        expect(closed!.code).toBe(4440);
        expect(closed!.reason).toMatch(/expired/);
        expect(closed!.at).toBeGreaterThanOrEqual(exp - 50);
        expect(closed!.at - exp).toBeLessThan(3_000);
        expect((await sub.ended).kind).toBe('error');
      });

      it('lets a user (non-admin) subscribe, and never sends a kubeconfig (field null, credential absent from every frame)', async () => {
        const { id, cluster } = await register();
        const ws = connect({ token: t.userToken });
        const health = ws.subscribe<LiveCluster>(HEALTH_SUB, { id: String(id) });
        const all = ws.subscribe<LiveCluster>(HEALTH_SUB, {});
        const discovery = ws.subscribe<LiveDiscoveryStatus>(DISCOVERY_SUB, { id: String(id) });
        const first = await health.waitFor(() => true, 10_000, 'the cluster');
        await all.waitFor((c) => c.id === String(id), 10_000, 'the cluster in the full list');
        await discovery.waitFor(() => true, 10_000, 'the discovery state');
        expect(first).toMatchObject({ id: String(id), kubeconfig: null });
        expect(all.items.every((c) => c.kubeconfig === null)).toBe(true);
        for (const r of [...health.results, ...all.results, ...discovery.results]) expect(r.errors).toBeUndefined();

        const frames = JSON.stringify(ws.messages);
        expect(frames).not.toContain(cluster.secretMarker);
        expect(frames).not.toContain('certificate-authority-data');
        expect(frames).not.toContain('apiVersion: v1');
        await ws.dispose();
      });
    });

    describe('errors', () => {
      async function firstErrors(query: string, variables: Record<string, unknown>) {
        const ws = connect({ token: t.userToken });
        const sub = ws.subscribe(query, variables);
        const result = await sub.nextResult(10_000);
        expect(result.data ?? null).toBeNull();
        expect(result.errors?.length, JSON.stringify(result)).toBeGreaterThan(0);
        expect(await sub.ended).toEqual({ kind: 'complete' });
        // The error ends that operation, not the connection: the same socket still serves subscriptions.
        const ok = ws.subscribe<LiveCluster>(HEALTH_SUB, {});
        await ok.waitFor(() => true, 10_000, 'a payload on the same socket');
        await ws.dispose();
        return result.errors!;
      }

      it('an unknown cluster id → NOT_FOUND (discoveryStatus and clusterHealth)', async () => {
        await register(); // so the all-clusters subscription used as a liveness check has something to send
        for (const query of [DISCOVERY_SUB, HEALTH_SUB]) {
          const errors = await firstErrors(query, { id: '987654' });
          expect(errors[0]!.extensions?.code).toBe('NOT_FOUND');
          expect(errors[0]!.message).toMatch(/987654/);
        }
      });

      it('a non-numeric id → BAD_USER_INPUT naming clusterId', async () => {
        await register();
        for (const query of [DISCOVERY_SUB, HEALTH_SUB]) {
          const errors = await firstErrors(query, { id: 'abc' });
          expect(errors[0]!.extensions?.code).toBe('BAD_USER_INPUT');
          expect(errors[0]!.extensions?.field).toBe('clusterId');
        }
      });

      it('an invalid document is rejected with a GraphQL error message, not a hang', async () => {
        const ws = connect({ token: t.userToken });
        const sub = ws.subscribe(`subscription { clusterHealth { id noSuchField } }`);
        const ended = await Promise.race([sub.ended, sleep(5_000).then(() => null)]);
        expect(ended?.kind).toBe('error');
        const errors = (ended as { error: { message: string }[] }).error;
        expect(Array.isArray(errors)).toBe(true);
        expect(errors[0]!.message).toMatch(/noSuchField/);
        await ws.dispose();
      });
    });

    it('closing the gateway closes subscribed sockets promptly (1001), without hanging', async () => {
      const t2 = await startTestGateway(driver, { HEALTH_CHECK_INTERVAL_SECONDS: '3600' });
      let closedGateway = false;
      try {
        await register([], t2);
        const ws = connect({ token: t2.userToken }, t2.url);
        const sub = ws.subscribe<LiveCluster>(HEALTH_SUB, {});
        await sub.waitFor(() => true, 10_000, 'the first payload');
        const started = Date.now();
        const closing = t2.close().then(() => (closedGateway = true));
        const closed = await Promise.race([ws.closed, sleep(5_000).then(() => null)]);
        expect(closed, 'the client did not see the socket close').not.toBeNull();
        expect(closed!.code).toBe(1001);
        expect(closed!.at - started).toBeLessThan(3_000);
        await Promise.race([closing, sleep(10_000)]);
        expect(closedGateway, 'gateway close() did not finish within 10 s').toBe(true);
        expect((await sub.ended).kind).toBe('error');
      } finally {
        if (!closedGateway) await t2.close().catch(() => {});
      }
    });
  });
});
