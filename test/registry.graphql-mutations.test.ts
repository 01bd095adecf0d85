import { describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { uniqueName } from './support/gateway.js';
import { CREATE, CURRENT, DELETE, GET, ISO, LIST, UPDATE, useGraphqlRegistry } from './support/graphql-registry.js';
import { kubeconfigYaml } from './support/kubeconfigs.js';
import { reachableCluster } from './support/reachable.js';

/**
 * GraphQL writes over HTTP: createCluster (YAML or base64 kubeconfig, connection test unless skipped), updateCluster
 * (name, enabled, default, Prometheus URL, kubeconfig, explicit nulls), deleteCluster, and unknown or malformed ids.
 */

describe.each(testDrivers())('GraphQL cluster registry over HTTP on %s', (driver) => {
  const { t, cluster, create, defaults } = useGraphqlRegistry(driver);

  it('createCluster returns the new cluster with upper-case enums and the kubeconfig for admins', async () => {
    const name = uniqueName('create');
    const res = await t.gql(CREATE, { input: { name, kubeconfig: cluster.kubeconfigYaml, isDefault: false, enabled: true } });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    const c = res.data.createCluster;
    expect(c).toMatchObject({
      name,
      // The suite's first cluster: it becomes the default whatever isDefault says (issue 14, DESIGN "Default cluster").
      isDefault: true,
      enabled: true,
      healthStatus: 'UNKNOWN',
      prometheusSource: 'NONE',
      prometheusUrl: null,
      kubeconfig: cluster.kubeconfigYaml,
    });
    expect(Number.isInteger(c.nodeCount)).toBe(true);
    expect(Number.isInteger(c.podCount)).toBe(true);
    expect(c.id).toMatch(/^\d+$/);
    expect(c.createdAt).toMatch(ISO);
    expect(c.updatedAt).toMatch(ISO);
  });

  it('accepts the kubeconfig as raw YAML and as base64, storing the YAML either way', async () => {
    const fromYaml = await create({ kubeconfig: cluster.kubeconfigYaml });
    const fromBase64 = await create({ kubeconfig: cluster.kubeconfigBase64 });
    for (const c of [fromYaml, fromBase64]) {
      const got = await t.gql(GET, { id: c.id });
      expect(got.errors).toBeUndefined();
      expect(got.data.cluster.kubeconfig).toBe(cluster.kubeconfigYaml);
    }
  });

  it('createCluster with isDefault moves the default; updateCluster isDefault moves it again', async () => {
    const a = await create({ isDefault: true });
    expect(a.isDefault).toBe(true);
    expect(await defaults()).toEqual([a.id]);
    const b = await create({ isDefault: true });
    expect(await defaults()).toEqual([b.id]);
    const c = await create();
    const moved = await t.gql(UPDATE, { id: c.id, input: { isDefault: true } });
    expect(moved.errors).toBeUndefined();
    expect(moved.data.updateCluster).toMatchObject({ id: c.id, isDefault: true });
    expect(await defaults()).toEqual([c.id]);
    const current = await t.gql(CURRENT, {}, { token: t.userToken });
    expect(current.data.currentCluster).toMatchObject({ id: c.id, isDefault: true });
  });

  it('updateCluster changes name and enabled; prometheusUrl sets MANUAL and "" returns to NONE', async () => {
    const c = await create();
    const renamed = uniqueName('renamed');
    const r1 = await t.gql(UPDATE, { id: c.id, input: { name: renamed, enabled: false } });
    expect(r1.errors).toBeUndefined();
    expect(r1.data.updateCluster).toMatchObject({ id: c.id, name: renamed, enabled: false, healthStatus: 'UNKNOWN' });

    const manual = await t.gql(UPDATE, { id: c.id, input: { prometheusUrl: 'https://prometheus.example.com/' } });
    expect(manual.errors).toBeUndefined();
    expect(manual.data.updateCluster).toMatchObject({ prometheusUrl: 'https://prometheus.example.com', prometheusSource: 'MANUAL' });
    const back = await t.gql(UPDATE, { id: c.id, input: { prometheusUrl: '' } });
    expect(back.errors).toBeUndefined();
    expect(back.data.updateCluster).toMatchObject({ prometheusUrl: null, prometheusSource: 'NONE' });

    const bad = await t.gql(UPDATE, { id: c.id, input: { prometheusUrl: 'javascript:alert(1)' } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'prometheusUrl' });
    const after = await t.gql(GET, { id: c.id });
    expect(after.data.cluster).toMatchObject({ name: renamed, enabled: false, prometheusSource: 'NONE' });
  });

  it('updateCluster replaces the kubeconfig (YAML or base64)', async () => {
    const c = await create();
    const other = await reachableCluster();
    try {
      const r = await t.gql(UPDATE, { id: c.id, input: { kubeconfig: other.kubeconfigBase64 } });
      expect(r.errors).toBeUndefined();
      expect((await t.gql(GET, { id: c.id })).data.cluster.kubeconfig).toBe(other.kubeconfigYaml);
      const r2 = await t.gql(UPDATE, { id: c.id, input: { kubeconfig: cluster.kubeconfigYaml } });
      expect(r2.errors).toBeUndefined();
      expect((await t.gql(GET, { id: c.id })).data.cluster.kubeconfig).toBe(cluster.kubeconfigYaml);
    } finally {
      await other.close();
    }
  });

  it('createCluster tests the connection first (BAD_USER_INPUT on kubeconfig) unless skipConnectionTest', async () => {
    const unreachable = kubeconfigYaml({ server: 'https://127.0.0.1:1', user: { token: 'unreachable-token' } });
    const name = uniqueName('unreachable');
    const refused = await t.gql(CREATE, { input: { name, kubeconfig: unreachable } });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'kubeconfig' });
    const names = ((await t.gql(LIST)).data.clusters.items as { name: string }[]).map((c) => c.name);
    expect(names).not.toContain(name);
    const skipped = await t.gql(CREATE, { input: { name, kubeconfig: unreachable, skipConnectionTest: true } });
    expect(skipped.errors).toBeUndefined();
    expect(skipped.data.createCluster).toMatchObject({ name, healthStatus: 'UNKNOWN', kubeconfig: unreachable });
  });

  it('updateCluster with explicit nulls changes nothing', async () => {
    const c = await create();
    const r = await t.gql(UPDATE, { id: c.id, input: { name: null, kubeconfig: null, isDefault: null, enabled: null, prometheusUrl: null } });
    expect(r.errors).toBeUndefined();
    expect(r.data.updateCluster).toMatchObject({ name: c.name, enabled: true, prometheusSource: 'NONE' });
  });

  it('deleteCluster returns true; then cluster(id) → NOT_FOUND and the name is free', async () => {
    const c = await create({ isDefault: true });
    const del = await t.gql(DELETE, { id: c.id });
    expect(del.errors).toBeUndefined();
    expect(del.data.deleteCluster).toBe(true);
    const gone = await t.gql(GET, { id: c.id });
    expect(gone.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(gone.data.cluster).toBeNull();
    const again = await t.gql(DELETE, { id: c.id });
    expect(again.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = (await t.gql(LIST)).data.clusters.items as { id: string }[];
    expect(list.map((x) => x.id)).not.toContain(c.id);
    expect(await defaults()).not.toContain(c.id);
    const reuse = await create({ name: c.name });
    expect(reuse.id).not.toBe(c.id);
  });

  it('updateCluster / deleteCluster of unknown ids → NOT_FOUND, malformed ids → BAD_USER_INPUT', async () => {
    expect((await t.gql(UPDATE, { id: '999999', input: { enabled: true } })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await t.gql(DELETE, { id: '999999' })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await t.gql(UPDATE, { id: 'abc', input: { enabled: true } })).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'id',
    });
    expect((await t.gql(DELETE, { id: 'abc' })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });
});
