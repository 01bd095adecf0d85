import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { allAuditRows, auditRowsOf, type AuditRow, freshRequestId, LOOPBACK } from './support/audit-rows.js';
import { testDrivers } from './support/databases.js';
import { queryRows, registerCluster, uniqueName, useTestGateway } from './support/gateway.js';
import { b64 } from './support/kubeconfigs.js';
import { reachableCluster } from './support/reachable.js';

/**
 * Every write appends exactly one audit event with who, what, which cluster (id and name), the target, the outcome,
 * the request id and the source address — over REST and GraphQL, for successes and for refused attempts — and never
 * a request body, header value or credential.
 */
const ENV = { HEALTH_CHECK_INTERVAL_SECONDS: '3600' };

describe.each(testDrivers())('audit of every write on %s', (driver) => {
  const t = useTestGateway(driver, ENV, { healthMonitor: false });
  const markers: string[] = [];

  /** A fresh reachable cluster whose credential marker the final leak check looks for. */
  const cluster = async () => {
    const c = await reachableCluster();
    markers.push(c.secretMarker);
    return c;
  };
  const rest = (method: string, path: string, opts: { body?: unknown; token?: string | null } = {}) => {
    const requestId = freshRequestId();
    return t.rest(method, path, { ...opts, headers: { 'x-request-id': requestId } }).then((res) => ({ res, requestId }));
  };
  const gql = (query: string, variables: Record<string, unknown>, token?: string | null) => {
    const requestId = freshRequestId();
    return t.gql(query, variables, { token, headers: { 'x-request-id': requestId } }).then((res) => ({ res, requestId }));
  };
  /** The one event a request left (fails when there are none or several). */
  const oneEvent = async (requestId: string): Promise<AuditRow> => {
    const rows = await auditRowsOf(t.gw, requestId);
    expect(rows, `audit rows of request ${requestId}`).toHaveLength(1);
    return rows[0]!;
  };

  it('REST C3, C4, C6, C7 and C5 each append one event with actor, action, cluster id and name, target, outcome, request id, source', async () => {
    const c = await cluster();
    const name = uniqueName('aud');
    const created = await rest('POST', '/api/v1/k8s/clusters', { body: { name, kubeconfig: c.kubeconfigBase64 } });
    expect(created.res.status).toBe(201);
    const id = created.res.body.data.id as number;
    const ev = await oneEvent(created.requestId);
    expect(ev).toMatchObject({
      actor: 'admin-alice',
      action: 'cluster.create',
      cluster_id: id,
      cluster_name: name,
      target: 'POST /api/v1/k8s/clusters',
      outcome: 201,
    });
    expect(ev.source_ip).toMatch(LOOPBACK);
    expect(new Date(ev.at).getTime()).toBeGreaterThan(Date.now() - 120_000);

    const renamed = `${name}-r`;
    const updated = await rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { name: renamed, kubeconfig: c.kubeconfigBase64 } });
    expect(updated.res.status).toBe(200);
    expect(await oneEvent(updated.requestId)).toMatchObject({
      actor: 'admin-alice',
      action: 'cluster.update',
      cluster_id: id,
      cluster_name: renamed,
      target: `PUT /api/v1/k8s/clusters/${id}`,
      outcome: 200,
    });

    // C6 and C7 are open to every signed-in user: the actor is the user.
    const tested = await rest('POST', `/api/v1/k8s/clusters/${id}/test-connection`, { token: t.userToken });
    expect(tested.res.status).toBe(200);
    expect(await oneEvent(tested.requestId)).toMatchObject({
      actor: 'user-bob',
      action: 'cluster.testConnection',
      cluster_id: id,
      cluster_name: renamed,
      target: `POST /api/v1/k8s/clusters/${id}/test-connection`,
      outcome: 200,
    });

    const rediscovered = await rest('POST', `/api/v1/k8s/clusters/${id}/prometheus/rediscover`, { token: t.userToken });
    expect(rediscovered.res.status).toBe(202);
    expect(await oneEvent(rediscovered.requestId)).toMatchObject({
      actor: 'user-bob',
      action: 'prometheus.rediscover',
      cluster_id: id,
      cluster_name: renamed,
      outcome: 202,
    });

    const deleted = await rest('DELETE', `/api/v1/k8s/clusters/${id}`);
    expect(deleted.res.status).toBe(200);
    // The name is recorded although the cluster's row is gone from every list.
    expect(await oneEvent(deleted.requestId)).toMatchObject({
      action: 'cluster.delete',
      cluster_id: id,
      cluster_name: renamed,
      target: `DELETE /api/v1/k8s/clusters/${id}`,
      outcome: 200,
    });
  });

  it('GraphQL createCluster, updateCluster, testClusterConnection, rediscoverPrometheus and deleteCluster each append one event naming the mutation', async () => {
    const c = await cluster();
    const name = uniqueName('audq');
    const created = await gql('mutation($input: CreateClusterInput!) { createCluster(input: $input) { id name } }', {
      input: { name, kubeconfig: c.kubeconfigYaml },
    });
    expect(created.res.errors).toBeUndefined();
    const id = Number(created.res.data.createCluster.id);
    expect(await oneEvent(created.requestId)).toMatchObject({
      actor: 'admin-alice',
      action: 'cluster.create',
      cluster_id: id,
      cluster_name: name,
      target: 'mutation createCluster',
      outcome: 201,
    });

    const calls: [string, string, number][] = [
      ['mutation($id: ID!) { updateCluster(id: $id, input: { enabled: true }) { id } }', 'updateCluster', 200],
      ['mutation($id: ID!) { testClusterConnection(id: $id) { connected } }', 'testClusterConnection', 200],
      ['mutation($id: ID!) { rediscoverPrometheus(id: $id) { state } }', 'rediscoverPrometheus', 202],
      ['mutation($id: ID!) { deleteCluster(id: $id) }', 'deleteCluster', 200],
    ];
    const actions: Record<string, string> = {
      updateCluster: 'cluster.update',
      testClusterConnection: 'cluster.testConnection',
      rediscoverPrometheus: 'prometheus.rediscover',
      deleteCluster: 'cluster.delete',
    };
    for (const [query, field, outcome] of calls) {
      const call = await gql(query, { id: String(id) });
      expect(call.res.errors, field).toBeUndefined();
      const ev = await oneEvent(call.requestId);
      expect(ev, field).toMatchObject({
        actor: 'admin-alice',
        action: actions[field],
        cluster_id: id,
        cluster_name: name,
        target: `mutation ${field}`,
        outcome,
      });
      expect(ev.source_ip).toMatch(LOOPBACK);
    }
  });

  it('two mutations in one GraphQL document are two events, each naming its own field', async () => {
    const c = await cluster();
    const { id } = await registerCluster(t, { kubeconfig: c.kubeconfigYaml, skipConnectionTest: true });
    const call = await gql('mutation($id: ID!) { a: updateCluster(id: $id, input: { enabled: true }) { id } b: deleteCluster(id: $id) }', {
      id: String(id),
    });
    expect(call.res.errors).toBeUndefined();
    const rows = await auditRowsOf(t.gw, call.requestId);
    expect(rows.map((r) => [r.action, r.target, r.outcome])).toEqual([
      ['cluster.update', 'mutation updateCluster', 200],
      ['cluster.delete', 'mutation deleteCluster', 200],
    ]);
  });

  it('an update and its event commit together: the event carries the very transaction time of the change', async () => {
    const c = await cluster();
    const { id, name } = await registerCluster(t, { kubeconfig: c.kubeconfigYaml, skipConnectionTest: true });
    const updated = await rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { labels: { team: 'audit' } } });
    expect(updated.res.status).toBe(200);
    const ev = await oneEvent(updated.requestId);
    expect(ev).toMatchObject({ action: 'cluster.update', cluster_id: id, cluster_name: name, outcome: 200 });
    const [row] = await queryRows<{ updated_at: Date | string }>(t.gw, sql`SELECT updated_at FROM clusters WHERE id = ${id}`);
    // Both are now(), the start time of their transaction: equal stamps mean one transaction.
    expect(new Date(ev.at).getTime()).toBe(new Date(row!.updated_at).getTime());

    // A statement that fails (the name is taken) commits neither the change nor an event of success: one 400 event.
    const other = await registerCluster(t, { kubeconfig: c.kubeconfigYaml, skipConnectionTest: true });
    const taken = await rest('PUT', `/api/v1/k8s/clusters/${other.id}`, { body: { name } });
    expect(taken.res.status).toBe(400);
    expect(await oneEvent(taken.requestId)).toMatchObject({ action: 'cluster.update', cluster_id: other.id, cluster_name: other.name, outcome: 400 });
  });

  it('refused attempts are audited with the status the caller got: 403, 404, 400, 409', async () => {
    const c = await cluster();
    const { id, name } = await registerCluster(t, { kubeconfig: c.kubeconfigYaml, skipConnectionTest: true });

    const forbidden = await rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { enabled: false }, token: t.userToken });
    expect(forbidden.res.status).toBe(403);
    expect(await oneEvent(forbidden.requestId)).toMatchObject({
      actor: 'user-bob',
      action: 'cluster.update',
      cluster_id: id,
      cluster_name: name,
      outcome: 403,
    });

    const missing = await rest('DELETE', '/api/v1/k8s/clusters/999999');
    expect(missing.res.status).toBe(404);
    expect(await oneEvent(missing.requestId)).toMatchObject({ action: 'cluster.delete', cluster_id: 999999, cluster_name: null, outcome: 404 });

    const malformed = await rest('POST', '/api/v1/k8s/clusters/abc/test-connection');
    expect(malformed.res.status).toBe(400);
    expect(await oneEvent(malformed.requestId)).toMatchObject({ action: 'cluster.testConnection', cluster_id: null, outcome: 400 });

    const badName = await gql('mutation($id: ID!) { updateCluster(id: $id, input: { name: "" }) { id } }', { id: String(id) });
    expect(badName.res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await oneEvent(badName.requestId)).toMatchObject({
      action: 'cluster.update',
      cluster_id: id,
      cluster_name: name,
      target: 'mutation updateCluster',
      outcome: 400,
    });

    // The contract answers a taken name with 400; the event names the cluster asked for.
    const duplicate = await rest('POST', '/api/v1/k8s/clusters', { body: { name, kubeconfig: c.kubeconfigBase64 } });
    expect(duplicate.res.status).toBe(400);
    expect(await oneEvent(duplicate.requestId)).toMatchObject({ action: 'cluster.create', cluster_id: null, cluster_name: name, outcome: 400 });

    await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { prometheus_url: 'https://prom.example.com' } });
    const manual = await rest('POST', `/api/v1/k8s/clusters/${id}/prometheus/rediscover`);
    expect(manual.res.status).toBe(409);
    expect(await oneEvent(manual.requestId)).toMatchObject({ action: 'prometheus.rediscover', cluster_id: id, outcome: 409 });
  });

  it('a caller without a valid token is answered 401 and leaves no event (there is no actor to name)', async () => {
    const anonymous = await rest('DELETE', '/api/v1/k8s/clusters/1', { token: null });
    expect(anonymous.res.status).toBe(401);
    const forged = await rest('DELETE', '/api/v1/k8s/clusters/1', { token: 'not-a-jwt' });
    expect(forged.res.status).toBe(401);
    expect(await auditRowsOf(t.gw, anonymous.requestId)).toEqual([]);
    expect(await auditRowsOf(t.gw, forged.requestId)).toEqual([]);
  });

  it('reads append nothing', async () => {
    const list = await rest('GET', '/api/v1/k8s/clusters');
    const query = await gql('{ clusters { total } }', {});
    expect(list.res.status).toBe(200);
    expect(query.res.errors).toBeUndefined();
    expect(await auditRowsOf(t.gw, list.requestId)).toEqual([]);
    expect(await auditRowsOf(t.gw, query.requestId)).toEqual([]);
  });

  it('no audit row holds a credential, a kubeconfig or a request body, whatever the writes above sent', async () => {
    // One more write whose body carries a credential in every field that accepts text, refused and accepted.
    const c = await cluster();
    const { id } = await registerCluster(t, { kubeconfig: c.kubeconfigYaml, skipConnectionTest: true });
    await rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { kubeconfig: b64(c.kubeconfigYaml) }, token: t.userToken });
    await rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { kubeconfig: b64(c.kubeconfigYaml), name: c.secretMarker.slice(0, 20) + '\u0000' } });
    const rows = await allAuditRows(t.gw);
    expect(rows.length).toBeGreaterThan(20);
    const stored = JSON.stringify(rows);
    expect(markers.length).toBeGreaterThan(3);
    for (const marker of markers) expect(stored).not.toContain(marker);
    for (const fragment of ['apiVersion', 'client-key-data', 'certificate-authority-data', 'Bearer', 'kubeconfig'])
      expect(stored).not.toContain(fragment);
  });
});
