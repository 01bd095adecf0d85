import { describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { registerCluster, uniqueName, useTestGateway } from './support/gateway.js';
import { type KubeconfigOptions, unrelatedCaPem } from '../tools/kube-simulator/index.js';
import { b64, refusedServerUrl } from './support/kubeconfigs.js';
import { reachableCluster } from './support/reachable.js';
import { useOwnSimulators } from './support/suite-fixtures.js';

/**
 * Connection tests: C3 step 2 (reach the cluster before saving it), C6 (POST …/test-connection) and GraphQL
 * testClusterConnection, against the Kubernetes API simulator. Short kube request timeouts keep the failure cases fast.
 */

// Timeouts: short enough that a hanging server costs little, long enough that a TLS handshake or first request on a
// loaded CI machine does not time out by accident. Refused / DNS / TLS failures are immediate either way.
const REQUEST_TIMEOUT_MS = 2_500;
const ENV = { HEALTH_CHECK_INTERVAL_SECONDS: '3600', KUBE_CONNECT_TIMEOUT_MS: '3000', KUBE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) };
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const C6_FIELDS = ['cluster_id', 'cluster_name', 'connected', 'kubernetes_version', 'node_count', 'tested_at'];

const CREATE = `mutation($input: CreateClusterInput!) {
  createCluster(input: $input) { id name healthStatus healthMessage lastConnectedAt kubernetesVersion nodeCount }
}`;
const TEST_CONNECTION = `mutation($id: ID!) {
  testClusterConnection(id: $id) { clusterId clusterName connected kubernetesVersion nodeCount testedAt message }
}`;

