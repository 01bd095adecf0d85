import { afterAll, describe, it } from 'vitest';
import { grant, tokenFor, uniqueSubject } from './support/access-fixtures.js';
import { testDrivers } from './support/databases.js';
import { type TestGateway, uniqueName, useTestGateway } from './support/gateway.js';
import type { LiveCluster } from './support/live-payloads.js';
import { liveClient, type LiveClient } from './support/processes.js';
import { useReachableCluster } from './support/suite-fixtures.js';

/**
 * Subscriptions under the access model: a cluster without a role is NOT_FOUND on subscribe, never in the initial state
 * of the all-clusters feed and never pushed; a revoked grant stops the very next push.
 */
const HEALTH = 'subscription($id: ID) { clusterHealth(clusterId: $id) { id name } }';
const DISCOVERY = 'subscription($id: ID!) { discoveryStatus(clusterId: $id) { clusterId state } }';

describe.each(testDrivers())('subscriptions under per-cluster access on %s', { concurrent: true }, (driver) => {
  const t = useTestGateway(driver, { DEFAULT_CLUSTER_ROLE: 'none' }, { healthMonitor: false });
  const sim = useReachableCluster();
  const clients: LiveClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose().catch(() => {})));
  });
  const connect = (token: string) => {
    const c = liveClient(t.url, { token });
    clients.push(c);
    return c;
  };
  const create = async (gw: TestGateway) => {
    const res = await gw.rest('POST', '/api/v1/k8s/clusters', { body: { name: uniqueName('sub'), kubeconfig: sim.kubeconfigBase64 } });
    return res.body.data.id as number;
  };
  const rename = (id: number) => t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { name: uniqueName('renamed') } });

  it('a caller without a role gets NOT_FOUND on subscribe to that cluster (clusterHealth and discoveryStatus)', async ({ expect }) => {
    const hidden = await create(t);
    const ws = connect(tokenFor(uniqueSubject('nobody')));
    for (const query of [HEALTH, DISCOVERY]) {
      const sub = ws.subscribe(query, { id: String(hidden) });
      const first = await sub.nextResult(10_000);
      expect(first.errors?.[0]?.extensions?.code, query).toBe('NOT_FOUND');
      expect(first.errors?.[0]?.message).toBe(`cluster ${hidden} not found`);
    }
  });

  it('the all-clusters feed shows only visible clusters, first and on every change; a revoked grant stops the next push', async ({ expect }) => {
    const [kept, revoked, hidden] = [await create(t), await create(t), await create(t)];
    const who = uniqueSubject('watcher');
    await grant(t, kept, who, 'viewer');
    const g = await grant(t, revoked, who, 'viewer', 'user');
    const sub = connect(tokenFor(who)).subscribe<LiveCluster>(HEALTH, {});
    await sub.waitFor((c) => c.id === String(kept), 10_000, 'the kept cluster in the initial state');
    await sub.waitFor((c) => c.id === String(revoked), 10_000, 'the revoked cluster in the initial state');
    // Changes go through one topic in order: once the later change of `kept` arrives, the earlier ones were decided.
    await rename(hidden);
    await rename(kept);
    await sub.waitFor((c) => c.id === String(kept), 10_000, 'the kept cluster renamed');
    expect((await t.rest('DELETE', `/api/v1/k8s/clusters/${revoked}/grants/${g.id}`)).status).toBe(200);
    await rename(revoked);
    await rename(kept);
    await sub.waitFor((c) => c.id === String(kept), 10_000, 'the kept cluster renamed again');
    const ids = sub.items.map((c) => c.id);
    expect(ids).not.toContain(String(hidden));
    expect(ids.filter((id) => id === String(revoked))).toHaveLength(1); // the initial state only
    for (const r of sub.results) expect(r.errors).toBeUndefined();
  });

  it('a grant given while subscribed makes the next change of that cluster arrive', async ({ expect }) => {
    const id = await create(t);
    const who = uniqueSubject('late');
    const other = await create(t);
    await grant(t, other, who, 'viewer');
    const sub = connect(tokenFor(who)).subscribe<LiveCluster>(HEALTH, {});
    await sub.waitFor((c) => c.id === String(other), 10_000, 'the visible cluster first');
    await grant(t, id, who, 'viewer');
    await rename(id);
    const pushed = await sub.waitFor((c) => c.id === String(id), 10_000, 'the newly granted cluster');
    expect(pushed.id).toBe(String(id));
  });
});
