import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { KubeconfigCipher } from '../src/clusters/kubeconfig-cipher.js';
import { clusters } from '../src/db/schema.js';
import { KubeClientCache } from '../src/kube/client-cache.js';
import type { KubeClient } from '../src/kube/kube-client.js';
import { probeCluster } from '../src/kube/probe.js';
import { testDrivers } from './support/databases.js';
import { uniqueName, useTestGateway } from './support/gateway.js';
import { b64 } from './support/kubeconfigs.js';
import { reachableCluster } from './support/reachable.js';
import { useOwnSimulators } from './support/suite-fixtures.js';

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
  const t = useTestGateway(driver, ENV, { healthMonitor: false });
  const startSimulator = useOwnSimulators();
  /** A simulator of this test's own, so its connection count is this test's alone. */
  const ownSimulator = () => startSimulator({ nodes: 2, pods: 5 });
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

  it("C4 with another cluster's kubeconfig (token → client certificate): the very next C6 goes to the new cluster", async () => {
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

  it("C4 with new credentials for the same cluster: the very next C6 uses them, not the cached client's", async () => {
    const c = await reachableCluster();
    const id = await create(c.kubeconfigYaml);
    expect((await c6(id)).status).toBe(200);

    // A token the cluster rejects: a stale cached client would still send the old, valid one and succeed.
    const revoked = await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, {
      body: { kubeconfig: b64(c.handle.kubeconfig({ token: 'sim-revoked-token' })) },
    });
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

  it("a sweep keeps each cluster's client but closes its connections after the probe; the next probe reuses the client", async () => {
    const sim = await ownSimulator();
    const handles = Array.from({ length: 5 }, (_, i) => sim.addCluster({ nodes: i + 1 }));
    const ids: number[] = [];
    for (const h of handles) ids.push(await create(h.kubeconfig()));

    for (const h of handles) h.clearLog();
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, sim.openConnections())), 2);
    try {
      expect(await t.gw.health.sweep()).toBeGreaterThanOrEqual(ids.length);
    } finally {
      clearInterval(sampler);
    }
    // A scheduled probe asks version, nodes and pods over one connection: at most one per cluster at any time.
    expect(peak).toBeLessThanOrEqual(ids.length);
    for (const h of handles) expect(h.requestLog.map((e) => e.path)).toEqual(['/version', '/api/v1/nodes', '/api/v1/pods']);
    const cached = await Promise.all(ids.map(cachedClient));
    for (const client of cached) {
      expect(client).toBeDefined();
      // Scheduled probes hand their sockets back at once: nothing idles until the next interval.
      expect(client!.openSockets()).toBe(0);
    }
    await waitFor('the simulator to see every probe connection closed', () => sim.openConnections() === 0);

    // A later probe on a client whose sockets were released just connects again, through the same cached client.
    for (const [i, id] of ids.entries()) {
      const res = await c6(id);
      expect(res.status).toBe(200);
      expect(res.body.data.node_count).toBe(i + 1);
      expect(await cachedClient(id)).toBe(cached[i]);
    }
    for (const id of ids) expect((await t.rest('DELETE', `/api/v1/k8s/clusters/${id}`)).status).toBe(200);
  });
});

describe('kube client cache bound', () => {
  const startSimulator = useOwnSimulators();

  it('never holds more clients than its bound; the least recently used is closed, and comes back as a new, working client', async () => {
    const sim = await startSimulator({ nodes: 2, pods: 3 });
    const cipher = new KubeconfigCipher(randomBytes(32));
    const cache = new KubeClientCache(cipher, { connectTimeoutMs: 3_000, requestTimeoutMs: 5_000 }, 3);
    const stored = Array.from({ length: 5 }, (_, i) => cipher.encrypt(sim.addCluster({ nodes: i + 1 }).kubeconfig()).ciphertext);

    const seen: KubeClient[] = [];
    for (const [id, ciphertext] of stored.entries()) {
      const client = cache.get(id, ciphertext);
      seen.push(client);
      const probe = await probeCluster(client);
      expect(probe.nodes.ok && probe.nodes.figures.total).toBe(id + 1);
      expect(cache.size()).toBeLessThanOrEqual(3);
      // Cluster 0 is used again and again, so it stays while the others come and go.
      expect(cache.get(0, stored[0]!)).toBe(seen[0]);
    }
    expect(cache.size()).toBe(3);
    // Evicted (1 and 2, the least recently used): closed, no socket left open.
    expect(seen[1]!.openSockets()).toBe(0);
    expect(seen[2]!.openSockets()).toBe(0);
    expect(cache.get(4, stored[4]!)).toBe(seen[4]);

    const again = cache.get(1, stored[1]!);
    expect(again).not.toBe(seen[1]);
    expect(cache.size()).toBe(3);
    const probe = await probeCluster(again);
    expect(probe.version.ok).toBe(true);
    expect(probe.nodes.ok && probe.nodes.figures.total).toBe(2);

    cache.closeAll();
    expect(cache.size()).toBe(0);
    expect(cache.openSockets()).toBe(0);
    await waitFor('the simulator to see all connections closed', () => sim.openConnections() === 0);
  });
});
