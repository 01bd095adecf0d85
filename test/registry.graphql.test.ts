import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  graphql,
  type GraphQLEnumType,
  type GraphQLInputObjectType,
  type GraphQLObjectType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isObjectType,
  printSchema,
} from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import type { RequestContext } from '../src/auth/principal.js';
import type { ClusterService } from '../src/clusters/cluster.service.js';
import type { ClusterView } from '../src/clusters/cluster.view.js';
import { buildGatewaySchema } from '../src/graphql/schema.js';
import { ClusterResolver } from '../src/resolvers/cluster.resolver.js';
import { testDrivers } from './support/databases.js';
import { startTestGateway, TEST_JWT_SECRET, uniqueName, useTestGateway } from './support/gateway.js';
import { b64, kubeconfigYaml } from './support/kubeconfigs.js';
import { reachableCluster } from './support/reachable.js';
import { useReachableCluster } from './support/suite-fixtures.js';

const CLUSTER_FIELDS = `id name isDefault enabled healthStatus healthMessage lastConnectedAt kubernetesVersion nodeCount readyNodeCount
  podCount prometheusUrl prometheusSource createdAt updatedAt`;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

const CREATE = `mutation Create($input: CreateClusterInput!) { createCluster(input: $input) { ${CLUSTER_FIELDS} kubeconfig } }`;
const UPDATE = `mutation Update($id: ID!, $input: UpdateClusterInput!) { updateCluster(id: $id, input: $input) { ${CLUSTER_FIELDS} } }`;
const DELETE = `mutation Delete($id: ID!) { deleteCluster(id: $id) }`;
const GET = `query Get($id: ID!) { cluster(id: $id) { ${CLUSTER_FIELDS} kubeconfig } }`;
const LIST = `{ clusters { total items { id name isDefault healthStatus prometheusSource kubeconfig } } }`;
const CURRENT = `{ currentCluster { id name isDefault } }`;

