import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { queryRows, registerCluster, type TestGateway, uniqueName, useTestGateway } from './support/gateway.js';
import { reachableCluster } from './support/reachable.js';
import { eventually, signatureValid, startWebhookReceiver } from './support/webhook-receiver.js';

/**
 * Delivery of webhooks to a real local receiver: signed, retried with backoff after failures (retries shortened to
 * milliseconds through the gateway's options), JSON and SLACK formats, label selectors, CREDENTIALS_EXPIRING once.
 */
const FAST = { pollMs: 50, retryDelaysMs: [150, 300, 600, 600, 600, 600], credentialScanMs: 100 };
const DAY = 86_400_000;

async function createWebhook(t: TestGateway, body: Record<string, unknown>): Promise<{ id: number; secret: string }> {
  const res = await t.rest('POST', '/api/v1/k8s/webhooks', { body });
  expect(res.status, res.body.message).toBe(201);
  return { id: res.body.data.webhook.id, secret: res.body.data.secret };
}

const deliveries = async (t: TestGateway, id: number) =>
  (await t.rest('GET', `/api/v1/k8s/webhooks/${id}/deliveries?limit=100`)).body.data.deliveries as any[];
const settle = () => new Promise((r) => setTimeout(r, 1_000));

describe.each(testDrivers())('webhook delivery (%s)', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false, webhooks: FAST });
  const _failures = new Map<string, number>();
  // `/flaky` fails the first two attempts of each delivery, `/dead` every attempt, anything else succeeds.
  const receiverP = startWebhookReceiver(({ path, attempt }) => (path === '/dead' || (path === '/flaky' && attempt <= 2) ? 500 : 200));
  afterAll(async () => (await receiverP).close());

  it('retries a failing receiver with backoff until it succeeds; every attempt is signed with the secret', async () => {
    const receiver = await receiverP;
    const hook = await createWebhook(t, { url: `${receiver.url}/flaky`, events: ['cluster_created'] });
    const cluster = await reachableCluster();
    const { id: clusterId, name } = await registerCluster(t, { kubeconfig: cluster.kubeconfigYaml, skipConnectionTest: true });

    await eventually(() => receiver.at('/flaky').some((r) => r.status === 200), 'a successful delivery');
    const got = receiver.at('/flaky');
    expect(got.map((r) => [r.status, r.headers['x-kube-gateway-attempt']])).toEqual([
      [500, '1'],
      [500, '2'],
      [200, '3'],
    ]);
    expect(new Set(got.map((r) => r.headers['x-kube-gateway-delivery'])).size).toBe(1);
    for (const r of got) {
      expect(signatureValid(hook.secret, r)).toBe(true);
      expect(r.headers['x-kube-gateway-event']).toBe('CLUSTER_CREATED');
      expect(r.json).toMatchObject({ event: 'CLUSTER_CREATED', cluster: { id: clusterId, name }, id: r.headers['x-kube-gateway-delivery'] });
      // Payloads never carry credentials.
      expect(r.body).not.toContain(cluster.secretMarker);
      expect(r.body).not.toMatch(/kubeconfig|ciphertext/i);
    }
    // Backoff: each retry waited at least its (doubling) delay.
    expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(FAST.retryDelaysMs[0]! - 5);
    expect(got[2]!.at - got[1]!.at).toBeGreaterThanOrEqual(FAST.retryDelaysMs[1]! - 5);
    await settle();
    expect(receiver.at('/flaky')).toHaveLength(3);
    const [log] = await deliveries(t, hook.id);
    expect(log).toMatchObject({
      event: 'cluster_created',
      cluster_id: clusterId,
      status: 'succeeded',
      attempt: 3,
      response_status: 200,
      next_attempt_at: null,
    });
    await cluster.close();
  });

  it('gives up after the last attempt and says so in the delivery log', async () => {
    const receiver = await receiverP;
    const hook = await createWebhook(t, { url: `${receiver.url}/dead`, events: ['cluster_deleted'] });
    const cluster = await reachableCluster();
    const { id } = await registerCluster(t, { kubeconfig: cluster.kubeconfigYaml, skipConnectionTest: true });
    expect((await t.rest('DELETE', `/api/v1/k8s/clusters/${id}`)).status).toBe(200);
    const attempts = FAST.retryDelaysMs.length + 1;
    await eventually(async () => (await deliveries(t, hook.id))[0]?.status === 'failed', 'the delivery to be given up');
    await settle();
    expect(receiver.at('/dead')).toHaveLength(attempts);
    expect((await deliveries(t, hook.id))[0]).toMatchObject({
      event: 'cluster_deleted',
      status: 'failed',
      attempt: attempts,
      response_status: 500,
      next_attempt_at: null,
    });
    await cluster.close();
  });

  it('sends SLACK messages and JSON documents for a health transition', async () => {
    const receiver = await receiverP;
    const slack = await createWebhook(t, { url: `${receiver.url}/slack`, events: ['cluster_health_changed'], format: 'slack' });
    const json = await createWebhook(t, { url: `${receiver.url}/json`, events: ['cluster_health_changed'] });
    const cluster = await reachableCluster();
    const { id, name } = await registerCluster(t, { kubeconfig: cluster.kubeconfigYaml, skipConnectionTest: true });
    await t.gw.health.checkNow(id);
    await eventually(() => receiver.at('/slack').length > 0 && receiver.at('/json').length > 0, 'both deliveries');
    const [s] = receiver.at('/slack');
    expect(Object.keys(s!.json)).toEqual(['text']);
    expect(s!.json.text).toContain(name);
    expect(s!.json.text).toContain('UNKNOWN → HEALTHY');
    expect(signatureValid(slack.secret, s!)).toBe(true);
    const [j] = receiver.at('/json');
    expect(j!.json).toMatchObject({
      event: 'CLUSTER_HEALTH_CHANGED',
      cluster: { id, name, healthStatus: 'HEALTHY' },
      data: { previousStatus: 'UNKNOWN', status: 'HEALTHY' },
    });
    expect(signatureValid(json.secret, j!)).toBe(true);
    await cluster.close();
  });

  it('reports only clusters whose labels match the webhook selector', async () => {
    const receiver = await receiverP;
    await createWebhook(t, { url: `${receiver.url}/prod`, events: ['cluster_updated'], label_selector: 'env in (prod),tier' });
    await createWebhook(t, { url: `${receiver.url}/not-prod`, events: ['cluster_updated'], label_selector: 'env!=prod' });
    const cluster = await reachableCluster();
    // Labels given at creation (the webhooks listen to updates only, so creating raises nothing they see).
    const labels = [
      { key: 'env', value: 'prod' },
      { key: 'tier', value: 'web' },
    ];
    const prod = await registerCluster(t, { kubeconfig: cluster.kubeconfigYaml, skipConnectionTest: true, labels });
    const other = await registerCluster(t, { kubeconfig: cluster.kubeconfigYaml, skipConnectionTest: true });
    for (const c of [prod, other])
      expect((await t.rest('PUT', `/api/v1/k8s/clusters/${c.id}`, { body: { name: uniqueName('renamed') } })).status).toBe(200);
    await eventually(() => receiver.at('/prod').length > 0 && receiver.at('/not-prod').length > 0, 'both selector deliveries');
    await settle();
    expect(receiver.at('/prod').map((r) => r.json.cluster.id)).toEqual([prod.id]);
    expect(receiver.at('/prod')[0]!.json.cluster.labels).toEqual({ env: 'prod', tier: 'web' });
    expect(receiver.at('/not-prod').map((r) => r.json.cluster.id)).toEqual([other.id]);
    await cluster.close();
  });

  it('fires CREDENTIALS_EXPIRING once per credential entering the 7-day window, again for a new kubeconfig', async () => {
    const receiver = await receiverP;
    await createWebhook(t, { url: `${receiver.url}/expiring`, events: ['credentials_expiring'] });
    const cluster = await reachableCluster({ auth: 'cert', certNotAfter: new Date(Date.now() + 3 * DAY) });
    const { id } = await registerCluster(t, { kubeconfig: cluster.kubeconfigYaml });
    await t.gw.health.checkNow(id);
    await eventually(() => receiver.at('/expiring').length > 0, 'the expiry alert');
    // More probes and many scans later (every 100 ms), still one.
    await t.gw.health.checkNow(id);
    await t.gw.health.checkNow(id);
    await settle();
    const first = receiver.at('/expiring');
    expect(first).toHaveLength(1);
    expect(first[0]!.json).toMatchObject({ event: 'CREDENTIALS_EXPIRING', cluster: { id } });
    const expiresAt = new Date(first[0]!.json.data.credentialExpiresAt).getTime();
    expect(Math.abs(expiresAt - (Date.now() + 3 * DAY))).toBeLessThan(DAY);

    // A new kubeconfig is a new credential: it fires again once it is known to expire soon.
    expect((await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { kubeconfig: cluster.kubeconfigBase64 } })).status).toBe(200);
    await t.gw.health.checkNow(id);
    await eventually(() => receiver.at('/expiring').length === 2, 'the alert for the replaced credential');
    await settle();
    expect(receiver.at('/expiring')).toHaveLength(2);
    expect(await queryRows(t.gw, sql`SELECT cluster_id FROM webhook_credential_alerts WHERE cluster_id = ${id}`)).toHaveLength(1);
    await cluster.close();
  });
});
