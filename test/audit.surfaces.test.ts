import { describe, expect, it, vi } from 'vitest';
import { grant, tokenFor } from './support/access-fixtures.js';
import { allAuditRows, auditRowsOf, type AuditRow, freshRequestId } from './support/audit-rows.js';
import { testDrivers } from './support/databases.js';
import { type TestGateway, uniqueName, useTestGateway } from './support/gateway.js';
import { b64 } from './support/kubeconfigs.js';
import { useReachableCluster } from './support/suite-fixtures.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

/**
 * Audit completeness beyond the cluster writes (issue 13 items 6 and 7): grants, issued kubeconfigs and their
 * revocation, webhooks, kubeconfig import and proxied writes each append exactly one event per attempt — refused ones
 * included — naming actor, action, cluster and outcome; in read-only mode they are refused (issuing and revoking
 * kubeconfig tokens excepted) and still audited; and no event holds a secret any of these requests carried or returned.
 */
const B = '/api/v1/k8s';
const MESSAGE = '只读模式已启用';

describe.each(testDrivers())('every write surface is audited once per attempt on %s', (driver) => {
  const t = useTestGateway(driver, { HEALTH_CHECK_INTERVAL_SECONDS: '3600' }, { healthMonitor: false });
  const ro = useTestGateway(driver, { HEALTH_CHECK_INTERVAL_SECONDS: '3600', READ_ONLY: 'true' }, { healthMonitor: false });
  const sim = useReachableCluster({ namespaces: ['default'], pods: 20 });
  const receiverP = startWebhookReceiver(() => 200);
  /** Every secret a request below sent or received: none may appear in any audit row. */
  const secrets: string[] = [];

  /** A REST call with its own request id; the body is parsed when it is JSON (issued kubeconfigs are YAML). */
  async function call(gw: TestGateway, method: string, path: string, opts: { token?: string; body?: unknown } = {}) {
    const requestId = freshRequestId();
    const res = await fetch(`${gw.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${opts.token ?? gw.adminToken}`,
        'x-request-id': requestId,
        ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined;
    return { status: res.status, json, text, headers: res.headers, requestId };
  }
  async function gql(gw: TestGateway, query: string, variables: Record<string, unknown>, token?: string) {
    const requestId = freshRequestId();
    const res = await gw.gql(query, variables, { token, headers: { 'x-request-id': requestId } });
    return { ...res, requestId };
  }
  /** The one event of a request (the proxy records its own once the answer ended: waited for, generously). */
  async function oneEvent(gw: TestGateway, requestId: string): Promise<AuditRow> {
    await vi.waitFor(async () => expect(await auditRowsOf(gw.gw, requestId)).not.toHaveLength(0), { timeout: 15_000, interval: 50 });
    const rows = await auditRowsOf(gw.gw, requestId);
    expect(rows, `audit rows of ${requestId}`).toHaveLength(1);
    return rows[0]!;
  }
  async function register(gw: TestGateway) {
    const name = uniqueName('aus');
    const created = (await gw.gw.clusters.create({ name, kubeconfig: sim.kubeconfigYaml, skipConnectionTest: true })) as { id: number };
    return { id: created.id, name };
  }

  it('grants: grant and revoke over REST and GraphQL, and a refused grant, each append one event naming the cluster', async () => {
    const { id, name } = await register(t);
    const subject = uniqueName('subj');
    const granted = await call(t, 'POST', `${B}/clusters/${id}/grants`, { body: { subject, subject_kind: 'user', role: 'editor' } });
    expect(granted.status).toBe(200);
    const grantId = granted.json.data.id;
    expect(await oneEvent(t, granted.requestId)).toMatchObject({
      actor: 'admin-alice',
      action: 'access.grant',
      cluster_id: id,
      cluster_name: name,
      outcome: 200,
      target: `POST ${B}/clusters/${id}/grants → grant ${grantId} user:${subject}=editor`,
    });
    // A plain user is VIEWER (DEFAULT_CLUSTER_ROLE viewer): refused, and the refusal is the event.
    const refused = await call(t, 'POST', `${B}/clusters/${id}/grants`, {
      token: t.userToken,
      body: { subject: 'user-bob', subject_kind: 'user', role: 'admin' },
    });
    expect(refused.status).toBe(403);
    expect(await oneEvent(t, refused.requestId)).toMatchObject({
      actor: 'user-bob',
      action: 'access.grant',
      cluster_id: id,
      outcome: 403,
      target: `POST ${B}/clusters/${id}/grants`,
    });

    const revoked = await call(t, 'DELETE', `${B}/clusters/${id}/grants/${grantId}`);
    expect(revoked.status).toBe(200);
    expect(await oneEvent(t, revoked.requestId)).toMatchObject({ action: 'access.revoke', cluster_id: id, cluster_name: name, outcome: 200 });

    const g = await gql(t, 'mutation($i: GrantClusterAccessInput!) { grantClusterAccess(input: $i) { id } }', {
      i: { clusterId: String(id), subject: `team-${subject}`, subjectKind: 'GROUP', role: 'VIEWER' },
    });
    expect(g.errors).toBeUndefined();
    const gqlGrantId = g.data.grantClusterAccess.id;
    expect(await oneEvent(t, g.requestId)).toMatchObject({
      action: 'access.grant',
      cluster_id: id,
      target: `mutation grantClusterAccess → grant ${gqlGrantId} group:team-${subject}=viewer`,
      outcome: 200,
    });
    // revokeClusterAccess names only the grant: the event still names the cluster it was on.
    const r = await gql(t, 'mutation($id: ID!) { revokeClusterAccess(id: $id) }', { id: gqlGrantId });
    expect(r.errors).toBeUndefined();
    expect(await oneEvent(t, r.requestId)).toMatchObject({
      action: 'access.revoke',
      cluster_id: id,
      cluster_name: name,
      target: `mutation revokeClusterAccess → grant ${gqlGrantId} group:team-${subject}`,
      outcome: 200,
    });
  });

  it('issued kubeconfigs: issuing and revoking append one event each (the token never); an unknown token is a 404 event', async () => {
    const { id, name } = await register(t);
    const issued = await call(t, 'GET', `${B}/clusters/${id}/kubeconfig?ttl=1h`, { token: t.userToken });
    expect(issued.status).toBe(200);
    const tokenId = issued.headers.get('x-token-id')!;
    secrets.push(/token: (\S+)/.exec(issued.text)![1]!);
    expect(await oneEvent(t, issued.requestId)).toMatchObject({
      actor: 'user-bob',
      action: 'token.issue',
      cluster_id: id,
      cluster_name: name,
      outcome: 200,
    });
    expect((await oneEvent(t, issued.requestId)).target).toMatch(new RegExp(`^GET ${B}/clusters/${id}/kubeconfig → token ${tokenId} until \\d{4}-`));

    const revoked = await call(t, 'DELETE', `${B}/tokens/${tokenId}`, { token: t.userToken });
    expect(revoked.status).toBe(200);
    expect(await oneEvent(t, revoked.requestId)).toMatchObject({
      actor: 'user-bob',
      action: 'token.revoke',
      cluster_id: id,
      cluster_name: name,
      outcome: 200,
      target: `DELETE ${B}/tokens/${tokenId} → token ${tokenId} of user-bob`,
    });
    const unknown = await call(t, 'DELETE', `${B}/tokens/00000000-0000-4000-8000-000000000000`, { token: t.userToken });
    expect(unknown.status).toBe(404);
    expect(await oneEvent(t, unknown.requestId)).toMatchObject({ action: 'token.revoke', cluster_id: null, outcome: 404 });
  });

  it('webhooks: create, update, test and delete append one event each naming the webhook; a user’s attempt is a 403 event', async () => {
    const receiver = await receiverP;
    const secret = `whsec_custom_${uniqueName('s')}`;
    secrets.push(secret);
    const created = await call(t, 'POST', `${B}/webhooks`, { body: { url: `${receiver.url}/audit`, events: ['cluster_created'], secret } });
    expect(created.status).toBe(201);
    const hookId = created.json.data.webhook.id;
    expect(await oneEvent(t, created.requestId)).toMatchObject({
      actor: 'admin-alice',
      action: 'webhook.create',
      cluster_id: null,
      outcome: 201,
      target: `POST ${B}/webhooks → webhook ${hookId}`,
    });
    const generated = await call(t, 'POST', `${B}/webhooks`, { body: { url: `${receiver.url}/audit2`, events: ['cluster_deleted'] } });
    secrets.push(generated.json.data.secret);
    await oneEvent(t, generated.requestId);

    const steps: [string, string, string, string, number][] = [
      ['PUT', `${B}/webhooks/${hookId}`, 'webhook.update', `webhook ${hookId}`, 200],
      ['POST', `${B}/webhooks/${hookId}/test`, 'webhook.test', `webhook ${hookId} delivery `, 200],
      ['DELETE', `${B}/webhooks/${hookId}`, 'webhook.delete', `webhook ${hookId}`, 200],
    ];
    for (const [method, path, action, detail, status] of steps) {
      const res = await call(t, method, path, { body: method === 'PUT' ? { enabled: false } : undefined });
      expect(res.status, action).toBe(status);
      const ev = await oneEvent(t, res.requestId);
      expect(ev, action).toMatchObject({ actor: 'admin-alice', action, outcome: status });
      expect(ev.target, action).toContain(`${method} ${path} → ${detail}`);
    }
    const refused = await call(t, 'POST', `${B}/webhooks`, {
      token: t.userToken,
      body: { url: `${receiver.url}/x`, events: ['cluster_created'], secret: `${secret}-2` },
    });
    expect(refused.status).toBe(403);
    expect(await oneEvent(t, refused.requestId)).toMatchObject({
      actor: 'user-bob',
      action: 'webhook.create',
      outcome: 403,
      target: `POST ${B}/webhooks`,
    });
  });

  it('kubeconfig import: one event with the counts, never a context, server or credential', async () => {
    secrets.push(sim.secretMarker);
    const res = await call(t, 'POST', `${B}/clusters/import`, {
      body: { kubeconfig: b64(sim.kubeconfigYaml), name_prefix: `${uniqueName('imp')}-` },
    });
    expect(res.status).toBe(200);
    expect(res.json.data.summary.created).toBe(1);
    expect(await oneEvent(t, res.requestId)).toMatchObject({
      actor: 'admin-alice',
      action: 'cluster.import',
      cluster_id: null,
      outcome: 200,
      target: `POST ${B}/clusters/import → created=1 updated=0 unchanged=0 skipped=0 failed=0`,
    });
    const dryRun = await call(t, 'POST', `${B}/clusters/import`, { body: { kubeconfig: b64(sim.kubeconfigYaml), dry_run: true } });
    expect(dryRun.status).toBe(200);
    expect(await auditRowsOf(t.gw, dryRun.requestId)).toEqual([]); // a plan reads
  });

  it('proxied delete: one event for the editor who did it and one for the viewer refused', async () => {
    const { id, name } = await register(t);
    const path = `${B}/clusters/${id}/proxy/api/v1/namespaces/default/pods/pod-000002`;
    const refused = await call(t, 'DELETE', path, { token: t.userToken });
    expect(refused.status).toBe(403);
    expect(await oneEvent(t, refused.requestId)).toMatchObject({
      actor: 'user-bob',
      action: 'proxy.delete',
      cluster_id: id,
      cluster_name: name,
      outcome: 403,
      target: 'delete /api/v1/namespaces/default/pods/pod-000002',
    });
    const editor = uniqueName('editor');
    await grant(t, id, editor, 'editor');
    const done = await call(t, 'DELETE', path, { token: tokenFor(editor) });
    expect(done.status).toBe(200);
    expect(await oneEvent(t, done.requestId)).toMatchObject({
      actor: editor,
      action: 'proxy.delete',
      cluster_id: id,
      cluster_name: name,
      outcome: 200,
    });
  });

  it('read-only mode refuses grants, webhooks, imports and proxied writes (403, audited) and lets kubeconfigs be issued and revoked (audited)', async () => {
    const { id, name } = await register(ro);
    const receiver = await receiverP;
    const refusals: [string, string, unknown, string][] = [
      ['POST', `${B}/clusters/${id}/grants`, { subject: 'someone', subject_kind: 'user', role: 'viewer' }, 'access.grant'],
      [
        'POST',
        `${B}/webhooks`,
        { url: `${receiver.url}/ro`, events: ['cluster_created'], secret: 'whsec_read_only_attempt_0123456789' },
        'webhook.create',
      ],
      ['POST', `${B}/clusters/import`, { kubeconfig: b64(sim.kubeconfigYaml) }, 'cluster.import'],
    ];
    secrets.push('whsec_read_only_attempt_0123456789');
    for (const [method, path, body, action] of refusals) {
      const res = await call(ro, method, path, { body });
      expect(res.status, action).toBe(403);
      expect(res.json, action).toMatchObject({ code: 403, message: MESSAGE, reason: 'READ_ONLY' });
      expect(await oneEvent(ro, res.requestId), action).toMatchObject({ actor: 'admin-alice', action, outcome: 403 });
    }
    const proxied = await call(ro, 'DELETE', `${B}/clusters/${id}/proxy/api/v1/namespaces/default/pods/pod-000003`);
    expect(proxied.status).toBe(403);
    expect(proxied.json).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden', details: { causes: [{ reason: 'READ_ONLY' }] } });
    expect(proxied.json.message).toMatch(new RegExp(`^${MESSAGE}`));
    expect(await oneEvent(ro, proxied.requestId)).toMatchObject({ action: 'proxy.delete', cluster_id: id, cluster_name: name, outcome: 403 });
    const gqlRefused = await gql(ro, 'mutation($id: ID!) { testWebhook(id: $id) { id } }', { id: '1' });
    expect(gqlRefused.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'READ_ONLY' });
    expect(await oneEvent(ro, gqlRefused.requestId)).toMatchObject({ action: 'webhook.test', outcome: 403, target: 'mutation testWebhook' });

    const issued = await call(ro, 'GET', `${B}/clusters/${id}/kubeconfig`, { token: ro.userToken });
    expect(issued.status).toBe(200);
    secrets.push(/token: (\S+)/.exec(issued.text)![1]!);
    expect(await oneEvent(ro, issued.requestId)).toMatchObject({ actor: 'user-bob', action: 'token.issue', cluster_id: id, outcome: 200 });
    const revoked = await call(ro, 'DELETE', `${B}/tokens/${issued.headers.get('x-token-id')}`, { token: ro.userToken });
    expect(revoked.status).toBe(200);
    expect(await oneEvent(ro, revoked.requestId)).toMatchObject({ action: 'token.revoke', cluster_id: id, outcome: 200 });
  });

  it('no event on either gateway holds a secret, a token, a kubeconfig or a request body', async () => {
    const rows = [...(await allAuditRows(t.gw)), ...(await allAuditRows(ro.gw))];
    expect(rows.length).toBeGreaterThan(20);
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    const stored = JSON.stringify(rows);
    for (const secret of secrets) expect(stored).not.toContain(secret);
    for (const fragment of ['whsec_', 'eyJ', 'apiVersion', 'client-key-data', 'certificate-authority-data', 'Bearer', 'kubeconfig:', 'someone'])
      expect(stored).not.toContain(fragment);
  });
});
