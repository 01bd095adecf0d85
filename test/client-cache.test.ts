import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusters } from '../src/db/schema.js';
import type { KubeClient } from '../src/kube/kube-client.js';
import { testDrivers } from './support/databases.js';
import { startTestGateway, type TestGateway, uniqueName } from './support/gateway.js';
import { KubeSimulator } from './support/kube-simulator/index.js';
import { b64 } from './support/kubeconfigs.js';
import { reachableCluster } from './support/reachable.js';

/**
 * The per-cluster client cache (`gw.clients`): one client, and a handful of keep-alive connections, per cluster,
 * reused across requests; a kubeconfig change, disable or delete drops it so the next request uses what is stored.
 */

const ENV = { HEALTH_CHECK_INTERVAL_SECONDS: '3600', KUBE_CONNECT_TIMEOUT_MS: '3000', KUBE_REQUEST_TIMEOUT_MS: '5000' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe.each(testDrivers())('kube client cache on %s', (driver) => {
  let t: TestGateway;
  const ownSimulators: KubeSimulator[] = [];

  beforeAll(async () => {
    t = await startTestGateway(driver, ENV, { healthMonitor: false });
  });
  afterAll(async () => {
    await t?.close();
    for (const sim of ownSimulators) await sim.close();
  });

  /** A simulator of this test's own, so its connection count is this test's alone. */
  const ownSimulator = async () => {
    const sim = await KubeSimulator.start({ nodes: 2, pods: 5 });
    ownSimulators.push(sim);
    return sim;
  };
  const create = async (kubeconfigYaml: string): Promise<number> => {
    const res = await t.rest('POST', '/api/v1/k8s/clusters', { body: { name: uniqueName('cache'), kubeconfig: b64(kubeconfigYaml) } });
    expect(res.status).toBe(201);
    return res.body.data.id;
  };
  const c6 = (id: number) => t.rest('POST', `/api/v1/k8s/clusters/${id}/test-connection`);
  /**
   * The cached client for `id`, read through the cache's own API with the stored ciphertext. Returns undefined (and
   * leaves the cache as it was) when the cache holds no client for it.
   */
  const cachedClient = async (id: number): Promise<KubeClient | undefined> => {
    const [row] = await t.gw.database.db.select({ ciphertext: clusters.kubeconfigCiphertext }).from(clusters).where(eq(clusters.id, id));
    expect(row).toBeDefined();
    const before = t.gw.clients.size();
    const client = t.gw.clients.get(id, row!.ciphertext);
    if (t.gw.clients.size() === before) return client;
    t.gw.clients.drop(id);
    return undefined;
  };

  it('reuses one client and its few keep-alive connections across 10 C6 calls', async () => {
    const sim = await ownSimulator();
    const id = await create(sim.kubeconfig());
    expect(await cachedClient(id)).toBeUndefined();

    expect((await c6(id)).status).toBe(200);
    const first = await cachedClient(id);
    expect(first).toBeDefined();
    const sizeAfterFirst = t.gw.clients.size();

    let peak = sim.openConnections();
    for (let i = 0; i < 9; i++) {
      expect((await c6(id)).status).toBe(200);
      peak = Math.max(peak, sim.openConnections());
    }
    expect(await cachedClient(id)).toBe(first);
    expect(t.gw.clients.size()).toBe(sizeAfterFirst);
    // Each C6 asks for the version, then nodes and pods in parallel: at most 2 sockets, kept alive and reused.
    expect(peak).toBeLessThanOrEqual(2);
    expect(first!.openSockets()).toBeLessThanOrEqual(2);
    // 10 tests × 3 requests went to this one simulator over those few connections.
    expect(sim.requestLog.filter((e) => e.path === '/version').length).toBeGreaterThanOrEqual(10);
  });

  it('C4 with another cluster\'s kubeconfig (token → client certificate): the very next C6 goes to the new cluster', async () => {
    const before = await reachableCluster({ gitVersion: 'v1.29.1', nodes: 2 });
    const after = await reachableCluster({ gitVersion: 'v1.31.2', nodes: 5 });
    const id = await create(before.kubeconfigYaml);
    expect((await c6(id)).body.data).toMatchObject({ kubernetes_version: 'v1.29.1', node_count: 2 });
    const oldClient = await cachedClient(id);
    expect(oldClient).toBeDefined();

    const sizeBefore = t.gw.clients.size();
    const update = await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { kubeconfig: b64(after.handle.kubeconfig({ auth: 'cert' })) } });
    expect(update.status).toBe(200);
    expect(t.gw.clients.size()).toBe(sizeBefore - 1);

    before.handle.clearLog();
    after.handle.clearLog();
    const res = await c6(id);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ kubernetes_version: 'v1.31.2', node_count: 5 });
    expect(before.handle.requestLog).toHaveLength(0);
    expect(after.handle.requestLog.map((e) => e.path)).toContain('/version');
    expect(await cachedClient(id)).not.toBe(oldClient);
  });

  it('C4 with new credentials for the same cluster: the very next C6 uses them, not the cached client\'s', async () => {
    const c = await reachableCluster();
    const id = await create(c.kubeconfigYaml);
    expect((await c6(id)).status).toBe(200);

    // A token the cluster rejects: a stale cached client would still send the old, valid one and succeed.
    const revoked = await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { kubeconfig: b64(c.handle.kubeconfig({ token: 'sim-revoked-token' })) } });
    expect(revoked.status).toBe(200);
    const refused = await c6(id);
    expect(refused.status).toBe(503);
    expect(refused.body.reason).toBe('UNAUTHORIZED');

    // The same cluster's client certificate (no token at all): accepted again at once.
    const cert = await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { kubeconfig: b64(c.handle.kubeconfig({ auth: 'cert' })) } });
    expect(cert.status).toBe(200);
    c.handle.clearLog();
    expect((await c6(id)).status).toBe(200);
    expect(c.handle.requestLog.length).toBeGreaterThan(0);
    expect(c.handle.requestLog.every((e) => e.status === 200)).toBe(true);
  });

  it('disabling a cluster drops its cached client', async () => {
    const c = await reachableCluster();
    const id = await create(c.kubeconfigYaml);
    expect((await c6(id)).status).toBe(200);
    const client = await cachedClient(id);
    expect(client).toBeDefined();
    const size = t.gw.clients.size();

    const res = await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { enabled: false } });
    expect(res.status).toBe(200);
    expect(t.gw.clients.size()).toBe(size - 1);
    expect(await cachedClient(id)).toBeUndefined();
    expect(client!.openSockets()).toBe(0);
  });

  it('deleting a cluster drops its cached client and closes its connections', async () => {
    const sim = await ownSimulator();
    const id = await create(sim.kubeconfig());
    expect((await c6(id)).status).toBe(200);
    const client = await cachedClient(id);
    expect(client).toBeDefined();
    expect(sim.openConnections()).toBeGreaterThan(0);
    const size = t.gw.clients.size();

    const res = await t.rest('DELETE', `/api/v1/k8s/clusters/${id}`);
    expect(res.status).toBe(200);
    expect(t.gw.clients.size()).toBe(size - 1);
    expect(client!.openSockets()).toBe(0);
    await waitFor('the simulator to see the connections closed', () => sim.openConnections() === 0);
  });

  it('50 C6 calls across 10 clusters keep connections bounded (no socket leak), and deleting them frees all', async () => {
    const sim = await ownSimulator();
    const ids: number[] = [];
    for (let i = 0; i < 10; i++) ids.push(await create(sim.addCluster({ nodes: i + 1 }).kubeconfig()));
    const sizeBefore = t.gw.clients.size();

    let peak = 0;
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(ids.map((id) => c6(id)));
      for (const [i, a] of answers.entries()) {
        expect(a.status).toBe(200);
        expect(a.body.data.node_count).toBe(i + 1);
      }
      peak = Math.max(peak, sim.openConnections());
    }
    // At most 2 keep-alive sockets per cluster; a client (or agent) per request would pile up ~100.
    expect(peak).toBeLessThanOrEqual(20);
    expect(sim.openConnections()).toBeLessThanOrEqual(20);
    expect(t.gw.clients.size()).toBe(sizeBefore + 10);

    for (const id of ids) expect((await t.rest('DELETE', `/api/v1/k8s/clusters/${id}`)).status).toBe(200);
    expect(t.gw.clients.size()).toBe(sizeBefore);
    await waitFor('every connection to the simulator to close', () => sim.openConnections() === 0);
  });
});
