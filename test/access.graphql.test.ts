import { describe, it } from 'vitest';
import { grant, tokenFor, uniqueSubject } from './support/access-fixtures.js';
import { testDrivers } from './support/databases.js';
import { type TestGateway, uniqueName, useTestGateway } from './support/gateway.js';
import { useReachableCluster } from './support/suite-fixtures.js';

/**
 * The access model over GraphQL (issue 13 items 3 and 4): visibility in `clusters` (items and total), `cluster`,
 * `currentCluster` and the cluster mutations; `myRole`; `grants`; grant management; `impersonate`; and the shared
 * list-answer cache, which must never hand one caller's list to another.
 */
const MINE = 'query($id: ID!) { cluster(id: $id) { id myRole } }';

async function create(t: TestGateway, kubeconfig: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await t.gql('mutation($i: CreateClusterInput!) { createCluster(input: $i) { id impersonate } }', {
    i: { name: uniqueName('gql'), kubeconfig, skipConnectionTest: true, ...extra },
  });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data.createCluster.id;
}

/** How many GraphQL requests the cached-read lane answered, from the gateway's own /metrics. */
async function laneHits(t: TestGateway): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  return Number(/^kube_gateway_cached_reads_total\{route="\/graphql"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

describe.each(testDrivers())('per-cluster access over GraphQL on %s', { concurrent: true }, (driver) => {
  describe('DEFAULT_CLUSTER_ROLE=none', { concurrent: false }, () => {
    const t = useTestGateway(driver, { DEFAULT_CLUSTER_ROLE: 'none' }, { healthMonitor: false });
    const sim = useReachableCluster();

    it('a cluster without a role is NOT_FOUND in every query and mutation, and absent from clusters and total', async ({ expect }) => {
      const hidden = await create(t, sim.kubeconfigYaml, { isDefault: true });
      const token = tokenFor(uniqueSubject('nobody'));
      const list = await t.gql('{ clusters { total items { id } } }', undefined, { token });
      expect(list.data.clusters).toEqual({ total: 0, items: [] });
      const ops: [string, string][] = [
        ['cluster', '{ cluster(id: "%") { id } }'],
        ['updateCluster', 'mutation { updateCluster(id: "%", input: { enabled: true }) { id } }'],
        ['deleteCluster', 'mutation { deleteCluster(id: "%") }'],
        ['testClusterConnection', 'mutation { testClusterConnection(id: "%") { connected } }'],
        ['rediscoverPrometheus', 'mutation { rediscoverPrometheus(id: "%") { state } }'],
        ['grantClusterAccess', 'mutation { grantClusterAccess(input: { clusterId: "%", subject: "me", subjectKind: USER, role: ADMIN }) { id } }'],
      ];
      for (const [label, query] of ops) {
        const res = await t.gql(query.replace('%', hidden), undefined, { token });
        expect.soft(res.errors?.[0]?.extensions?.code, label).toBe('NOT_FOUND');
        expect.soft(res.errors?.[0]?.message, label).toBe(`cluster ${hidden} not found`);
      }
      const byId = await t.gql('{ currentCluster { id } }', undefined, { token, headers: { 'x-cluster-id': hidden } });
      expect(byId.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const name = (await t.gql(`{ cluster(id: "${hidden}") { name } }`)).data.cluster.name as string;
      const byName = await t.gql('{ currentCluster { id } }', undefined, { token, headers: { 'x-cluster-name': name } });
      expect(byName.errors?.[0]?.message).toBe(`cluster "${name}" not found`);
      // The default cluster it cannot see is no default at all.
      expect((await t.gql('{ currentCluster { id } }', undefined, { token })).data.currentCluster).toBeNull();
      expect((await t.gql('{ currentCluster { id } }')).data.currentCluster.id).toBe(hidden);
    });

    it('myRole is the highest of user and group grants; ADMIN for global admins; grants only for cluster admins', async ({ expect }) => {
      const id = await create(t, sim.kubeconfigYaml);
      const [viewer, editor, group] = [uniqueSubject('v'), uniqueSubject('e'), uniqueSubject('g')];
      await grant(t, Number(id), viewer, 'viewer');
      await grant(t, Number(id), editor, 'viewer');
      await grant(t, Number(id), group, 'editor', 'group');
      const role = async (token?: string) => (await t.gql(MINE, { id }, { token })).data?.cluster?.myRole;
      expect(await role(tokenFor(viewer))).toBe('VIEWER');
      expect(await role(tokenFor(editor, [group]))).toBe('EDITOR');
      expect(await role()).toBe('ADMIN');
      const owner = uniqueSubject('o');
      await grant(t, Number(id), owner, 'admin', 'user');
      expect(await role(tokenFor(owner))).toBe('ADMIN');
      const grantsOf = async (token: string) =>
        (await t.gql('query($id: ID!) { cluster(id: $id) { grants { subject subjectKind role createdBy } } }', { id }, { token })).data.cluster
          .grants;
      expect(await grantsOf(tokenFor(editor, [group]))).toEqual([]);
      expect((await grantsOf(tokenFor(owner))).map((g: { subject: string }) => g.subject).sort()).toEqual([viewer, editor, group, owner].sort());
      expect((await grantsOf(tokenFor(owner))).find((g: { subject: string }) => g.subject === group)).toMatchObject({
        subjectKind: 'GROUP',
        role: 'EDITOR',
        createdBy: 'admin-alice',
      });
      // In a list, each item carries the caller's role on it.
      const items = (await t.gql('{ clusters { items { id myRole } } }', undefined, { token: tokenFor(viewer) })).data.clusters.items;
      expect(items).toEqual([{ id, myRole: 'VIEWER' }]);
    });

    it('grantClusterAccess upserts and revokeClusterAccess removes access at once; viewers and editors are FORBIDDEN', async ({ expect }) => {
      const id = await create(t, sim.kubeconfigYaml);
      const who = uniqueSubject('w');
      const GRANT = 'mutation($i: GrantClusterAccessInput!) { grantClusterAccess(input: $i) { id clusterId subject subjectKind role } }';
      const first = await t.gql(GRANT, { i: { clusterId: id, subject: who, subjectKind: 'USER', role: 'EDITOR' } });
      expect(first.data.grantClusterAccess).toMatchObject({ clusterId: id, subject: who, subjectKind: 'USER', role: 'EDITOR' });
      const again = await t.gql(GRANT, { i: { clusterId: id, subject: who, subjectKind: 'USER', role: 'VIEWER' } });
      expect(again.data.grantClusterAccess.id).toBe(first.data.grantClusterAccess.id);
      const token = tokenFor(who);
      expect((await t.gql(MINE, { id }, { token })).data.cluster.myRole).toBe('VIEWER');
      const refused = await t.gql(GRANT, { i: { clusterId: id, subject: who, subjectKind: 'USER', role: 'ADMIN' } }, { token });
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const revokeByViewer = await t.gql('mutation($g: ID!) { revokeClusterAccess(id: $g) }', { g: first.data.grantClusterAccess.id }, { token });
      expect(revokeByViewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const bad = await t.gql(GRANT, { i: { clusterId: id, subject: '', subjectKind: 'USER', role: 'VIEWER' } });
      expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'subject' });
      const revoked = await t.gql('mutation($g: ID!) { revokeClusterAccess(id: $g) }', { g: first.data.grantClusterAccess.id });
      expect(revoked.data.revokeClusterAccess).toBe(true);
      expect((await t.gql(MINE, { id }, { token })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      // A grant id on a cluster the caller cannot see is "not found" like any other.
      const stranger = await t.gql('mutation($g: ID!) { revokeClusterAccess(id: $g) }', { g: first.data.grantClusterAccess.id }, { token });
      expect(stranger.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });

    it('a cluster ADMIN by grant may update and delete through GraphQL but not create', async ({ expect }) => {
      const id = await create(t, sim.kubeconfigYaml);
      const owner = uniqueSubject('owner');
      await grant(t, Number(id), owner, 'admin');
      const token = tokenFor(owner);
      const updated = await t.gql(
        'mutation($id: ID!) { updateCluster(id: $id, input: { impersonate: true }) { impersonate myRole kubeconfig } }',
        { id },
        { token },
      );
      expect(updated.errors).toBeUndefined();
      expect(updated.data.updateCluster).toEqual({ impersonate: true, myRole: 'ADMIN', kubeconfig: null });
      const created = await t.gql(
        'mutation($k: String!) { createCluster(input: { name: "nope", kubeconfig: $k, skipConnectionTest: true }) { id } }',
        { k: sim.kubeconfigYaml },
        { token },
      );
      expect(created.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await t.gql('mutation($id: ID!) { deleteCluster(id: $id) }', { id }, { token })).data.deleteCluster).toBe(true);
    });

    it('the shared list answer is never served to a caller who sees fewer clusters', async ({ expect }) => {
      const [a, b] = [await create(t, sim.kubeconfigYaml), await create(t, sim.kubeconfigYaml)];
      const viewer = uniqueSubject('lane');
      await grant(t, Number(a), viewer, 'viewer');
      const LIST = '{ clusters { total items { id name } } } # access lane';
      await t.gql(LIST);
      const admin = await t.gql(LIST);
      expect(admin.data.clusters.items.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining([a, b]));
      const before = await laneHits(t);
      const mine = await t.gql(LIST, undefined, { token: tokenFor(viewer) });
      expect(mine.data.clusters).toEqual({ total: 1, items: [expect.objectContaining({ id: a })] });
      expect(await laneHits(t)).toBe(before);
    });
  });

  describe('DEFAULT_CLUSTER_ROLE=viewer (the default)', { concurrent: false }, () => {
    const t = useTestGateway(driver, {}, { healthMonitor: false });
    const sim = useReachableCluster();

    it('every token is a VIEWER of every cluster; impersonate round-trips through createCluster and updateCluster', async ({ expect }) => {
      const id = await create(t, sim.kubeconfigYaml, { impersonate: true });
      expect((await t.gql(MINE, { id }, { token: tokenFor(uniqueSubject('any')) })).data.cluster.myRole).toBe('VIEWER');
      expect((await t.gql('query($id: ID!) { cluster(id: $id) { impersonate } }', { id })).data.cluster.impersonate).toBe(true);
      const off = await t.gql('mutation($id: ID!) { updateCluster(id: $id, input: { impersonate: false }) { impersonate } }', { id });
      expect(off.data.updateCluster.impersonate).toBe(false);
    });

    it('lists are shared between callers who see everything, but myRole (a per-caller field) is always executed', async ({ expect }) => {
      await create(t, sim.kubeconfigYaml);
      const user = tokenFor(uniqueSubject('shared'));
      const LIST = '{ clusters { total items { id name } } } # shared';
      await t.gql(LIST);
      let hits = await laneHits(t);
      expect((await t.gql(LIST, undefined, { token: user })).data.clusters.total).toBeGreaterThan(0);
      expect(await laneHits(t)).toBe(hits + 1);
      const ROLES = '{ clusters { items { id myRole } } }';
      await t.gql(ROLES);
      hits = await laneHits(t);
      const asAdmin = await t.gql(ROLES);
      const asUser = await t.gql(ROLES, undefined, { token: user });
      expect(await laneHits(t)).toBe(hits);
      expect(new Set(asAdmin.data.clusters.items.map((c: { myRole: string }) => c.myRole))).toEqual(new Set(['ADMIN']));
      expect(new Set(asUser.data.clusters.items.map((c: { myRole: string }) => c.myRole))).toEqual(new Set(['VIEWER']));
    });
  });
});
