import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { loadConfig } from '../src/config.js';
import { type Gateway, startGateway } from '../src/gateway.js';
import { createTestDatabase, testDrivers } from './support/databases.js';
import { TEST_JWT_SECRET, uniqueName } from './support/gateway.js';
import { reachableCluster, type ReachableCluster } from './support/reachable.js';
import { eventually, startWebhookReceiver } from './support/webhook-receiver.js';

/**
 * Two gateway replicas on one database share the webhook work: every attempt of every delivery reaches the receiver
 * exactly once (counted at the receiver), including retries, however the replicas' polls interleave.
 */
const CLUSTERS = 12;

describe.each(testDrivers())('two replicas deliver each webhook attempt once (%s)', (driver) => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const replicas: Gateway[] = [];
  const dirs: string[] = [];
  let cluster: ReachableCluster;
  // Every delivery's first attempt fails, so the retry is claimed (by either replica) too.
  const receiverP = startWebhookReceiver(({ attempt }) => (attempt === 1 ? 500 : 200));
  const admin = signToken(TEST_JWT_SECRET, { sub: 'admin-alice', role: 'admin' });

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    const encryptionKey = randomBytes(32).toString('base64');
    for (let i = 0; i < 2; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'kgw-replica-'));
      dirs.push(dir);
      const config = loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dir,
        JWT_SECRET: TEST_JWT_SECRET,
        ENCRYPTION_KEY: encryptionKey,
        LOG_LEVEL: 'silent',
        PROMETHEUS_AUTO_DISCOVERY: 'false',
        AUTH_FAILURE_LIMIT: '0',
      });
      // Both poll every 20 ms, so their claims constantly compete for the same rows.
      replicas.push(
        await startGateway(config, { database: database.target, healthMonitor: false, webhooks: { pollMs: 20, retryDelaysMs: [100, 200] } }),
      );
    }
    cluster = await reachableCluster();
  }, 120_000);

  afterAll(async () => {
    for (const gw of replicas) await gw.close();
    await database?.dispose();
    await cluster?.close();
    await (await receiverP).close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const call = async (gw: Gateway, path: string, body: unknown) => {
    const res = await fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('each attempt is received exactly once', async () => {
    const receiver = await receiverP;
    const hook = await call(replicas[0]!, '/api/v1/k8s/webhooks', { url: `${receiver.url}/hook`, events: ['cluster_created'] });
    expect(hook.status).toBe(201);
    const createCluster = 'mutation($input: CreateClusterInput!) { createCluster(input: $input) { id } }';
    for (let i = 0; i < CLUSTERS; i++) {
      const input = { name: uniqueName('rep'), kubeconfig: cluster.kubeconfigYaml, skipConnectionTest: true };
      const res = await call(replicas[i % 2]!, '/graphql', { query: createCluster, variables: { input } });
      expect(res.body.errors).toBeUndefined();
    }
    await eventually(() => receiver.received.filter((r) => r.status === 200).length >= CLUSTERS, `${CLUSTERS} successful deliveries`);
    await new Promise((r) => setTimeout(r, 1_500)); // time for any duplicate to show up
    const byAttempt = new Map<string, number>();
    for (const r of receiver.received) {
      const key = `${String(r.headers['x-kube-gateway-delivery'])}#${String(r.headers['x-kube-gateway-attempt'])}`;
      byAttempt.set(key, (byAttempt.get(key) ?? 0) + 1);
    }
    expect(receiver.received).toHaveLength(2 * CLUSTERS);
    expect(new Set(receiver.received.map((r) => r.headers['x-kube-gateway-delivery'])).size).toBe(CLUSTERS);
    expect([...byAttempt.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(receiver.received.map((r) => r.json.cluster.id)).size).toBe(CLUSTERS);
  });
});