describe.each(testDrivers())('GraphQL cluster registry over HTTP on %s', (driver) => {
  const t = useTestGateway(driver);
  const cluster = useReachableCluster();

  /** Creates a cluster as admin through GraphQL and returns it (fails the test on errors). */
  const create = async (input: Record<string, unknown> = {}) => {
    const res = await t.gql(CREATE, { input: { name: uniqueName('gql'), kubeconfig: cluster.kubeconfigYaml, ...input } });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data.createCluster as { id: string; name: string; isDefault: boolean; [k: string]: unknown };
  };
  const defaults = async () => {
    const res = await t.gql(`{ clusters { items { id isDefault } } }`);
    return (res.data.clusters.items as { id: string; isDefault: boolean }[]).filter((c) => c.isDefault).map((c) => c.id);
  };

  it('createCluster returns the new cluster with upper-case enums and the kubeconfig for admins', async () => {
    const name = uniqueName('create');
    const res = await t.gql(CREATE, { input: { name, kubeconfig: cluster.kubeconfigYaml, isDefault: false, enabled: true } });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    const c = res.data.createCluster;
    expect(c).toMatchObject({
      name,
      isDefault: false,
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
    expect((await t.gql(UPDATE, { id: 'abc', input: { enabled: true } })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect((await t.gql(DELETE, { id: 'abc' })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });

  describe('currentCluster', () => {
    it('is null when there is no default and no selector header', async () => {
      const fresh = await startTestGateway(driver);
      try {
        const none = await fresh.gql(CURRENT, {}, { token: fresh.userToken });
        expect(none.errors).toBeUndefined();
        expect(none.data.currentCluster).toBeNull();
        // A non-default cluster does not become current by itself.
        await fresh.gql(CREATE, { input: { name: uniqueName('solo'), kubeconfig: cluster.kubeconfigYaml } });
        expect((await fresh.gql(CURRENT)).data.currentCluster).toBeNull();
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

  describe('errors', () => {
    it('UNAUTHENTICATED without a token, for every query and mutation', async () => {
      const c = await create();
      const ops: [string, Record<string, unknown>][] = [
        [LIST, {}],
        [GET, { id: c.id }],
        [CURRENT, {}],
        [CREATE, { input: { name: uniqueName(), kubeconfig: cluster.kubeconfigYaml } }],
        [UPDATE, { id: c.id, input: { enabled: false } }],
        [DELETE, { id: c.id }],
      ];
      for (const [query, variables] of ops) {
        const res = await t.gql(query, variables, { token: null });
        expect(res.errors?.[0]?.extensions?.code, query.slice(0, 40)).toBe('UNAUTHENTICATED');
      }
      // Nothing changed.
      expect((await t.gql(GET, { id: c.id })).data.cluster).toMatchObject({ enabled: true });
    });

    it('a bad, expired or foreign-key token → HTTP 401 and UNAUTHENTICATED', async () => {
      const expired = signToken(TEST_JWT_SECRET, { sub: 'x', role: 'admin' }, { expiresIn: '-1m' });
      const wrongKey = signToken('another-secret-that-is-long-enough-to-be-valid', { sub: 'x', role: 'admin' });
      for (const token of ['garbage', expired, wrongKey]) {
        const res = await t.gql(LIST, {}, { token });
        expect(res.status).toBe(401);
        expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        expect(res.data ?? null).toBeNull();
      }
      const exp = await t.gql(LIST, {}, { token: expired });
      expect(exp.errors?.[0]?.message).toMatch(/expired/);
      const malformedHeader = await t.gql(LIST, {}, { token: null, headers: { authorization: 'Basic dXNlcjpwdw==' } });
      expect(malformedHeader.status).toBe(401);
    });

    it('FORBIDDEN for users calling each mutation, and nothing changes', async () => {
      const c = await create();
      const user = { token: t.userToken };
      const created = await t.gql(CREATE, { input: { name: uniqueName('forbidden'), kubeconfig: cluster.kubeconfigYaml } }, user);
      expect(created.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(created.data).toBeNull();
      const updated = await t.gql(UPDATE, { id: c.id, input: { enabled: false, isDefault: true } }, user);
      expect(updated.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const deleted = await t.gql(DELETE, { id: c.id }, user);
      expect(deleted.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const after = await t.gql(GET, { id: c.id });
      expect(after.data.cluster).toMatchObject({ enabled: true, isDefault: false });
      const names = ((await t.gql(LIST)).data.clusters.items as { name: string }[]).map((x) => x.name);
      expect(names.some((n) => n.startsWith('forbidden-'))).toBe(false);
    });

    it('BAD_USER_INPUT with field name for a duplicate name (case-insensitive), on create and rename', async () => {
      const a = await create();
      const dup = await t.gql(CREATE, { input: { name: a.name.toUpperCase(), kubeconfig: cluster.kubeconfigYaml } });
      expect(dup.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      expect(dup.errors?.[0]?.message).toMatch(/already exists/);
      const b = await create();
      const rename = await t.gql(UPDATE, { id: b.id, input: { name: a.name } });
      expect(rename.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      expect((await t.gql(GET, { id: b.id })).data.cluster.name).toBe(b.name);
    });

    it('BAD_USER_INPUT with field name for empty, too long or invisible names', async () => {
      for (const name of ['', '   ', 'x'.repeat(101), 'a\u200bb']) {
        const res = await t.gql(CREATE, { input: { name, kubeconfig: cluster.kubeconfigYaml } });
        expect(res.errors?.[0]?.extensions, JSON.stringify(name)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      }
    });

    it('BAD_USER_INPUT naming the kubeconfig field for exec, file paths and broken YAML', async () => {
      const execYaml = kubeconfigYaml({ user: { exec: { command: '/bin/sh', args: ['-c', 'touch /tmp/pwned'] } } });
      const cases: [string, RegExp][] = [
        [execYaml, /^kubeconfig\.users/],
        [b64(execYaml), /^kubeconfig\.users/],
        [kubeconfigYaml({ user: { tokenFile: '/etc/shadow' } }), /^kubeconfig\.users.*tokenFile$/],
        [kubeconfigYaml({ cluster: { 'certificate-authority': '/etc/ca.crt' } }), /^kubeconfig\.clusters.*certificate-authority$/],
        [kubeconfigYaml({ server: 'ftp://x' }), /^kubeconfig\.clusters.*server$/],
        ['just: [a, list', /^kubeconfig$/],
        ['', /^kubeconfig$/],
      ];
      for (const [kubeconfig, field] of cases) {
        const name = uniqueName('badkc');
        const res = await t.gql(CREATE, { input: { name, kubeconfig } });
        expect(res.errors?.[0]?.extensions?.code, kubeconfig.slice(0, 60)).toBe('BAD_USER_INPUT');
        expect(res.errors?.[0]?.extensions?.field, kubeconfig.slice(0, 60)).toMatch(field);
      }
      const c = await create();
      const upd = await t.gql(UPDATE, { id: c.id, input: { kubeconfig: execYaml } });
      expect(upd.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(upd.errors?.[0]?.extensions?.field).toMatch(/^kubeconfig\.users/);
      expect((await t.gql(GET, { id: c.id })).data.cluster.kubeconfig).toBe(cluster.kubeconfigYaml);
    });

    it('error responses never echo the kubeconfig credential', async () => {
      const leaky = kubeconfigYaml({ user: { token: cluster.secretMarker, exec: { command: 'x' } } });
      const res = await t.gql(CREATE, { input: { name: uniqueName(), kubeconfig: leaky } });
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(res)).not.toContain(cluster.secretMarker);
    });
  });

  it('introspection works without a token', async () => {
    const res = await t.gql(`{ __schema { queryType { name } mutationType { name } } __type(name: "Cluster") { fields { name } } }`, {}, { token: null });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data.__schema).toEqual({ queryType: { name: 'Query' }, mutationType: { name: 'Mutation' } });
    expect((res.data.__type.fields as { name: string }[]).map((f) => f.name)).toContain('kubeconfig');
  });

  it('answers the standard introspection query (getIntrospectionQuery, as GraphiQL and codegen send it) without a token', async () => {
    const res = await t.gql(getIntrospectionQuery(), {}, { token: null });
    expect(res.errors).toBeUndefined();
    expect(res.status).toBe(200);
    const served = buildClientSchema(res.data);
    expect(served.getType('Cluster')).toBeDefined();
  });

  it('the served schema (introspected without a token) matches the DESIGN.md surface', async () => {
    const typeRef = 'kind name ofType { kind name ofType { kind name ofType { kind name } } }';
    const res = await t.gql(`{ __schema { types { name kind fields { name type { ${typeRef} } } } } }`, {}, { token: null });
    expect(res.errors).toBeUndefined();
    type Ref = { kind: string; name: string | null; ofType?: Ref | null };
    const render = (r: Ref): string => (r.kind === 'NON_NULL' ? `${render(r.ofType!)}!` : r.kind === 'LIST' ? `[${render(r.ofType!)}]` : r.name!);
    const types = res.data.__schema.types as { name: string; kind: string; fields: { name: string; type: Ref }[] | null }[];
    const surface: Surface = new Map(
      types.filter((ty) => ty.kind === 'OBJECT').map((ty) => [ty.name, new Map((ty.fields ?? []).map((f) => [f.name, render(f.type)]))]),
    );
    expectDesignSurface(surface);
  });
});

/** DESIGN.md's GraphQL surface. Names in FUTURE are not built yet: allowed (with DESIGN's type), not required. */
const DESIGN_OBJECTS: Record<string, Record<string, string>> = {
  Query: { clusters: 'ClusterList!', cluster: 'Cluster', currentCluster: 'Cluster' },
  Mutation: {
    createCluster: 'Cluster!',
    updateCluster: 'Cluster!',
    deleteCluster: 'Boolean!',
    testClusterConnection: 'ConnectionTestResult!',
    rediscoverPrometheus: 'DiscoveryStatus!',
  },
  Cluster: {
    id: 'ID!',
    name: 'String!',
    isDefault: 'Boolean!',
    enabled: 'Boolean!',
    healthStatus: 'HealthStatus!',
    healthMessage: 'String',
    lastConnectedAt: 'DateTime',
    kubernetesVersion: 'String',
    nodeCount: 'Int!',
    readyNodeCount: 'Int',
    podCount: 'Int!',
    prometheusUrl: 'String',
    prometheusSource: 'PrometheusSource!',
    discovery: 'DiscoveryStatus',
    kubeconfig: 'String',
    createdAt: 'DateTime!',
    updatedAt: 'DateTime!',
  },
  ClusterList: { items: '[Cluster!]!', total: 'Int!' },
};
const FUTURE = new Set(['Mutation.testClusterConnection', 'Mutation.rediscoverPrometheus', 'Cluster.discovery']);

/** Object type → field → rendered type (`[Cluster!]!`). */
type Surface = Map<string, Map<string, string>>;

function surfaceOf(schema: GraphQLSchema): Surface {
  const surface: Surface = new Map();
  for (const type of Object.values(schema.getTypeMap())) {
    if (isObjectType(type)) surface.set(type.name, new Map(Object.values(type.getFields()).map((f) => [f.name, String(f.type)])));
  }
  return surface;
}

/** Every DESIGN.md field that exists today is present with DESIGN's type; nothing outside DESIGN.md is exposed. */
function expectDesignSurface(surface: Surface): void {
  for (const [typeName, fields] of Object.entries(DESIGN_OBJECTS)) {
    const actual = surface.get(typeName);
    expect(actual, `object type ${typeName}`).toBeDefined();
    for (const name of actual!.keys()) expect(Object.keys(fields), `${typeName}.${name} is not in DESIGN.md`).toContain(name);
    for (const [name, typeString] of Object.entries(fields)) {
      if (FUTURE.has(`${typeName}.${name}`) && !actual!.has(name)) continue;
      expect(actual!.get(name), `${typeName}.${name}`).toBe(typeString);
    }
  }
}

const DESIGN_ARGS: Record<string, string> = {
  'Query.cluster': 'id: ID!',
  'Query.clusters': '',
  'Query.currentCluster': '',
  'Mutation.createCluster': 'input: CreateClusterInput!',
  'Mutation.updateCluster': 'id: ID!, input: UpdateClusterInput!',
  'Mutation.deleteCluster': 'id: ID!',
};
const DESIGN_INPUTS: Record<string, Record<string, string>> = {
  CreateClusterInput: { name: 'String!', kubeconfig: 'String!', isDefault: 'Boolean', enabled: 'Boolean', skipConnectionTest: 'Boolean' },
  UpdateClusterInput: { name: 'String', kubeconfig: 'String', isDefault: 'Boolean', enabled: 'Boolean', prometheusUrl: 'String' },
};
const DESIGN_ENUMS: Record<string, string[]> = {
  HealthStatus: ['UNKNOWN', 'HEALTHY', 'WARNING', 'ERROR', 'UNAVAILABLE'],
  PrometheusSource: ['NONE', 'AUTO', 'MANUAL'],
};

const sampleView = (over: Partial<ClusterView> = {}): ClusterView => ({
  id: 7,
  name: 'prod',
  isDefault: true,
  enabled: true,
  healthStatus: 'warning',
  healthMessage: '1 of 3 nodes NotReady',
  lastConnectedAt: new Date('2025-10-17T10:30:00Z'),
  kubernetesVersion: 'v1.31.4',
  nodeCount: 3,
  readyNodeCount: 2,
  podCount: 150,
  prometheusUrl: 'http://prometheus.monitoring:9090',
  prometheusSource: 'auto',
  createdAt: new Date('2025-10-17T08:00:00Z'),
  updatedAt: new Date('2025-10-17T10:30:00Z'),
  ...over,
});

describe('GraphQL schema (graphql() on the built schema)', () => {
  let schema: GraphQLSchema;
  const calls: string[] = [];
  // A stand-in service: the schema tests check wiring, names and authorization, not storage.
  const service = {
    list: async () => {
      calls.push('list');
      return [sampleView(), sampleView({ id: 8, name: 'stage', isDefault: false, healthStatus: 'unavailable', prometheusSource: 'manual' })];
    },
    get: async (id: number) => {
      calls.push(`get:${id}`);
      return sampleView({ id });
    },
    current: async () => sampleView(),
    kubeconfig: async (id: number) => {
      calls.push(`kubeconfig:${id}`);
      return 'apiVersion: v1\n';
    },
    create: async () => {
      calls.push('create');
      return sampleView();
    },
    update: async () => {
      calls.push('update');
      return sampleView();
    },
    remove: async () => {
      calls.push('remove');
    },
  } as unknown as ClusterService;
  const ctx = (role: 'admin' | 'user' | null): RequestContext => ({ requestId: 'test', principal: role ? { subject: 's', role } : null });

  beforeAll(async () => {
    schema = await buildGatewaySchema([new ClusterResolver(service)]);
  });

  it('has exactly the object types and field types of DESIGN.md (for what exists today)', () => {
    expectDesignSurface(surfaceOf(schema));
    expect(schema.getQueryType()?.name).toBe('Query');
    expect(schema.getMutationType()?.name).toBe('Mutation');
  });

  it('has the arguments of DESIGN.md', () => {
    for (const [path, args] of Object.entries(DESIGN_ARGS)) {
      const [typeName, fieldName] = path.split('.') as [string, string];
      const field = (schema.getType(typeName) as GraphQLObjectType).getFields()[fieldName]!;
      // Arguments are named, so their order is not part of the API.
      const sorted = (list: string[]) => [...list].sort().join(', ');
      expect(sorted(field.args.map((a) => `${a.name}: ${String(a.type)}`)), path).toBe(sorted(args ? args.split(', ') : []));
    }
  });

  it('has exactly the input types of DESIGN.md', () => {
    for (const [typeName, fields] of Object.entries(DESIGN_INPUTS)) {
      const type = schema.getType(typeName);
      expect(isInputObjectType(type), typeName).toBe(true);
      const actual = (type as GraphQLInputObjectType).getFields();
      expect(Object.fromEntries(Object.entries(actual).map(([n, f]) => [n, String(f.type)])), typeName).toEqual(fields);
    }
  });

  it('has exactly the enum values of DESIGN.md', () => {
    for (const [typeName, values] of Object.entries(DESIGN_ENUMS)) {
      const type = schema.getType(typeName);
      expect(isEnumType(type), typeName).toBe(true);
      expect((type as GraphQLEnumType).getValues().map((v) => v.name).sort(), typeName).toEqual([...values].sort());
    }
    expect(getNamedType(schema.getType('DateTime')!)?.name).toBe('DateTime');
  });

  it('printSchema shows the SDL with the public names', () => {
    const sdl = printSchema(schema);
    expect(sdl).toContain('type Query {');
    expect(sdl).toMatch(/clusters: ClusterList!/);
    expect(sdl).toMatch(/cluster\(id: ID!\): Cluster\n/);
    expect(sdl).toMatch(/currentCluster: Cluster\n/);
    expect(sdl).toMatch(/createCluster\(input: CreateClusterInput!\): Cluster!/);
    expect(sdl).toMatch(/updateCluster\((id: ID!, input: UpdateClusterInput!|input: UpdateClusterInput!, id: ID!)\): Cluster!/);
    expect(sdl).toMatch(/deleteCluster\(id: ID!\): Boolean!/);
    expect(sdl).toContain('enum HealthStatus {');
    expect(sdl).toContain('enum PrometheusSource {');
  });

  it('resolves clusters with upper-case enums and ISO timestamps; no kubeconfig in lists', async () => {
    const source = `{ clusters { total items { id name healthStatus prometheusSource lastConnectedAt kubeconfig } } }`;
    const admin = await graphql({ schema, source, contextValue: ctx('admin') });
    expect(admin.errors).toBeUndefined();
    // graphql-scalars' DateTime serializes to a Date in-process; the wire (JSON) form is the ISO string.
    expect(JSON.parse(JSON.stringify(admin.data))).toEqual({
      clusters: {
        total: 2,
        items: [
          { id: '7', name: 'prod', healthStatus: 'WARNING', prometheusSource: 'AUTO', lastConnectedAt: '2025-10-17T10:30:00.000Z', kubeconfig: null },
          { id: '8', name: 'stage', healthStatus: 'UNAVAILABLE', prometheusSource: 'MANUAL', lastConnectedAt: '2025-10-17T10:30:00.000Z', kubeconfig: null },
        ],
      },
    });
    calls.length = 0;
    const user = await graphql({ schema, source, contextValue: ctx('user') });
    expect(user.errors).toBeUndefined();
    expect((user.data as { clusters: { items: { kubeconfig: unknown }[] } }).clusters.items.map((i) => i.kubeconfig)).toEqual([null, null]);
    // A user's request never decrypts a kubeconfig.
    expect(calls.filter((c) => c.startsWith('kubeconfig'))).toEqual([]);
  });

  it('refuses anonymous reads and non-admin writes before touching the service', async () => {
    calls.length = 0;
    const anon = await graphql({ schema, source: '{ clusters { total } }', contextValue: ctx(null) });
    expect(anon.errors?.[0]?.originalError?.constructor.name).toBe('UnauthenticatedError');
    for (const source of [
      'mutation { createCluster(input: { name: "x", kubeconfig: "y" }) { id } }',
      'mutation { updateCluster(id: "7", input: { enabled: false }) { id } }',
      'mutation { deleteCluster(id: "7") }',
    ]) {
      const res = await graphql({ schema, source, contextValue: ctx('user') });
      expect(res.errors?.[0]?.originalError?.constructor.name, source).toBe('ForbiddenError');
    }
    expect(calls).toEqual([]);
  });

  it('cluster(id) parses the id before calling the service', async () => {
    calls.length = 0;
    const bad = await graphql({ schema, source: '{ cluster(id: "abc") { id } }', contextValue: ctx('user') });
    expect(bad.errors?.[0]?.originalError?.constructor.name).toBe('ValidationError');
    expect(calls).toEqual([]);
    const good = await graphql({ schema, source: '{ cluster(id: " 42 ") { id } }', contextValue: ctx('user') });
    expect(good.errors).toBeUndefined();
    expect(calls).toEqual(['get:42']);
  });
});
