import { describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { startTestGateway, uniqueName } from './support/gateway.js';
import { CREATE, CURRENT, DELETE, GET, LIST, useGraphqlRegistry } from './support/graphql-registry.js';

/**
 * GraphQL reads over HTTP: clusters (items, total, order, never a kubeconfig), cluster(id) (kubeconfig for admins
 * only, NOT_FOUND and BAD_USER_INPUT), and currentCluster with and without the X-Cluster-Name / X-Cluster-ID selectors.
 */

describe.each(testDrivers())('GraphQL cluster registry over HTTP on %s', (driver) => {
  const { t, cluster, create } = useGraphqlRegistry(driver);

  it('clusters lists items and total; kubeconfig is never part of a list, not even for admins', async () => {
    const a = await create();
    const b = await create();
    const asAdmin = await t.gql(LIST);
    expect(asAdmin.errors).toBeUndefined();
    const items = asAdmin.data.clusters.items as { id: string; kubeconfig: string | null; healthStatus: string }[];
    expect(asAdmin.data.clusters.total).toBe(items.length);
    expect(items.map((c) => c.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    for (const c of items) expect(c.kubeconfig).toBeNull();
    expect(JSON.stringify(asAdmin)).not.toContain(cluster.secretMarker);
    for (const c of items) expect(c.healthStatus).toMatch(/^[A-Z]+$/);

    const asUser = await t.gql(LIST, {}, { token: t.userToken });
    expect(asUser.errors).toBeUndefined();
    const userItems = asUser.data.clusters.items as { id: string; kubeconfig: string | null }[];
    expect(userItems.map((c) => c.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    for (const c of userItems) expect(c.kubeconfig).toBeNull();
    expect(JSON.stringify(asUser)).not.toContain(cluster.secretMarker);
  });

  it('ids are listed oldest first', async () => {
    const a = await create();
    const b = await create();
    const ids = ((await t.gql(LIST)).data.clusters.items as { id: string }[]).map((c) => Number(c.id));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(ids.indexOf(Number(a.id))).toBeLessThan(ids.indexOf(Number(b.id)));
  });

  it('cluster(id) returns the cluster; kubeconfig only for admins', async () => {
    const c = await create();
    const asAdmin = await t.gql(GET, { id: c.id });
    expect(asAdmin.errors).toBeUndefined();
    expect(asAdmin.data.cluster).toMatchObject({ id: c.id, name: c.name, kubeconfig: cluster.kubeconfigYaml });
    // The background health monitor may already have probed it; whatever it says is an upper-case enum value.
    expect(['UNKNOWN', 'HEALTHY', 'WARNING', 'ERROR', 'UNAVAILABLE']).toContain(asAdmin.data.cluster.healthStatus);
    const asUser = await t.gql(GET, { id: c.id }, { token: t.userToken });
    expect(asUser.errors).toBeUndefined();
    expect(asUser.data.cluster).toMatchObject({ id: c.id, name: c.name, kubeconfig: null });
  });

  it('cluster(id) of an unknown id → NOT_FOUND; a malformed id → BAD_USER_INPUT with field id', async () => {
    const missing = await t.gql(GET, { id: '999999' });
    expect(missing.data.cluster).toBeNull();
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const huge = await t.gql(GET, { id: '99999999999' });
    expect(huge.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    for (const bad of ['abc', '0', '-1', '1.5', '']) {
      const res = await t.gql(GET, { id: bad });
      expect(res.errors?.[0]?.extensions?.code, bad).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.field, bad).toBe('id');
    }
  });

  describe('currentCluster', () => {
    it('is null while no cluster exists; the first cluster becomes the default and so the current one', async () => {
      const fresh = await startTestGateway(driver);
      try {
        const none = await fresh.gql(CURRENT, {}, { token: fresh.userToken });
        expect(none.errors).toBeUndefined();
        expect(none.data.currentCluster).toBeNull();
        // Issue 14 (DESIGN "Default cluster"): the first live cluster becomes the default, so it is current.
        const solo = (await fresh.gql(CREATE, { input: { name: uniqueName('solo'), kubeconfig: cluster.kubeconfigYaml } })).data.createCluster;
        expect((await fresh.gql(CURRENT)).data.currentCluster).toMatchObject({ id: solo.id, isDefault: true });
      } finally {
        await fresh.close();
      }
    });

    it('is the default cluster when no header names one', async () => {
      const d = await create({ isDefault: true });
      const res = await t.gql(CURRENT, {}, { token: t.userToken });
      expect(res.errors).toBeUndefined();
      expect(res.data.currentCluster).toEqual({ id: d.id, name: d.name, isDefault: true });
    });

    it('X-Cluster-Name selects a cluster by name, case-insensitively', async () => {
      await create({ isDefault: true });
      const c = await create({ name: uniqueName('Named') });
      for (const header of [c.name, c.name.toUpperCase(), c.name.toLowerCase()]) {
        const res = await t.gql(CURRENT, {}, { token: t.userToken, headers: { 'X-Cluster-Name': header } });
        expect(res.errors, header).toBeUndefined();
        expect(res.data.currentCluster).toMatchObject({ id: c.id, name: c.name, isDefault: false });
      }
    });

    it('X-Cluster-Name accepts a percent-encoded non-ASCII name', async () => {
      const c = await create({ name: uniqueName('集群') });
      const res = await t.gql(CURRENT, {}, { headers: { 'X-Cluster-Name': encodeURIComponent(c.name) } });
      expect(res.errors).toBeUndefined();
      expect(res.data.currentCluster).toMatchObject({ id: c.id, name: c.name });
    });

    it('X-Cluster-ID selects a cluster by id', async () => {
      const c = await create();
      const res = await t.gql(CURRENT, {}, { token: t.userToken, headers: { 'X-Cluster-ID': c.id } });
      expect(res.errors).toBeUndefined();
      expect(res.data.currentCluster).toMatchObject({ id: c.id, name: c.name });
    });

    it('an unknown name or id → NOT_FOUND; a malformed id → BAD_USER_INPUT', async () => {
      await create({ isDefault: true });
      const byName = await t.gql(CURRENT, {}, { headers: { 'X-Cluster-Name': uniqueName('nope') } });
      expect(byName.data.currentCluster).toBeNull();
      expect(byName.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const byId = await t.gql(CURRENT, {}, { headers: { 'X-Cluster-ID': '999999' } });
      expect(byId.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const badId = await t.gql(CURRENT, {}, { headers: { 'X-Cluster-ID': 'abc' } });
      expect(badId.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('a deleted cluster cannot be selected by name', async () => {
      const c = await create();
      await t.gql(DELETE, { id: c.id });
      const res = await t.gql(CURRENT, {}, { headers: { 'X-Cluster-Name': c.name } });
      expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });
  });
});
