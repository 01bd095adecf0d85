import { describe, it } from 'vitest';
import { grant, tokenFor, uniqueSubject } from './support/access-fixtures.js';
import { testDrivers } from './support/databases.js';
import { signToken } from '../src/auth/jwt.js';
import { TEST_JWT_SECRET, type TestGateway, uniqueName, useTestGateway } from './support/gateway.js';
import { useReachableCluster } from './support/suite-fixtures.js';

/**
 * The access model over REST (issue 13 item 3): a cluster the caller holds no role on does not exist for it on any
 * contract endpoint (404 exactly as for a missing id, never 403); VIEWER reads and tests; cluster ADMIN (by grant)
 * updates and deletes but never creates; grants are managed by cluster admins and take effect at once.
 */
const B = '/api/v1/k8s/clusters';

async function register(t: TestGateway, kubeconfigBase64: string, extra: Record<string, unknown> = {}): Promise<number> {
  const res = await t.rest('POST', B, { body: { name: uniqueName('acc'), kubeconfig: kubeconfigBase64, ...extra } });
  if (res.status !== 201) throw new Error(`C3 failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.id;
}

/** The contract endpoints that act on one cluster, with what a caller without a role must get for each. */
const perCluster = (id: number | string): [string, string, string, unknown][] => [
  ['C2', 'GET', `${B}/${id}`, undefined],
  ['C4', 'PUT', `${B}/${id}`, { enabled: true }],
  ['C5', 'DELETE', `${B}/${id}`, undefined],
  ['C6', 'POST', `${B}/${id}/test-connection`, undefined],
  ['C7', 'POST', `${B}/${id}/prometheus/rediscover`, undefined],
  ['grants list', 'GET', `${B}/${id}/grants`, undefined],
  ['grant', 'POST', `${B}/${id}/grants`, { subject: 'x', subject_kind: 'user', role: 'admin' }],
];

describe.each(testDrivers())('per-cluster access over REST on %s', { concurrent: true }, (driver) => {
  describe('DEFAULT_CLUSTER_ROLE=none', { concurrent: false }, () => {
    const t = useTestGateway(driver, { DEFAULT_CLUSTER_ROLE: 'none' }, { healthMonitor: false });
    const sim = useReachableCluster();

    it('a cluster without a role answers 404 like a missing id on C1, C2, C4–C7 and grants; nothing is listed or counted', async ({ expect }) => {
      const hidden = await register(t, sim.kubeconfigBase64);
      const nobody = tokenFor(uniqueSubject('nobody'));
      const c1 = await t.rest('GET', B, { token: nobody });
      expect(c1.status).toBe(200);
      expect(c1.body.data).toEqual({ clusters: [], total: 0 });
      for (const [label, method, path, body] of perCluster(hidden)) {
        const res = await t.rest(method, path, { token: nobody, body });
        const missing = await t.rest(method, path.replace(`/${hidden}`, '/987654'), { token: nobody, body });
        expect.soft(res.status, label).toBe(404);
        expect.soft(res.body.message, label).toBe(`cluster ${hidden} not found`);
        expect.soft(missing.body.message.replace('987654', String(hidden)), `${label}: same words as a missing id`).toBe(res.body.message);
      }
      // Nothing above changed the cluster.
      expect((await t.rest('GET', `${B}/${hidden}`)).body.data.enabled).toBe(true);
    });

    it('VIEWER reads, tests and rediscovers; cannot update, delete or manage grants (403); sees only its clusters', async ({ expect }) => {
      const [mine, other] = [await register(t, sim.kubeconfigBase64), await register(t, sim.kubeconfigBase64)];
      const viewer = uniqueSubject('viewer');
      await grant(t, mine, viewer, 'viewer');
      const token = tokenFor(viewer);
      const c1 = await t.rest('GET', B, { token });
      expect(c1.body.data.clusters.map((c: { id: number }) => c.id)).toEqual([mine]);
      expect(c1.body.data.total).toBe(1);
      const c2 = await t.rest('GET', `${B}/${mine}`, { token });
      expect(c2.status).toBe(200);
      expect('kubeconfig' in c2.body.data).toBe(false);
      expect((await t.rest('POST', `${B}/${mine}/test-connection`, { token })).status).toBe(200);
      expect((await t.rest('POST', `${B}/${mine}/prometheus/rediscover`, { token })).status).not.toBe(404);
      for (const [label, method, path, body] of perCluster(mine).filter(([l]) => ['C4', 'C5', 'grants list', 'grant'].includes(l))) {
        const res = await t.rest(method, path, { token, body });
        expect.soft(res.status, label).toBe(403);
        expect.soft(res.body.message, label).toMatch(/admin role on cluster/);
      }
      expect((await t.rest('GET', `${B}/${other}`, { token })).status).toBe(404);
    });

    it('a cluster ADMIN by grant updates and deletes its cluster and manages its grants, but cannot create clusters', async ({ expect }) => {
      const [mine, doomed] = [await register(t, sim.kubeconfigBase64), await register(t, sim.kubeconfigBase64)];
      const owner = uniqueSubject('owner');
      await grant(t, mine, owner, 'admin');
      await grant(t, doomed, owner, 'admin');
      const token = tokenFor(owner);
      const renamed = uniqueName('by-owner');
      const c4 = await t.rest('PUT', `${B}/${mine}`, { token, body: { name: renamed } });
      expect(c4.status).toBe(200);
      expect(c4.body.data.name).toBe(renamed);
      // The stored credential stays with global admins: a cluster admin's C2 carries none.
      expect('kubeconfig' in (await t.rest('GET', `${B}/${mine}`, { token })).body.data).toBe(false);
      expect((await t.rest('DELETE', `${B}/${doomed}`, { token })).status).toBe(200);
      expect((await t.rest('GET', `${B}/${doomed}`)).status).toBe(404);
      const c3 = await t.rest('POST', B, { token, body: { name: uniqueName('by-owner'), kubeconfig: sim.kubeconfigBase64 } });
      expect(c3.status).toBe(403);
      const friend = uniqueSubject('friend');
      const g = await grant(t, mine, friend, 'viewer', 'user', token);
      expect(g).toMatchObject({ cluster_id: mine, subject: friend, subject_kind: 'user', role: 'viewer' });
      const list = await t.rest('GET', `${B}/${mine}/grants`, { token });
      expect(list.body.data.grants.map((x: { subject: string }) => x.subject).sort()).toEqual([friend, owner].sort());
      expect(list.body.data.grants.find((x: { subject: string }) => x.subject === friend).created_by).toBe(owner);
    });

    it('group grants apply to members; the highest of user, group and default roles wins', async ({ expect }) => {
      const id = await register(t, sim.kubeconfigBase64);
      const group = uniqueSubject('team');
      const member = uniqueSubject('member');
      await grant(t, id, member, 'viewer');
      await grant(t, id, group, 'admin', 'group');
      expect((await t.rest('PUT', `${B}/${id}`, { token: tokenFor(member, [group]), body: { enabled: true } })).status).toBe(200);
      // The same user without the group claim is a viewer only; another member of the group is an admin.
      expect((await t.rest('PUT', `${B}/${id}`, { token: tokenFor(member), body: { enabled: true } })).status).toBe(403);
      expect(
        (await t.rest('PUT', `${B}/${id}`, { token: tokenFor(uniqueSubject('other'), ['unrelated', group]), body: { enabled: true } })).status,
      ).toBe(200);
      // A group claim that is not an array of strings is no group at all.
      for (const groups of [group, [group, 5], { 0: group }]) {
        const odd = signToken(TEST_JWT_SECRET, { sub: uniqueSubject('odd'), groups } as unknown as Parameters<typeof signToken>[1]);
        expect.soft((await t.rest('GET', `${B}/${id}`, { token: odd })).status, JSON.stringify(groups)).toBe(404);
      }
      // A user named like the group is not a member of it.
      expect((await t.rest('GET', `${B}/${id}`, { token: tokenFor(group) })).status).toBe(404);
    });

    it('granting again changes the role in place (one row); revoking removes access at once', async ({ expect }) => {
      const id = await register(t, sim.kubeconfigBase64);
      const who = uniqueSubject('flip');
      const first = await grant(t, id, who, 'viewer');
      const second = await grant(t, id, who, 'editor');
      expect(second.id).toBe(first.id);
      expect(second.role).toBe('editor');
      const list = await t.rest('GET', `${B}/${id}/grants`);
      expect(list.body.data.grants.filter((g: { subject: string }) => g.subject === who)).toHaveLength(1);
      const token = tokenFor(who);
      expect((await t.rest('GET', `${B}/${id}`, { token })).status).toBe(200);
      // The grant id under another cluster's path does not exist.
      const other = await register(t, sim.kubeconfigBase64);
      expect((await t.rest('DELETE', `${B}/${other}/grants/${first.id}`)).status).toBe(404);
      expect((await t.rest('DELETE', `${B}/${id}/grants/${first.id}`)).status).toBe(200);
      expect((await t.rest('GET', `${B}/${id}`, { token })).status).toBe(404);
      expect((await t.rest('GET', B, { token })).body.data.total).toBe(0);
      expect((await t.rest('DELETE', `${B}/${id}/grants/${first.id}`)).status).toBe(404);
    });

    it('bad grant input is a 400 naming the field', async ({ expect }) => {
      const id = await register(t, sim.kubeconfigBase64);
      const cases: [unknown, string][] = [
        [{ subject: 'a', subject_kind: 'team', role: 'viewer' }, 'subject_kind'],
        [{ subject: 'a', subject_kind: 'user', role: 'owner' }, 'role'],
        [{ subject: 'a', subject_kind: 'user', role: 'VIEWER' }, 'role'],
        [{ subject: '   ', subject_kind: 'user', role: 'viewer' }, 'subject'],
        [{ subject: 'x'.repeat(257), subject_kind: 'user', role: 'viewer' }, 'subject'],
        [{ subject: 'a\u0000b', subject_kind: 'user', role: 'viewer' }, 'subject'],
        [{ subject: 42, subject_kind: 'user', role: 'viewer' }, 'subject'],
        [{ subject_kind: 'user', role: 'viewer' }, 'subject'],
        [{ subject: 'a', subject_kind: 'user', role: 'viewer', extra: 1 }, 'body'],
      ];
      for (const [body, field] of cases) {
        const res = await t.rest('POST', `${B}/${id}/grants`, { body });
        expect.soft(res.status, JSON.stringify(body)).toBe(400);
        expect.soft(res.body.field, JSON.stringify(body)).toBe(field);
      }
      expect((await t.rest('POST', `${B}/abc/grants`, { body: { subject: 'a', subject_kind: 'user', role: 'viewer' } })).body.field).toBe('id');
      expect((await t.rest('DELETE', `${B}/${id}/grants/abc`)).body.field).toBe('grant_id');
      expect((await t.rest('GET', `${B}/${id}/grants`)).body.data.grants).toEqual([]);
    });

    it('impersonate round-trips through C3, C2, C4 and C1; a non-boolean is a 400 naming it', async ({ expect }) => {
      const id = await register(t, sim.kubeconfigBase64, { impersonate: true });
      expect((await t.rest('GET', `${B}/${id}`)).body.data.impersonate).toBe(true);
      expect((await t.rest('PUT', `${B}/${id}`, { body: { impersonate: false } })).body.data.impersonate).toBe(false);
      expect((await t.rest('GET', B)).body.data.clusters.find((c: { id: number }) => c.id === id).impersonate).toBe(false);
      const bad = await t.rest('PUT', `${B}/${id}`, { body: { impersonate: 'yes' } });
      expect(bad.status).toBe(400);
      expect(bad.body.field).toBe('impersonate');
      expect((await t.rest('GET', `${B}/${await register(t, sim.kubeconfigBase64)}`)).body.data.impersonate).toBe(false);
    });
  });

  describe('DEFAULT_CLUSTER_ROLE=viewer (the default)', { concurrent: false }, () => {
    const t = useTestGateway(driver, {}, { healthMonitor: false });
    const sim = useReachableCluster();

    it('every valid token sees and tests every cluster, as the contract says; grants raise the role above VIEWER', async ({ expect }) => {
      const id = await register(t, sim.kubeconfigBase64);
      const anyone = tokenFor(uniqueSubject('anyone'));
      const c1 = await t.rest('GET', B, { token: anyone });
      expect(c1.body.data.clusters.map((c: { id: number }) => c.id)).toContain(id);
      expect(c1.body.data.total).toBe(c1.body.data.clusters.length);
      expect((await t.rest('GET', `${B}/${id}`, { token: anyone })).status).toBe(200);
      expect((await t.rest('POST', `${B}/${id}/test-connection`, { token: anyone })).status).toBe(200);
      expect((await t.rest('PUT', `${B}/${id}`, { token: anyone, body: { enabled: true } })).status).toBe(403);
      const promoted = uniqueSubject('promoted');
      await grant(t, id, promoted, 'admin');
      expect((await t.rest('PUT', `${B}/${id}`, { token: tokenFor(promoted), body: { enabled: true } })).status).toBe(200);
      // Revoking leaves the default: a viewer again.
      const grants = (await t.rest('GET', `${B}/${id}/grants`)).body.data.grants as { id: number; subject: string }[];
      await t.rest('DELETE', `${B}/${id}/grants/${grants.find((g) => g.subject === promoted)!.id}`);
      expect((await t.rest('PUT', `${B}/${id}`, { token: tokenFor(promoted), body: { enabled: true } })).status).toBe(403);
      expect((await t.rest('GET', `${B}/${id}`, { token: tokenFor(promoted) })).status).toBe(200);
    });

    it('grants of a deleted cluster stop applying: its former admin is a default VIEWER of a missing id', async ({ expect }) => {
      const id = await register(t, sim.kubeconfigBase64);
      const owner = uniqueSubject('gone');
      const g = await grant(t, id, owner, 'admin');
      expect((await t.rest('DELETE', `${B}/${id}`)).status).toBe(200);
      // Reads of a missing id are 404; admin operations stop at the role check (403), which a live admin grant
      // would have passed (and then met the 404).
      for (const [label, method, path, body] of perCluster(id)) {
        expect
          .soft((await t.rest(method, path, { token: tokenFor(owner), body })).status, label)
          .toBe(['C2', 'C6', 'C7'].includes(label) ? 404 : 403);
      }
      expect((await t.rest('DELETE', `${B}/${id}/grants/${g.id}`)).status).toBe(404);
    });
  });
});
