import { beforeAll, describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { registerCluster, useTestGateway } from './support/gateway.js';
import { kubeconfigYaml } from './support/kubeconfigs.js';

/**
 * Issue 11: the kubeconfig rule looked at the response key, so an admin's `{ cluster: clusters { items { kubeconfig } } }`
 * put credentials into a list while `{ x: cluster(id: "1") { kubeconfig } }` gave null; and no answer carrying a
 * kubeconfig said `Cache-Control: no-store`. The field decides now, and every API answer is `no-store`.
 */

const KUBECONFIG = kubeconfigYaml({ server: 'https://127.0.0.1:1', user: { token: 'sha256~credential-under-test' } });

describe.each(testDrivers())('kubeconfig exposure is decided by the field, never the alias, on %s', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false });
  let id = 0;
  beforeAll(async () => {
    ({ id } = await registerCluster(t, { kubeconfig: KUBECONFIG, skipConnectionTest: true }));
  });

  it.each([
    ['a list aliased as a single read', '{ cluster: clusters { items { kubeconfig } } }', (d: any) => d.cluster.items.map((c: any) => c.kubeconfig)],
    [
      'a list aliased as currentCluster, through a fragment',
      '{ ...F } fragment F on Query { currentCluster: clusters { items { kubeconfig } } }',
      (d: any) => d.currentCluster.items.map((c: any) => c.kubeconfig),
    ],
    [
      'a list beside a single read',
      `{ one: cluster(id: "ID") { id } updateCluster: clusters { items { kubeconfig } } }`,
      (d: any) => d.updateCluster.items.map((c: any) => c.kubeconfig),
    ],
  ])('an admin gets no kubeconfig from %s', async (_label, query, pick) => {
    const res = await t.gql(query.replace('ID', String(id)));
    expect(res.errors).toBeUndefined();
    const values: unknown[] = pick(res.data);
    expect(values.length).toBeGreaterThan(0);
    expect(values.every((v) => v === null)).toBe(true);
  });

  it.each([
    ['an aliased single read', '{ x: cluster(id: "ID") { kubeconfig } }', (d: any) => d.x.kubeconfig],
    ['a single read aliased as clusters', '{ clusters: cluster(id: "ID") { kubeconfig } }', (d: any) => d.clusters.kubeconfig],
    ['a single read inside an inline fragment', '{ ... on Query { y: cluster(id: "ID") { kubeconfig } } }', (d: any) => d.y.kubeconfig],
  ])('an admin gets the kubeconfig from %s; a user never', async (_label, query, pick) => {
    const q = query.replace('ID', String(id));
    const admin = await t.gql(q);
    expect(admin.errors).toBeUndefined();
    expect(pick(admin.data)).toBe(KUBECONFIG);
    const user = await t.gql(q, undefined, { token: t.userToken });
    expect(pick(user.data)).toBeNull();
  });
});

describe.each(testDrivers())('answers that may carry credentials are never stored by caches, on %s', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false });
  let id = 0;
  beforeAll(async () => {
    ({ id } = await registerCluster(t, { kubeconfig: KUBECONFIG, skipConnectionTest: true }));
  });
  const post = (query: string, token = t.adminToken) =>
    fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });

  it("REST C2 with an admin's kubeconfig, and every other REST answer, say Cache-Control: no-store", async () => {
    const c2 = await fetch(`${t.url}/api/v1/k8s/clusters/${id}`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(((await c2.json()) as { data: { kubeconfig?: string } }).data.kubeconfig).toBe(Buffer.from(KUBECONFIG).toString('base64'));
    expect(c2.headers.get('cache-control')).toBe('no-store');
    // C1 twice: the first through Express, the second from the cached-read lane; an error answer too.
    for (const path of ['/api/v1/k8s/clusters', '/api/v1/k8s/clusters', '/api/v1/k8s/clusters/999999']) {
      const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${t.adminToken}` } });
      expect(res.headers.get('cache-control'), path).toBe('no-store');
    }
  });

  it('a GraphQL answer with a kubeconfig, a list answer (executed and from memory) and an error all say no-store', async () => {
    const single = await post(`{ cluster(id: "${id}") { kubeconfig } }`);
    expect(((await single.json()) as { data: { cluster: { kubeconfig: string } } }).data.cluster.kubeconfig).toBe(KUBECONFIG);
    expect(single.headers.get('cache-control')).toBe('no-store');
    const list = '{ clusters { total items { id name } } } # no-store';
    for (let i = 0; i < 2; i++) expect((await post(list, t.userToken)).headers.get('cache-control')).toBe('no-store');
    expect((await post('{ nope }')).headers.get('cache-control')).toBe('no-store');
  });
});
