import { describe, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { hs } from './support/forged-tokens.js';
import { uniqueName } from './support/gateway.js';
import { b64, kubeconfigYaml } from './support/kubeconfigs.js';
import { bearer, call, gqlBody, JSON_CT, REST_BASE, wsAttempt } from './support/raw-requests.js';
import { snapshotTables } from './support/snapshot.js';
import { useVictimGateway } from './support/victim-gateway.js';

/**
 * Authorization attacks with valid tokens: claims that merely look like admin, a user calling every admin operation,
 * and kubeconfigs reaching a user (REST, GraphQL, subscriptions) or any list, with admin positive controls showing the
 * checks can see a leak.
 */

describe.each(testDrivers())('authentication and authorization attacks on %s', { concurrent: true }, (driver) => {
  describe('HS256 gateway', { concurrent: false }, () => {
    const { t, sim, victim } = useVictimGateway(driver);

    it('claims that merely look like admin do not make a user an admin', async ({ expect }) => {
      const lookalikes: Record<string, object> = {
        'role Admin': { role: 'Admin' },
        'role ADMIN': { role: 'ADMIN' },
        'role "admin "': { role: 'admin ' },
        'role [admin]': { role: ['admin'] },
        'roles "admin" (string)': { roles: 'admin' },
        'roles [Admin]': { roles: ['Admin'] },
        'roles [[admin]]': { roles: [['admin']] },
        'roles {0: admin}': { roles: { 0: 'admin', length: 1 } },
        'admin: true': { admin: true },
        'scope admin': { scope: 'admin' },
        'groups [admin]': { groups: ['admin'] },
        is_admin: { is_admin: true },
      };
      const before = await snapshotTables(t.gw);
      for (const [label, claims] of Object.entries(lookalikes)) {
        const token = hs({ sub: `lookalike-${label}`, ...claims }, { expiresIn: '1h' });
        const res = await call(t.url, 'POST', `${REST_BASE}/clusters`, {
          headers: { ...JSON_CT, ...bearer(token) },
          body: JSON.stringify({ name: uniqueName('escalate'), kubeconfig: sim.kubeconfigBase64 }),
        });
        expect.soft(res.status, label).toBe(403);
        const c2 = await call(t.url, 'GET', `${REST_BASE}/clusters/${victim.id}`, { headers: bearer(token) });
        expect.soft(c2.json?.data && 'kubeconfig' in c2.json.data, `${label}: C2 kubeconfig`).toBe(false);
      }
      expect(await snapshotTables(t.gw)).toEqual(before);
    });

    it('a user calling every admin operation gets 403 / FORBIDDEN and nothing changes', async ({ expect }) => {
      const before = await snapshotTables(t.gw);
      const user = { ...JSON_CT, ...bearer(t.userToken) };
      const restCalls: [string, string, string, unknown][] = [
        ['C3 create', 'POST', `${REST_BASE}/clusters`, { name: uniqueName('by-user'), kubeconfig: sim.kubeconfigBase64, is_default: true }],
        ['C4 rename', 'PUT', `${REST_BASE}/clusters/${victim.id}`, { name: uniqueName('hijacked') }],
        [
          'C4 replace kubeconfig',
          'PUT',
          `${REST_BASE}/clusters/${victim.id}`,
          { kubeconfig: b64(kubeconfigYaml({ server: 'https://attacker.example:6443' })) },
        ],
        ['C4 make default', 'PUT', `${REST_BASE}/clusters/${victim.id}`, { is_default: true }],
        ['C4 enable', 'PUT', `${REST_BASE}/clusters/${victim.id}`, { enabled: true }],
        ['C4 point Prometheus at the attacker', 'PUT', `${REST_BASE}/clusters/${victim.id}`, { prometheus_url: 'http://attacker.example:9090' }],
        ['C4 on an absent id', 'PUT', `${REST_BASE}/clusters/999999`, { name: 'x' }],
        ['C5 delete', 'DELETE', `${REST_BASE}/clusters/${victim.id}`, undefined],
        ['C5 delete an absent id', 'DELETE', `${REST_BASE}/clusters/999999`, undefined],
      ];
      for (const [label, method, path, body] of restCalls) {
        const res = await call(t.url, method, path, { headers: user, body: body === undefined ? undefined : JSON.stringify(body) });
        expect.soft(res.status, label).toBe(403);
        expect.soft(res.json, label).toMatchObject({ code: 403, data: null });
        expect.soft(res.json?.message, label).toMatch(/admin/);
      }
      const gqlCalls: [string, string, Record<string, unknown>][] = [
        [
          'createCluster',
          'mutation($i: CreateClusterInput!) { createCluster(input: $i) { id } }',
          { i: { name: uniqueName('by-user'), kubeconfig: sim.kubeconfigYaml, skipConnectionTest: true, isDefault: true } },
        ],
        [
          'updateCluster',
          'mutation($id: ID!) { updateCluster(id: $id, input: { name: "hijacked", prometheusUrl: "http://attacker.example" }) { id } }',
          { id: String(victim.id) },
        ],
        [
          'updateCluster kubeconfig',
          'mutation($id: ID!, $k: String!) { updateCluster(id: $id, input: { kubeconfig: $k }) { id } }',
          { id: String(victim.id), k: kubeconfigYaml({ server: 'https://attacker.example:6443' }) },
        ],
        ['deleteCluster', 'mutation($id: ID!) { deleteCluster(id: $id) }', { id: String(victim.id) }],
        [
          'aliased batch of deletes',
          'mutation($id: ID!) { a: deleteCluster(id: $id) b: deleteCluster(id: $id) c: updateCluster(id: $id, input: { enabled: true }) { id } }',
          { id: String(victim.id) },
        ],
      ];
      for (const [label, query, variables] of gqlCalls) {
        const res = await call(t.url, 'POST', '/graphql', { headers: user, body: gqlBody(query, variables) });
        expect.soft(res.json?.errors?.length, label).toBeGreaterThan(0);
        for (const e of res.json?.errors ?? []) expect.soft(e.extensions?.code, label).toBe('FORBIDDEN');
        const data = res.json?.data ?? {};
        expect
          .soft(
            Object.values(data ?? {}).every((v) => v === null),
            `${label}: no field succeeded`,
          )
          .toBe(true);
      }
      expect(await snapshotTables(t.gw)).toEqual(before);
    });

    it('a user never receives a kubeconfig: REST C1/C2, GraphQL lists, lookups, currentCluster and subscription payloads', async ({ expect }) => {
      const leaks = (text: string) => [sim.secretMarker, sim.kubeconfigBase64, sim.kubeconfigYaml.slice(0, 60)].filter((s) => text.includes(s));
      const user = bearer(t.userToken);
      const c1 = await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: user });
      expect(c1.status).toBe(200);
      expect(c1.json.data.clusters.some((c: any) => c.id === victim.id)).toBe(true);
      expect(c1.json.data.clusters.every((c: any) => !('kubeconfig' in c))).toBe(true);
      expect(leaks(c1.text)).toEqual([]);
      const c2 = await call(t.url, 'GET', `${REST_BASE}/clusters/${victim.id}`, { headers: user });
      expect(c2.status).toBe(200);
      expect('kubeconfig' in c2.json.data).toBe(false);
      expect(leaks(c2.text)).toEqual([]);

      const queries = [
        '{ clusters { items { id kubeconfig } } }',
        `{ cluster(id: "${victim.id}") { id kubeconfig } }`,
        `{ a: cluster(id: "${victim.id}") { kubeconfig } b: clusters { items { kubeconfig } } }`,
        '{ currentCluster { id kubeconfig } }',
      ];
      for (const q of queries) {
        const res = await call(t.url, 'POST', '/graphql', { headers: { ...JSON_CT, ...user, 'x-cluster-id': String(victim.id) }, body: gqlBody(q) });
        expect.soft(res.json.errors, q).toBeUndefined();
        expect.soft(JSON.stringify(res.json.data), q).not.toMatch(/"kubeconfig":"/);
        expect.soft(leaks(res.text), q).toEqual([]);
      }

      const sub = await wsAttempt(
        t.url,
        { Authorization: `Bearer ${t.userToken}` },
        {
          subscribe: {
            query: 'subscription($id: ID) { clusterHealth(clusterId: $id) { id name kubeconfig } }',
            variables: { id: String(victim.id) },
          },
        },
      );
      expect(sub.nexts.length).toBeGreaterThanOrEqual(1);
      expect(sub.nexts[0].data.clusterHealth).toMatchObject({ id: String(victim.id), kubeconfig: null });
      const subAll = await wsAttempt(
        t.url,
        { Authorization: `Bearer ${t.userToken}` },
        { subscribe: { query: 'subscription { clusterHealth { id kubeconfig } }' } },
      );
      expect(subAll.nexts.length).toBeGreaterThanOrEqual(1);
      expect(subAll.nexts.every((n) => n.data.clusterHealth.kubeconfig === null)).toBe(true);
      expect(leaks(JSON.stringify([...sub.messages, ...subAll.messages]))).toEqual([]);
    });

    it('positive control: an admin reads the kubeconfig of one cluster (C2 and cluster(id)), so the checks above can see a leak', async ({
      expect,
    }) => {
      const c2 = await call(t.url, 'GET', `${REST_BASE}/clusters/${victim.id}`, { headers: bearer(t.adminToken) });
      expect(Buffer.from(c2.json.data.kubeconfig, 'base64').toString()).toContain(sim.secretMarker);
      const one = await call(t.url, 'POST', '/graphql', {
        headers: { ...JSON_CT, ...bearer(t.adminToken) },
        body: gqlBody(`{ cluster(id: "${victim.id}") { kubeconfig } }`),
      });
      expect(one.json.data.cluster.kubeconfig).toContain(sim.secretMarker);
    });

    it('C1 never carries a kubeconfig, even for an admin', async ({ expect }) => {
      const c1 = await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: bearer(t.adminToken) });
      expect(c1.status).toBe(200);
      expect(c1.json.data.clusters.every((c: any) => !('kubeconfig' in c))).toBe(true);
      for (const s of [sim.secretMarker, sim.kubeconfigBase64, sim.kubeconfigYaml.slice(0, 60)]) expect(c1.text).not.toContain(s);
    });

    it('list responses never carry kubeconfigs, even for an admin (DESIGN: "never in list responses"; clusters is documented "Never includes kubeconfigs")', async ({
      expect,
    }) => {
      const list = await call(t.url, 'POST', '/graphql', {
        headers: { ...JSON_CT, ...bearer(t.adminToken) },
        body: gqlBody('{ clusters { items { id kubeconfig } } }'),
      });
      expect(list.json.errors).toBeUndefined();
      expect(list.text).not.toContain(sim.secretMarker);
      expect(list.json.data.clusters.items.map((c: { kubeconfig: string | null }) => c.kubeconfig)).toEqual(
        list.json.data.clusters.items.map(() => null),
      );
    });
  });
});
