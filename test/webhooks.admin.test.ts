import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { queryRows, useTestGateway } from './support/gateway.js';
import { signatureValid, startWebhookReceiver } from './support/webhook-receiver.js';

/** Webhook administration over GraphQL and REST: admins only, validated, the secret shown once and stored encrypted. */
const CREATE = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id url events format enabled labelSelector createdAt } } }`;

describe.each(testDrivers())('webhook administration (%s)', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false });
  const receiverP = startWebhookReceiver((r) => (r.path === '/down' ? 503 : 200));
  afterAll(async () => (await receiverP).close());

  it('creates through GraphQL with a generated secret shown once, stored encrypted, never listed', async () => {
    const receiver = await receiverP;
    const url = `${receiver.url}/gql?token=slack-like-path-secret`;
    const res = await t.gql(CREATE, {
      input: { url, events: ['CLUSTER_CREATED', 'CLUSTER_HEALTH_CHANGED'], format: 'SLACK', labelSelector: 'env in (prod)' },
    });
    expect(res.errors).toBeUndefined();
    const { secret, webhook } = res.data.createWebhook;
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(webhook).toMatchObject({
      url,
      events: ['CLUSTER_CREATED', 'CLUSTER_HEALTH_CHANGED'],
      format: 'SLACK',
      enabled: true,
      labelSelector: 'env in (prod)',
    });

    // The secret is nowhere to be read again: not in the list (GraphQL, REST), and not in the database in plaintext.
    const list = await t.gql('{ webhooks { id url } }');
    expect(JSON.stringify(list.data)).not.toContain(secret);
    const rest = await t.rest('GET', '/api/v1/k8s/webhooks');
    expect(rest.status).toBe(200);
    expect(JSON.stringify(rest.body)).not.toContain(secret);
    expect(rest.body.data.webhooks.find((w: { id: number }) => w.id === Number(webhook.id))).toMatchObject({
      url,
      format: 'slack',
      events: ['cluster_created', 'cluster_health_changed'],
      label_selector: 'env in (prod)',
    });
    const dump = JSON.stringify(await queryRows(t.gw, sql`SELECT * FROM webhooks`));
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain('slack-like-path-secret');
    expect(dump).toMatch(/"secret_ciphertext":"v1\./);
  });

  it('creates, updates, tests and deletes through REST with snake_case and the envelope; a chosen secret signs the ping', async () => {
    const receiver = await receiverP;
    const secret = 'my-own-secret-0123456789';
    const created = await t.rest('POST', '/api/v1/k8s/webhooks', { body: { url: `${receiver.url}/rest`, events: ['cluster_deleted'], secret } });
    expect(created.status, created.body.message).toBe(201);
    expect(created.body.data.secret).toBe(secret);
    const id = created.body.data.webhook.id as number;
    expect(created.body.data.webhook).toMatchObject({ format: 'json', enabled: true, label_selector: null, events: ['cluster_deleted'] });

    const updated = await t.rest('PUT', `/api/v1/k8s/webhooks/${id}`, {
      body: { events: ['cluster_created', 'discovery_finished'], label_selector: '!legacy', enabled: false },
    });
    expect(updated.status, updated.body.message).toBe(200);
    expect(updated.body.data).toMatchObject({ events: ['cluster_created', 'discovery_finished'], label_selector: '!legacy', enabled: false });
    const cleared = await t.rest('PUT', `/api/v1/k8s/webhooks/${id}`, { body: { label_selector: '' } });
    expect(cleared.body.data.label_selector).toBeNull();

    const ping = await t.rest('POST', `/api/v1/k8s/webhooks/${id}/test`);
    expect(ping.status, ping.body.message).toBe(200);
    expect(ping.body.data).toMatchObject({ event: 'ping', status: 'succeeded', response_status: 200, attempt: 1 });
    const got = receiver.at('/rest');
    expect(got).toHaveLength(1);
    expect(got[0]!.headers['x-kube-gateway-event']).toBe('PING');
    expect(got[0]!.headers['x-kube-gateway-delivery']).toBe(String(ping.body.data.id));
    expect(signatureValid(secret, got[0]!)).toBe(true);
    expect(signatureValid('another-secret-000000', got[0]!)).toBe(false);

    const log = await t.rest('GET', `/api/v1/k8s/webhooks/${id}/deliveries?limit=5`);
    expect(log.body.data.deliveries.map((d: { id: number }) => d.id)).toEqual([ping.body.data.id]);

    expect((await t.rest('DELETE', `/api/v1/k8s/webhooks/${id}`)).status).toBe(200);
    expect((await t.rest('DELETE', `/api/v1/k8s/webhooks/${id}`)).status).toBe(404);
    expect((await t.rest('POST', `/api/v1/k8s/webhooks/${id}/test`)).status).toBe(404);
  });

  it('testWebhook reports a failing receiver in the delivery log (GraphQL)', async () => {
    const receiver = await receiverP;
    const created = await t.gql(CREATE, { input: { url: `${receiver.url}/down`, events: ['CLUSTER_UPDATED'] } });
    const id = created.data.createWebhook.webhook.id;
    const res = await t.gql('mutation($id: ID!) { testWebhook(id: $id) { id event status responseStatus attempt } }', { id });
    expect(res.errors).toBeUndefined();
    expect(res.data.testWebhook).toMatchObject({ event: 'PING', status: 'failed', responseStatus: 503, attempt: 1 });
    const log = await t.gql('{ webhooks { id deliveries(first: 5) { id event status responseStatus } } }');
    expect(log.errors).toBeUndefined();
    const mine = log.data.webhooks.find((w: { id: string }) => w.id === id);
    expect(mine.deliveries).toEqual([{ id: res.data.testWebhook.id, event: 'PING', status: 'failed', responseStatus: 503 }]);
  });

  it.each([
    [{ url: 'ftp://example.com/hook', events: ['cluster_created'] }, 'url'],
    [{ url: 'https://user:pw@example.com/hook', events: ['cluster_created'] }, 'url'],
    [{ url: 'https://example.com/hook', events: [] }, 'events'],
    [{ url: 'https://example.com/hook', events: ['cluster_exploded'] }, 'events'],
    [{ url: 'https://example.com/hook', events: ['ping'] }, 'events'],
    [{ url: 'https://example.com/hook', events: ['cluster_created'], format: 'xml' }, 'format'],
    [{ url: 'https://example.com/hook', events: ['cluster_created'], secret: 'short' }, 'secret'],
    [{ url: 'https://example.com/hook', events: ['cluster_created'], label_selector: 'env in (prod' }, 'label_selector'],
    [{ url: 'https://example.com/hook', events: ['cluster_created'], labelSelector: 'x' }, 'body'],
  ])('REST refuses %j with 400 naming %s', async (body, field) => {
    const res = await t.rest('POST', '/api/v1/k8s/webhooks', { body });
    expect(res.status, res.body.message).toBe(400);
    expect(res.body.field).toBe(field);
  });

  it('GraphQL refuses bad input with BAD_USER_INPUT naming the field', async () => {
    const bad = await t.gql(CREATE, { input: { url: 'http://a:b@example.com/', events: ['CLUSTER_CREATED'] } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'url' });
    const sel = await t.gql(CREATE, { input: { url: 'http://example.com/', events: ['CLUSTER_CREATED'], labelSelector: '=x' } });
    expect(sel.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'labelSelector' });
    const id = await t.gql('mutation { deleteWebhook(id: "abc") }');
    expect(id.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });

  it('refuses non-admins (FORBIDDEN / 403) and anonymous callers (401) on every operation', async () => {
    const user = { token: t.userToken };
    for (const query of ['{ webhooks { id } }', 'mutation { deleteWebhook(id: "1") }', 'mutation { testWebhook(id: "1") { id } }']) {
      const res = await t.gql(query, {}, user);
      expect(res.errors?.[0]?.extensions?.code, query).toBe('FORBIDDEN');
    }
    const create = await t.gql(CREATE, { input: { url: 'http://example.com/', events: ['CLUSTER_CREATED'] } }, user);
    expect(create.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.rest('GET', '/api/v1/k8s/webhooks', user)).status).toBe(403);
    expect(
      (await t.rest('POST', '/api/v1/k8s/webhooks', { ...user, body: { url: 'http://example.com/', events: ['cluster_created'] } })).status,
    ).toBe(403);
    expect((await t.rest('PUT', '/api/v1/k8s/webhooks/1', { ...user, body: { enabled: false } })).status).toBe(403);
    expect((await t.rest('DELETE', '/api/v1/k8s/webhooks/1', user)).status).toBe(403);
    expect((await t.rest('POST', '/api/v1/k8s/webhooks/1/test', user)).status).toBe(403);
    expect((await t.rest('GET', '/api/v1/k8s/webhooks', { token: null })).status).toBe(401);
  });
});
