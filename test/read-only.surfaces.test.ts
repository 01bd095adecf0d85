import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { auditRowsOf, freshRequestId } from './support/audit-rows.js';
import { testDrivers } from './support/databases.js';
import { uniqueName, useTestGateway } from './support/gateway.js';
import { useReachableCluster } from './support/suite-fixtures.js';

/**
 * READ_ONLY=true: every write on REST and GraphQL is refused with the contract's 403 "只读模式已启用" (GraphQL:
 * FORBIDDEN with extensions.reason READ_ONLY), for admins and users alike, changes nothing, and is audited; reads keep
 * working; C6 (a connection test only refreshes observed health) stays allowed.
 */
const MESSAGE = '只读模式已启用';
const REFUSED_BODY = { code: 403, message: MESSAGE, data: null, reason: 'READ_ONLY' };

describe.each(testDrivers())('read-only mode on %s', (driver) => {
  const t = useTestGateway(driver, { READ_ONLY: 'true', HEALTH_CHECK_INTERVAL_SECONDS: '3600' }, { healthMonitor: false });
  const live = useReachableCluster();

  /** Seeds a cluster below the managers (the API refuses to create one in this mode). */
  const seed = async () =>
    (await t.gw.clusters.create({ name: uniqueName('ro'), kubeconfig: live.kubeconfigYaml, skipConnectionTest: true })) as {
      id: number;
      name: string;
    };

  it('REST C3, C4, C5 and C7 answer 403 with the contract message for admins and users, and change nothing', async () => {
    const { id, name } = await seed();
    const writes: [string, string, unknown][] = [
      ['POST', '/api/v1/k8s/clusters', { name: uniqueName('ro'), kubeconfig: live.kubeconfigBase64 }],
      ['PUT', `/api/v1/k8s/clusters/${id}`, { name: 'renamed-in-read-only' }],
      ['DELETE', `/api/v1/k8s/clusters/${id}`, undefined],
      ['POST', `/api/v1/k8s/clusters/${id}/prometheus/rediscover`, undefined],
    ];
    for (const token of [t.adminToken, t.userToken]) {
      for (const [method, path, body] of writes) {
        const res = await t.rest(method, path, { body, token });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body, `${method} ${path}`).toEqual(REFUSED_BODY);
      }
    }
    const after = await t.rest('GET', `/api/v1/k8s/clusters/${id}`);
    expect(after.status).toBe(200);
    expect(after.body.data.name).toBe(name);
    const tasks = await t.gql('query($id: ID!) { cluster(id: $id) { discovery { state } } }', { id: String(id) });
    expect(tasks.data.cluster.discovery).toBeNull();
  });

  it('GraphQL mutations answer FORBIDDEN with reason READ_ONLY and the same message', async () => {
    const { id, name } = await seed();
    const mutations: [string, Record<string, unknown>][] = [
      [
        'mutation($input: CreateClusterInput!) { createCluster(input: $input) { id } }',
        { input: { name: uniqueName('ro'), kubeconfig: live.kubeconfigYaml, skipConnectionTest: true } },
      ],
      ['mutation($id: ID!) { updateCluster(id: $id, input: { enabled: false }) { id } }', { id: String(id) }],
      ['mutation($id: ID!) { deleteCluster(id: $id) }', { id: String(id) }],
      ['mutation($id: ID!) { rediscoverPrometheus(id: $id) { state } }', { id: String(id) }],
    ];
    for (const token of [t.adminToken, t.userToken]) {
      for (const [query, variables] of mutations) {
        const res = await t.gql(query, variables, { token });
        expect(res.errors, query).toHaveLength(1);
        expect(res.errors![0]!.message).toBe(MESSAGE);
        expect(res.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'READ_ONLY' });
      }
    }
    const after = await t.gql('query($id: ID!) { cluster(id: $id) { name enabled } }', { id: String(id) });
    expect(after.data.cluster).toEqual({ name, enabled: true });
  });

  it('reads keep working on both transports: C1, C2, clusters, cluster, currentCluster, auditEvents', async () => {
    const { id, name } = await seed();
    const list = await t.rest('GET', '/api/v1/k8s/clusters');
    expect(list.status).toBe(200);
    expect(list.body.data.clusters.map((c: { id: number }) => c.id)).toContain(id);
    expect((await t.rest('GET', `/api/v1/k8s/clusters/${id}`, { token: t.userToken })).body.data.name).toBe(name);
    const res = await t.gql(
      'query($id: ID!) { clusters { total } cluster(id: $id) { name } currentCluster { id } auditEvents(first: 5) { items { action } } }',
      { id: String(id) },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.cluster.name).toBe(name);
    expect(res.data.clusters.total).toBeGreaterThan(0);
    const audit = await t.rest('GET', '/api/v1/k8s/audit?limit=5');
    expect(audit.status).toBe(200);
  });

  it('C6 stays allowed (it only refreshes observed health) and is audited', async () => {
    const { id } = await seed();
    const requestId = freshRequestId();
    const rest = await t.rest('POST', `/api/v1/k8s/clusters/${id}/test-connection`, { token: t.userToken, headers: { 'x-request-id': requestId } });
    expect(rest.status).toBe(200);
    expect(rest.body.data.connected).toBe(true);
    expect(await auditRowsOf(t.gw, requestId)).toMatchObject([{ action: 'cluster.testConnection', outcome: 200, cluster_id: id }]);
    const gql = await t.gql('mutation($id: ID!) { testClusterConnection(id: $id) { connected } }', { id: String(id) });
    expect(gql.errors).toBeUndefined();
    expect(gql.data.testClusterConnection.connected).toBe(true);
  });

  it('each refused write is audited once with outcome 403', async () => {
    const { id, name } = await seed();
    const restId = freshRequestId();
    await t.rest('DELETE', `/api/v1/k8s/clusters/${id}`, { headers: { 'x-request-id': restId } });
    expect(await auditRowsOf(t.gw, restId)).toMatchObject([
      { actor: 'admin-alice', action: 'cluster.delete', cluster_id: id, cluster_name: name, outcome: 403 },
    ]);
    const gqlId = freshRequestId();
    await t.gql(
      'mutation($id: ID!) { rediscoverPrometheus(id: $id) { state } }',
      { id: String(id) },
      { token: t.userToken, headers: { 'x-request-id': gqlId } },
    );
    expect(await auditRowsOf(t.gw, gqlId)).toMatchObject([
      { actor: 'user-bob', action: 'prometheus.rediscover', target: 'mutation rediscoverPrometheus', outcome: 403 },
    ]);
  });
});

describe('READ_ONLY configuration', () => {
  it('accepts true/false spellings, defaults to off, and names the variable when the value is not a boolean', () => {
    const base = { JWT_SECRET: 'x'.repeat(32) };
    expect(loadConfig(base).readOnly).toBe(false);
    expect(loadConfig({ ...base, READ_ONLY: 'true' }).readOnly).toBe(true);
    expect(loadConfig({ ...base, READ_ONLY: '0' }).readOnly).toBe(false);
    expect(() => loadConfig({ ...base, READ_ONLY: 'maybe' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, READ_ONLY: 'maybe' })).toThrow(/READ_ONLY/);
    expect(() => loadConfig({ ...base, AUDIT_RETENTION_DAYS: '0' })).toThrow(/AUDIT_RETENTION_DAYS/);
    expect(loadConfig(base).audit.retentionDays).toBe(90);
  });
});
