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

/** Everything a client can see of a response but the two headers that differ per request. */
async function observable(res: Response) {
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (name !== 'date' && name !== 'x-request-id') headers[name] = value;
  });
  return { status: res.status, headers, body: await res.text() };
}

/** How many requests the cached-read lane has answered, by route, from the gateway's own /metrics. */
async function cachedReads(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^kube_gateway_cached_reads_total\{route="([^"]+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

describe.each(testDrivers())('the cached-read lane answers exactly as Express and Apollo do, on %s', (driver) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(driver, {}, { healthMonitor: false });
    const c = await reachableCluster();
    await t.rest('POST', '/api/v1/k8s/clusters', { body: { name: uniqueName('lane'), kubeconfig: c.kubeconfigBase64 } });
  });
  afterAll(() => t?.close());

  const auth = () => ({ authorization: `Bearer ${t.adminToken}` });
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth(), ...headers }, body });

  it('REST C1 from the lane has the status, headers and bytes Express gives the same request', async () => {
    const before = (await cachedReads(t.url))['/api/v1/k8s/clusters'] ?? 0;
    const lane = await observable(await fetch(`${t.url}/api/v1/k8s/clusters`, { headers: auth() }));
    expect((await cachedReads(t.url))['/api/v1/k8s/clusters']).toBe(before + 1);
    // A trailing slash is routed to C1 by Express but never taken by the lane.
    const express = await observable(await fetch(`${t.url}/api/v1/k8s/clusters/`, { headers: auth() }));
    expect((await cachedReads(t.url))['/api/v1/k8s/clusters']).toBe(before + 1);
    expect(lane.status).toBe(200);
    expect(lane.headers['x-content-type-options']).toBe('nosniff');
    expect(lane).toEqual(express);
  });

  it.each([
    ['no Accept header', undefined],
    ['*/*', '*/*'],
    ['application/json', 'application/json'],
    ['application/graphql-response+json', 'application/graphql-response+json'],
    ["GraphiQL's Accept", 'application/graphql-response+json, application/json, multipart/mixed'],
  ])('a repeated GraphQL list query (%s) gets the very response Apollo produced', async (_label, accept) => {
    // A comment makes the query text, and so the cache entry, this case's own: the first request executes.
    const body = JSON.stringify({ query: `{ clusters { total items { id name healthStatus createdAt } } } # ${accept ?? 'none'}` });
    const headers: Record<string, string> = accept ? { accept } : {};
    const before = (await cachedReads(t.url))['/graphql'] ?? 0;
    const executed = await observable(await post(body, headers));
    const cached = await observable(await post(body, headers));
    expect((await cachedReads(t.url))['/graphql']).toBe(before + 1);
    expect(executed.status).toBe(200);
    expect(JSON.parse(executed.body).data.clusters.total).toBeGreaterThan(0);
    expect(cached).toEqual(executed);
  });

  it('a query with variables is cached per variable values, and a changed list is never answered from memory', async () => {
    const query = 'query($full: Boolean!) { clusters { items { id name @include(if: $full) } } }';
    const send = async (full: boolean) => observable(await post(JSON.stringify({ query, variables: { full } })));
    const [full, bare] = [await send(true), await send(false)];
    expect(JSON.parse(full.body).data.clusters.items[0].name).toEqual(expect.any(String));
    expect(JSON.parse(bare.body).data.clusters.items[0].name).toBeUndefined();
    const before = (await cachedReads(t.url))['/graphql'] ?? 0;
    expect(await send(true)).toEqual(full);
    expect(await send(false)).toEqual(bare);
    expect((await cachedReads(t.url))['/graphql']).toBe(before + 2);
    const c = await reachableCluster();
    const name = uniqueName('lane-new');
    await t.rest('POST', '/api/v1/k8s/clusters', { body: { name, kubeconfig: c.kubeconfigBase64 } });
    const after = await send(true);
    expect(JSON.parse(after.body).data.clusters.items.map((i: { name: string }) => i.name)).toContain(name);
    expect((await cachedReads(t.url))['/graphql']).toBe(before + 2);
  });

  it.each([
    ['malformed JSON', '{"query": ', 400],
    ['a JSON string', '"{ clusters { total } }"', 400],
    ['a batch (array)', '[{"query":"{ clusters { total } }"}]', 400],
    ['a byte-order mark before the JSON', '\ufeff{"query":"{ clusters { total } }"}', 200],
    ['an empty object', '{}', 400],
    ['a non-string query', '{"query": 42}', 400],
  ])('a body read ahead by the lane (%s) is answered as express.json and Apollo answer it', async (_label, body, status) => {
    // With a token and plain JSON the lane reads the body first; with an extra content-type parameter it never does.
    const ahead = await observable(await post(body));
    const direct = await observable(await post(body, { 'content-type': 'application/json; charset=utf-8; x=1' }));
    expect(ahead.status).toBe(status);
    expect(ahead).toEqual(direct);
  });
});

describe.each(testDrivers())('the cached-read lane respects the authentication brake, on %s', (driver) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(driver, { AUTH_FAILURE_LIMIT: '3' }, { healthMonitor: false });
  });
  afterAll(() => t?.close());

  it('a client address that collected too many 401s gets 429 even for a cached read with a valid token', async () => {
    const ok = await fetch(`${t.url}/api/v1/k8s/clusters`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(ok.status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const bad = await fetch(`${t.url}/api/v1/k8s/clusters`, { headers: { authorization: 'Bearer not-a-token' } });
      expect(bad.status).toBe(401);
    }
    const braked = await fetch(`${t.url}/api/v1/k8s/clusters`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(braked.status).toBe(429);
    const gql = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ query: '{ clusters { total } }' }),
    });
    expect(gql.status).toBe(429);
  });
});

describe.runIf(testDrivers().includes('postgres'))('cached list reads across replicas', () => {
  let a: Gateway;
  let b: Gateway;
  let dispose: () => Promise<void>;
  const token = signToken(TEST_JWT_SECRET, { sub: 'admin', role: 'admin' });
  const get = async (gw: Gateway) =>
    (await (await fetch(`${gw.url}/api/v1/k8s/clusters`, { headers: { authorization: `Bearer ${token}` } })).json()).data.clusters as {
      id: number;
      name: string;
    }[];

  beforeAll(async () => {
    const db = await createTestDatabase('postgres');
    dispose = db.dispose;
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url!,
      JWT_SECRET: TEST_JWT_SECRET,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'silent',
      PROMETHEUS_AUTO_DISCOVERY: 'false',
      AUTH_FAILURE_LIMIT: '0',
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
