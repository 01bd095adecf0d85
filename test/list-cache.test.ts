import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { loadConfig } from '../src/config.js';
import { startGateway, type Gateway } from '../src/gateway.js';
import { createTestDatabase, testDrivers } from './support/databases.js';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway, uniqueName } from './support/gateway.js';
import { reachableCluster } from './support/reachable.js';

const LIST = '{ clusters { total items { id name healthStatus nodeCount } } }';

describe.each(testDrivers())('cached list reads stay exact on %s', (driver) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(driver, {}, { healthMonitor: false });
  });
  afterAll(() => t?.close());

  const create = async () => {
    const c = await reachableCluster();
    const res = await t.rest('POST', '/api/v1/k8s/clusters', { body: { name: uniqueName('cache'), kubeconfig: c.kubeconfigBase64 } });
    return { id: res.body.data.id as number, handle: c.handle };
  };

  it('REST C1 and GraphQL clusters show a change made on this replica immediately', async () => {
    const { id } = await create();
    const before = await t.gql(LIST);
    expect((await t.gql(LIST)).data).toEqual(before.data); // served again, same bytes
    const renamed = uniqueName('renamed');
    await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { name: renamed } });
    const after = await t.gql(LIST);
    expect(after.data.clusters.items.find((c: { id: string }) => c.id === String(id)).name).toBe(renamed);
    const c1 = await t.rest('GET', '/api/v1/k8s/clusters');
    expect(c1.body.data.clusters.find((c: { id: number }) => c.id === id).name).toBe(renamed);
  });

  it('health figures recorded by a probe appear in the next list read', async () => {
    const { id, handle } = await create();
    await t.gql(LIST);
    await t.rest('GET', '/api/v1/k8s/clusters');
    handle.set({ nodes: 5, notReadyNodes: 2 });
    await t.rest('POST', `/api/v1/k8s/clusters/${id}/test-connection`);
    const gql = (await t.gql(LIST)).data.clusters.items.find((c: { id: string }) => c.id === String(id));
    expect(gql).toMatchObject({ healthStatus: 'WARNING', nodeCount: 5 });
    const rest = (await t.rest('GET', '/api/v1/k8s/clusters')).body.data.clusters.find((c: { id: number }) => c.id === id);
    expect(rest).toMatchObject({ health_status: 'warning', node_count: 5, ready_node_count: 3 });
  });

  it('a cached answer is never served to an anonymous caller, nor for caller-specific fields', async () => {
    await create();
    await t.gql(LIST);
    const anonymous = await t.gql(LIST, undefined, { token: null });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const q = '{ clusters { items { id kubeconfig } } }';
    for (const token of [t.adminToken, t.userToken]) {
      const res = await t.gql(q, undefined, { token });
      expect(res.data.clusters.items.every((c: { kubeconfig: unknown }) => c.kubeconfig === null)).toBe(true);
    }
    const id = (await t.gql(LIST)).data.clusters.items[0].id;
    const single = await t.gql('query($id: ID!) { cluster(id: $id) { kubeconfig } }', { id });
    expect(single.data.cluster.kubeconfig).toMatch(/apiVersion/);
  });
});

describe.runIf(testDrivers().includes('postgres'))('cached list reads across replicas', () => {
  let a: Gateway;
  let b: Gateway;
  let dispose: () => Promise<void>;
  const token = signToken(TEST_JWT_SECRET, { sub: 'admin', role: 'admin' });
  const get = async (gw: Gateway) =>
    (await (await fetch(`${gw.url}/api/v1/k8s/clusters`, { headers: { authorization: `Bearer ${token}` } })).json()).data.clusters as { id: number; name: string }[];

  beforeAll(async () => {
    const db = await createTestDatabase('postgres');
    dispose = db.dispose;
    const env = {
      PORT: '0', HOST: '127.0.0.1', DATABASE_URL: db.url!, JWT_SECRET: TEST_JWT_SECRET, ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'silent', PROMETHEUS_AUTO_DISCOVERY: 'false', AUTH_FAILURE_LIMIT: '0',
    };
    a = await startGateway(loadConfig({ ...env, DATA_DIR: '/tmp/kgw-cache-a' }), { healthMonitor: false });
    b = await startGateway(loadConfig({ ...env, DATA_DIR: '/tmp/kgw-cache-b' }), { healthMonitor: false });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await dispose?.();
  });

  it('a change on replica A reaches replica B through LISTEN/NOTIFY within moments, not after the TTL', async () => {
    const c = await reachableCluster();
    const created = await a.clusters.create({ name: uniqueName('xr'), kubeconfig: c.kubeconfigYaml });
    expect((await get(b)).map((x) => x.id)).toContain(created.id); // B had no cached list yet or refreshed on NOTIFY
    const renamed = uniqueName('xr-renamed');
    await a.clusters.update(created.id, { name: renamed });
    const deadline = Date.now() + 1_000; // well under the 5 s TTL
    let seen = '';
    while (Date.now() < deadline) {
      seen = (await get(b)).find((x) => x.id === created.id)?.name ?? '';
      if (seen === renamed) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toBe(renamed);
  });
});