describe.each(testDrivers())('connection tests (C3 step 2, C6, testClusterConnection) on %s', (driver) => {
  const t = useTestGateway(driver, ENV, { healthMonitor: false });
  const ownSimulator = useOwnSimulators();

  const list = async () => {
    const res = await t.rest('GET', '/api/v1/k8s/clusters');
    expect(res.status).toBe(200);
    return res.body.data as { clusters: { id: number; name: string }[]; total: number };
  };
  const detail = async (id: number) => {
    const res = await t.rest('GET', `/api/v1/k8s/clusters/${id}`);
    expect(res.status).toBe(200);
    return res.body.data;
  };
  const createRest = (name: string, kubeconfigBase64: string) =>
    t.rest('POST', '/api/v1/k8s/clusters', { body: { name, kubeconfig: kubeconfigBase64 } });
  /** Stores a cluster whatever its state (GraphQL skipConnectionTest). */
  const createUnchecked = (yaml: string) => registerCluster(t, { kubeconfig: yaml, name: uniqueName('conn'), skipConnectionTest: true });
  /** Stores, untested, a kubeconfig for a fresh simulated cluster with `overrides` (a wrong CA, another server…). */
  const createUncheckedWith = async (overrides: KubeconfigOptions) => createUnchecked((await reachableCluster()).handle.kubeconfig(overrides));
  const c6 = (id: number | string, token?: string | null) => t.rest('POST', `/api/v1/k8s/clusters/${id}/test-connection`, { token });

  describe('C3 refuses a cluster it cannot reach: 400 naming the kubeconfig and why, nothing stored', () => {
    const cases: { what: string; why: RegExp; kubeconfig: () => Promise<{ base64: string; sawRequest?: () => boolean }> }[] = [
      {
        what: 'a server that drops every connection (mode refuse)',
        why: /NETWORK|reset/,
        kubeconfig: async () => {
          const c = await reachableCluster({ mode: 'refuse' });
          return { base64: c.kubeconfigBase64, sawRequest: () => c.handle.requestLog.length > 0 };
        },
      },
      {
        what: 'a server URL on a closed port',
        why: /REFUSED.*refused/,
        kubeconfig: async () => {
          const c = await reachableCluster();
          return { base64: b64(c.handle.kubeconfig({ server: await refusedServerUrl() })) };
        },
      },
      {
        what: 'a token the API server rejects (401)',
        why: /UNAUTHORIZED.*401/,
        kubeconfig: async () => {
          const c = await reachableCluster();
          return {
            base64: b64(c.handle.kubeconfig({ token: 'sim-wrong-token-' + uniqueName() })),
            // A wrong token matches no virtual cluster: the 401 lands in the simulator's global log.
            sawRequest: () => c.sim.globalLog.some((e) => e.status === 401 && e.path === '/api/v1/namespaces'),
          };
        },
      },
      {
        what: 'a certificate signed by a CA the kubeconfig does not trust',
        why: /TLS/,
        kubeconfig: async () => {
          const c = await reachableCluster();
          return { base64: b64(c.handle.kubeconfig({ caPem: await unrelatedCaPem() })) };
        },
      },
      {
        what: 'a server that never answers (mode hang)',
        why: /TIMEOUT/,
        kubeconfig: async () => {
          const c = await reachableCluster({ mode: 'hang' });
          return { base64: c.kubeconfigBase64, sawRequest: () => c.handle.requestLog.length > 0 };
        },
      },
    ];

    it.each(cases)('$what', async ({ why, kubeconfig }) => {
      const { base64, sawRequest } = await kubeconfig();
      const before = await list();
      const name = uniqueName('unreachable');
      const started = performance.now();
      const res = await createRest(name, base64);
      const elapsed = performance.now() - started;

      expect(res.status).toBe(400);
      expect(res.body.code).toBe(400);
      expect(res.body.data).toBeNull();
      expect(res.body.message).toMatch(/^kubeconfig: /);
      expect(res.body.message).toMatch(/cannot connect/);
      expect(res.body.message).toMatch(why);
      expect(res.body.field).toBe('kubeconfig');
      // Bounded by the configured request timeout, not by the OS defaults (minutes).
      expect(elapsed).toBeLessThan(REQUEST_TIMEOUT_MS + 5_000);
      if (sawRequest) expect(sawRequest()).toBe(true);

      const after = await list();
      expect(after.total).toBe(before.total);
      expect(after.clusters.map((c) => c.name)).not.toContain(name);
    });
  });

  it('C3 stores kubernetes_version and node_count learned by the connection test (GET /api/v1/namespaces first)', async () => {
    const c = await reachableCluster({ gitVersion: 'v1.29.7', nodes: 5, notReadyNodes: 1 });
    const name = uniqueName('reachable');
    const res = await createRest(name, c.kubeconfigBase64);
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ name, kubernetes_version: 'v1.29.7', node_count: 5 });
    expect(res.body.data.last_connected_at).toMatch(RFC3339);

    const stored = await detail(res.body.data.id);
    expect(stored).toMatchObject({ kubernetes_version: 'v1.29.7', node_count: 5, last_connected_at: res.body.data.last_connected_at });
    // The contract's step 2 is `GET /api/v1/namespaces`; it must have been the call that proved connectivity.
    const paths = c.handle.requestLog.map((e) => `${e.method} ${e.path}`);
    expect(paths[0]).toBe('GET /api/v1/namespaces');
    expect(paths).toContain('GET /version');
  });

  it('GraphQL createCluster with skipConnectionTest stores an unreachable cluster; without it the same kubeconfig is refused', async () => {
    const c = await reachableCluster();
    const yaml = c.handle.kubeconfig({ server: await refusedServerUrl() });

    const refused = await t.gql(CREATE, { input: { name: uniqueName('dead'), kubeconfig: yaml } });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.extensions?.field).toBe('kubeconfig');
    expect(refused.errors?.[0]?.message).toMatch(/^kubeconfig: .*REFUSED/);

    const name = uniqueName('dead');
    const saved = await t.gql(CREATE, { input: { name, kubeconfig: yaml, skipConnectionTest: true } });
    expect(saved.errors).toBeUndefined();
    expect(saved.data.createCluster).toMatchObject({ name, healthStatus: 'UNKNOWN', lastConnectedAt: null, kubernetesVersion: null, nodeCount: 0 });
    const stored = await detail(Number(saved.data.createCluster.id));
    expect(stored).toMatchObject({ name, health_status: 'unknown', last_connected_at: null });
  });

  it('C6 answers 200 with the contract message and fields, and records health and last_connected_at (seen in C1/C2)', async () => {
    const c = await reachableCluster({ gitVersion: 'v1.30.2', nodes: 4, pods: 42 });
    const { id, name } = await createUnchecked(c.kubeconfigYaml);
    const before = await detail(id);
    expect(before).toMatchObject({ health_status: 'unknown', last_connected_at: null, node_count: 0 });

    const started = Date.now();
    const res = await c6(id);
    expect(res.status).toBe(200);
    expect(res.body.code).toBe(200);
    expect(res.body.message).toBe('集群连接成功');
    for (const f of C6_FIELDS) expect(res.body.data).toHaveProperty(f);
    expect(res.body.data).toMatchObject({ cluster_id: id, cluster_name: name, connected: true, kubernetes_version: 'v1.30.2', node_count: 4 });
    expect(res.body.data.tested_at).toMatch(RFC3339);
    const testedAt = Date.parse(res.body.data.tested_at);
    expect(testedAt).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
    expect(testedAt).toBeLessThanOrEqual(Date.now());

    const after = await detail(id);
    expect(after).toMatchObject({ health_status: 'healthy', kubernetes_version: 'v1.30.2', node_count: 4, pod_count: 42 });
    expect(after.health_message).toMatch(/all 4 nodes Ready/);
    expect(after.last_connected_at).toMatch(RFC3339);
    expect(Date.parse(after.last_connected_at)).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
    const inList = (await list()).clusters.find((x) => x.id === id);
    expect(inList).toMatchObject({ health_status: 'healthy', last_connected_at: after.last_connected_at, node_count: 4 });
  });

  it('C6 may be run by users (not only admins)', async () => {
    const c = await reachableCluster();
    const { id } = await createUnchecked(c.kubeconfigYaml);
    const res = await c6(id, t.userToken);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ cluster_id: id, connected: true });
  });

  describe('C6 answers 503 with a typed reason and moves health at once (an explicit test is not damped)', () => {
    interface Prepared {
      id: number;
      name: string;
      /** Makes a cluster that was healthy unreachable; absent when it never was reachable. */
      breakIt?: () => Promise<void>;
    }
    /** Creates through C3 (so it is reachable), proves it healthy through C6, and returns how to break it. */
    const healthyFirst = async (kubeconfigBase64: string, breakIt: () => Promise<void>): Promise<Prepared> => {
      const name = uniqueName('c6');
      const created = await createRest(name, kubeconfigBase64);
      expect(created.status).toBe(201);
      const ok = await c6(created.body.data.id);
      expect(ok.status).toBe(200);
      expect((await detail(created.body.data.id)).health_status).toBe('healthy');
      return { id: created.body.data.id, name, breakIt };
    };

    const cases: { reason: string; how: string; health: 'error' | 'unavailable'; message: RegExp; prepare: () => Promise<Prepared> }[] = [
      {
        reason: 'UNAUTHORIZED',
        how: 'credentials expired (401)',
        health: 'error',
        message: /401|credentials/,
        prepare: async () => {
          const c = await reachableCluster();
          return healthyFirst(c.kubeconfigBase64, async () => c.handle.set({ expired: true }));
        },
      },
      {
        reason: 'TLS',
        how: 'the kubeconfig trusts the wrong CA',
        health: 'unavailable',
        message: /TLS/,
        prepare: async () => createUncheckedWith({ caPem: await unrelatedCaPem() }),
      },
      {
        reason: 'TIMEOUT',
        how: 'the API server stops answering (mode hang)',
        health: 'unavailable',
        message: /in time|timed? ?out/i,
        prepare: async () => {
          const c = await reachableCluster();
          return healthyFirst(c.kubeconfigBase64, async () => c.handle.set({ mode: 'hang' }));
        },
      },
      {
        reason: 'REFUSED',
        how: 'the API server stops listening',
        health: 'unavailable',
        message: /refused/,
        prepare: async () => {
          const own = await ownSimulator({ nodes: 2 });
          return healthyFirst(b64(own.kubeconfig()), async () => {
            await own.stopListening();
            // Let the gateway's keep-alive socket see the close first; a request racing it on the stale socket gets
            // ECONNRESET (NETWORK), which is a different, legitimate failure than "nothing listens here".
            await new Promise((resolve) => setTimeout(resolve, 100));
          });
        },
      },
      {
        reason: 'DNS',
        how: 'the server host name does not resolve',
        health: 'unavailable',
        message: /resolve|DNS/,
        prepare: () => createUncheckedWith({ server: 'https://no-such-host.invalid:6443' }),
      },
      {
        // The classifier must not guess from the letters of the URL: a host called "…tls…" that does not resolve
        // is a DNS failure, not a TLS one.
        reason: 'DNS',
        how: 'an unresolvable host whose name contains "tls"',
        health: 'unavailable',
        message: /resolve|DNS/,
        prepare: () => createUncheckedWith({ server: 'https://k8s-tls-prod.no-such-host.invalid:6443' }),
      },
    ];

    it.each(cases)('$reason: $how → health $health', async ({ reason, health, message, prepare }) => {
      const cluster = await prepare();
      const before = await detail(cluster.id);
      await cluster.breakIt?.();

      const res = await c6(cluster.id);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe(503);
      expect(res.body.data).toBeNull();
      expect(res.body.reason).toBe(reason);
      expect(res.body.message).toContain(cluster.name);
      expect(res.body.message).toMatch(message);

      const after = await detail(cluster.id);
      expect(after.health_status).toBe(health);
      expect(after.health_message).toMatch(message);
      // Unreachable: the last successful contact stays what it was.
      if (health === 'unavailable') expect(after.last_connected_at).toBe(before.last_connected_at);
    });
  });

  it('C6 answers 404 for an unknown id and 400 for an id that is not a number', async () => {
    const missing = await c6(2_147_483_000);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 404, data: null });
    const bad = await c6('not-a-number');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe(400);
  });

  it('C6 answers 401 without a token and does not touch the cluster', async () => {
    const c = await reachableCluster();
    const { id } = await createUnchecked(c.kubeconfigYaml);
    c.handle.clearLog();
    const res = await c6(id, null);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 401, data: null });
    expect(c.handle.requestLog).toHaveLength(0);
    expect((await detail(id)).health_status).toBe('unknown');
  });

  it('GraphQL testClusterConnection returns the same data as C6, for users too', async () => {
    const c = await reachableCluster({ gitVersion: 'v1.28.9', nodes: 2 });
    const { id, name } = await createUnchecked(c.kubeconfigYaml);
    const rest = await c6(id);
    expect(rest.status).toBe(200);

    const started = Date.now();
    const res = await t.gql(TEST_CONNECTION, { id: String(id) }, { token: t.userToken });
    expect(res.errors).toBeUndefined();
    const r = res.data.testClusterConnection;
    expect(r).toMatchObject({ clusterId: String(id), clusterName: name, connected: true, kubernetesVersion: 'v1.28.9', nodeCount: 2 });
    expect({ kubernetes_version: r.kubernetesVersion, node_count: r.nodeCount, cluster_name: r.clusterName }).toEqual({
      kubernetes_version: rest.body.data.kubernetes_version,
      node_count: rest.body.data.node_count,
      cluster_name: rest.body.data.cluster_name,
    });
    expect(Date.parse(r.testedAt)).toBeGreaterThanOrEqual(started - 1000);
    expect(typeof r.message).toBe('string');
  });

  it('GraphQL testClusterConnection reports a dead cluster as CLUSTER_UNREACHABLE with extensions.reason', async () => {
    const { id, name } = await createUncheckedWith({ server: await refusedServerUrl() });
    const res = await t.gql(TEST_CONNECTION, { id: String(id) });
    expect(res.data).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'CLUSTER_UNREACHABLE', reason: 'REFUSED' });
    expect(res.errors![0]!.message).toContain(name);
    expect((await detail(id)).health_status).toBe('unavailable');

    const unknown = await t.gql(TEST_CONNECTION, { id: '2147483000' });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const anonymous = await t.gql(TEST_CONNECTION, { id: String(id) }, { token: null });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
