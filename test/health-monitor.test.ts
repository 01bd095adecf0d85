import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { clusters } from '../src/db/schema.js';
import { testDrivers } from './support/databases.js';
import { uniqueName, useTestGateway } from './support/gateway.js';
import { refusedServerUrl } from './support/kubeconfigs.js';
import type { AddClusterOptions } from '../tools/kube-simulator/index.js';
import { reachableCluster, type ReachableCluster } from './support/reachable.js';

/**
 * The health monitor driven sweep by sweep (`gw.health.sweep()`): states and reasons, anti-flapping, stored figures,
 * cheap pod counting, and isolation of slow clusters. The interval is 1 s so a cluster is due again after ~1 s; every
 * test deletes its clusters afterwards so a sweep only probes the clusters of the test that runs it.
 */

// A hanging cluster costs one request timeout; it is kept well above what a loaded CI machine needs for a real answer.
const REQUEST_TIMEOUT_MS = 2_500;
const ENV = {
  HEALTH_CHECK_INTERVAL_SECONDS: '1',
  HEALTH_FLIP_THRESHOLD: '2',
  KUBE_CONNECT_TIMEOUT_MS: '3000',
  KUBE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
};
/** Just over the 1 s interval: the next sweep finds the cluster due again. */
const NEXT_ROUND_MS = 1_050;
const DAY = 86_400_000;

const CREATE = `mutation($input: CreateClusterInput!) { createCluster(input: $input) { id healthStatus } }`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface RestCluster {
  id: number;
  name: string;
  enabled: boolean;
  health_status: string;
  health_message: string | null;
  last_connected_at: string | null;
  kubernetes_version: string | null;
  node_count: number;
  ready_node_count: number | null;
  pod_count: number;
}

describe.each(testDrivers())('health monitor on %s', (driver) => {
  const t = useTestGateway(driver, ENV, { healthMonitor: false });
  let owned: number[] = [];

  afterEach(async () => {
    for (const id of owned) await t.rest('DELETE', `/api/v1/k8s/clusters/${id}`);
    owned = [];
  });

  /** Stores a cluster without a connection test (so broken ones can be stored too); health starts UNKNOWN. */
  const register = async (yaml: string, extra: { enabled?: boolean } = {}): Promise<number> => {
    const res = await t.gql(CREATE, { input: { name: uniqueName('hm'), kubeconfig: yaml, skipConnectionTest: true, ...extra } });
    expect(res.errors).toBeUndefined();
    expect(res.data.createCluster.healthStatus).toBe('UNKNOWN');
    const id = Number(res.data.createCluster.id);
    owned.push(id);
    return id;
  };
  const detail = async (id: number): Promise<RestCluster> => {
    const res = await t.rest('GET', `/api/v1/k8s/clusters/${id}`, { token: t.userToken });
    expect(res.status).toBe(200);
    return res.body.data;
  };
  const listed = async (): Promise<Map<number, RestCluster>> => {
    const res = await t.rest('GET', '/api/v1/k8s/clusters', { token: t.userToken });
    expect(res.status).toBe(200);
    return new Map((res.body.data.clusters as RestCluster[]).map((c) => [c.id, c]));
  };

  describe('one sweep takes a new cluster from UNKNOWN to the state its probe shows, with a reason', () => {
    const in3Days = () => new Date(Date.now() + 3 * DAY);
    const cases: {
      state: string;
      when: string;
      knobs: AddClusterOptions;
      auth?: 'cert';
      closedPort?: true;
      status: string;
      message: RegExp;
      figures?: Partial<RestCluster>;
      /** The API server answered, so last_connected_at must be set (UNAVAILABLE rows assert it stays null). */
      connected?: true;
    }[] = [
      {
        state: 'HEALTHY',
        when: 'all nodes are Ready',
        knobs: { nodes: 3, pods: 42, gitVersion: 'v1.31.4' },
        status: 'healthy',
        message: /all 3 nodes Ready/,
        figures: { node_count: 3, ready_node_count: 3, pod_count: 42, kubernetes_version: 'v1.31.4' },
        connected: true,
      },
      {
        state: 'WARNING',
        when: 'some nodes are NotReady',
        knobs: { nodes: 4, notReadyNodes: 2 },
        status: 'warning',
        message: /2 of 4 nodes NotReady.*node-2.*node-3/,
        figures: { node_count: 4, ready_node_count: 2 },
        connected: true,
      },
      {
        state: 'WARNING',
        when: 'pods may not be listed (partial permissions)',
        knobs: { forbid: ['pods'] },
        status: 'warning',
        message: /partial permissions.*pods/,
        figures: { node_count: 3 },
        connected: true,
      },
      {
        state: 'WARNING',
        when: 'the token expires in 3 days',
        knobs: { tokenExp: in3Days() },
        status: 'warning',
        message: /expire.*[23] days/,
        connected: true,
      },
      {
        state: 'WARNING',
        when: 'the client certificate expires in 3 days',
        knobs: { certNotAfter: in3Days() },
        auth: 'cert',
        status: 'warning',
        message: /expire.*[23] days/,
        connected: true,
      },
      { state: 'ERROR', when: 'the credentials are rejected (401)', knobs: { expired: true }, status: 'error', message: /401/, connected: true },
      {
        state: 'ERROR',
        when: 'the API server answers 5xx',
        knobs: { mode: 'error5xx', errorCode: 503 },
        status: 'error',
        message: /503/,
        connected: true,
      },
      {
        state: 'ERROR',
        when: 'the API server sends garbage instead of JSON',
        knobs: { mode: 'garbage' },
        status: 'error',
        message: /not valid .*JSON/,
      },
      {
        state: 'UNAVAILABLE',
        when: 'the connection is dropped (mode refuse)',
        knobs: { mode: 'refuse' },
        status: 'unavailable',
        message: /reset|connect/,
      },
      // UNAVAILABLE on a timeout (mode hang) is covered by the hanging-cluster test at the end.
      { state: 'UNAVAILABLE', when: 'nothing listens on the server port', knobs: {}, closedPort: true, status: 'unavailable', message: /refused/ },
    ];

    it.each(cases)('$state when $when', async ({ knobs, auth, closedPort: useClosedPort, status, message, figures, connected }) => {
      const c = await reachableCluster({ ...knobs, auth });
      const yaml = useClosedPort ? c.handle.kubeconfig({ server: await refusedServerUrl() }) : c.kubeconfigYaml;
      const id = await register(yaml);
      c.handle.clearLog();

      expect(await t.gw.health.sweep()).toBe(1);

      const d = await detail(id);
      expect(d.health_status, d.health_message ?? '').toBe(status);
      expect(d.health_message).toMatch(message);
      if (figures) expect(d).toMatchObject(figures);
      if (connected) expect(d.last_connected_at).not.toBeNull();
      if (status === 'unavailable') expect(d.last_connected_at).toBeNull();
      if (!useClosedPort) expect(c.handle.requestLog.length).toBeGreaterThan(0);
    });
  });

  it('UNKNOWN for disabled clusters: a sweep does not probe them (no request reaches the simulator)', async () => {
    const on = await reachableCluster();
    const off = await reachableCluster();
    const onId = await register(on.kubeconfigYaml);
    const offId = await register(off.kubeconfigYaml, { enabled: false });
    on.handle.clearLog();
    off.handle.clearLog();

    expect(await t.gw.health.sweep()).toBe(1);
    await sleep(100);

    expect(off.handle.requestLog).toHaveLength(0);
    expect(await detail(offId)).toMatchObject({ enabled: false, health_status: 'unknown', health_message: expect.stringMatching(/disabled/) });
    // The control: the enabled cluster registered alongside it was probed by that very sweep.
    expect(on.handle.requestLog.length).toBeGreaterThan(0);
    expect((await detail(onId)).health_status).toBe('healthy');

    // A healthy cluster that gets disabled goes back to UNKNOWN and is left alone by later sweeps.
    const disable = await t.rest('PUT', `/api/v1/k8s/clusters/${onId}`, { body: { enabled: false } });
    expect(disable.status).toBe(200);
    expect(disable.body.data.health_status).toBe('unknown');
    on.handle.clearLog();
    await sleep(NEXT_ROUND_MS);
    expect(await t.gw.health.sweep()).toBe(0);
    expect(on.handle.requestLog).toHaveLength(0);
    expect(await detail(onId)).toMatchObject({ health_status: 'unknown', health_message: expect.stringMatching(/disabled/) });
  });

  it('anti-flapping: one failed sweep after HEALTHY keeps HEALTHY (and says so), a second consecutive one flips', async () => {
    const flips = await reachableCluster();
    const blips = await reachableCluster();
    const flipsId = await register(flips.kubeconfigYaml);
    const blipsId = await register(blips.kubeconfigYaml);
    const round = async (n: number) => {
      if (n > 1) await sleep(NEXT_ROUND_MS);
      expect(await t.gw.health.sweep()).toBe(2);
      return { flips: await detail(flipsId), blips: await detail(blipsId) };
    };

    // Round 1: both healthy (the first result from UNKNOWN applies at once).
    let r = await round(1);
    expect(r.flips.health_status).toBe('healthy');
    expect(r.blips.health_status).toBe('healthy');

    // Round 2: both fail once → both still HEALTHY, and the message says a flip is pending.
    flips.handle.set({ mode: 'error5xx' });
    blips.handle.set({ mode: 'error5xx' });
    r = await round(2);
    for (const c of [r.flips, r.blips]) {
      expect(c.health_status).toBe('healthy');
      expect(c.health_message).toMatch(/500/);
      expect(c.health_message).toMatch(/still HEALTHY.*1 of 2.*ERROR/);
    }

    // Round 3: `flips` fails again → ERROR; `blips` recovered → HEALTHY with its normal reason (the count resets).
    blips.handle.set({ mode: 'ok' });
    r = await round(3);
    expect(r.flips.health_status).toBe('error');
    expect(r.flips.health_message).toMatch(/500/);
    expect(r.flips.health_message).not.toMatch(/still/);
    expect(r.blips.health_status).toBe('healthy');
    expect(r.blips.health_message).toMatch(/all 3 nodes Ready/);

    // Round 4: `blips` fails once more → still HEALTHY (the earlier failure does not count: not consecutive);
    // `flips` recovers once → still ERROR, damped the same way.
    blips.handle.set({ mode: 'error5xx' });
    flips.handle.set({ mode: 'ok' });
    r = await round(4);
    expect(r.blips.health_status).toBe('healthy');
    expect(r.blips.health_message).toMatch(/still HEALTHY.*1 of 2/);
    expect(r.flips.health_status).toBe('error');
    expect(r.flips.health_message).toMatch(/still ERROR.*1 of 2.*HEALTHY/);
  });

  it('node and pod counts and the version are updated by a sweep and served from storage by C1', async () => {
    const c = await reachableCluster({ nodes: 3, pods: 42, gitVersion: 'v1.30.1' });
    const id = await register(c.kubeconfigYaml);
    expect((await listed()).get(id)).toMatchObject({ node_count: 0, pod_count: 0, kubernetes_version: null });

    expect(await t.gw.health.sweep()).toBe(1);
    expect((await listed()).get(id)).toMatchObject({ node_count: 3, ready_node_count: 3, pod_count: 42, kubernetes_version: 'v1.30.1' });

    c.handle.set({ nodes: 5, notReadyNodes: 1, pods: 57, gitVersion: 'v1.31.0' });
    c.handle.clearLog();
    // C1 serves what is stored: until the next sweep it still shows the old figures and asks the cluster nothing.
    expect((await listed()).get(id)).toMatchObject({ node_count: 3, pod_count: 42, kubernetes_version: 'v1.30.1' });
    expect(c.handle.requestLog).toHaveLength(0);

    await sleep(NEXT_ROUND_MS);
    expect(await t.gw.health.sweep()).toBe(1);
    expect((await listed()).get(id)).toMatchObject({ node_count: 5, ready_node_count: 4, pod_count: 57, kubernetes_version: 'v1.31.0' });
  });

  it('counts 100,000 pods with at most two pod list requests', async () => {
    const c = await reachableCluster({ pods: 100_000 });
    const id = await register(c.kubeconfigYaml);
    c.handle.clearLog();

    expect(await t.gw.health.sweep()).toBe(1);

    expect((await detail(id)).pod_count).toBe(100_000);
    const podLists = c.handle.requestLog.filter((e) => e.path === '/api/v1/pods');
    expect(podLists.length).toBeGreaterThanOrEqual(1);
    expect(podLists.length).toBeLessThanOrEqual(2);
    for (const e of podLists) expect(Number(e.query.limit)).toBeGreaterThan(0);
    // A full list of 100,000 pods is tens of megabytes; the counting requests together stay tiny.
    expect(podLists.reduce((n, e) => n + e.bytes, 0)).toBeLessThan(100_000);
  });

  it('pages to an exact pod count when the server omits remainingItemCount', async () => {
    const c = await reachableCluster({ pods: 1_234, omitRemainingItemCount: true });
    const id = await register(c.kubeconfigYaml);
    c.handle.clearLog();

    expect(await t.gw.health.sweep()).toBe(1);

    expect((await detail(id)).pod_count).toBe(1_234);
    const podLists = c.handle.requestLog.filter((e) => e.path === '/api/v1/pods');
    expect(podLists.length).toBeGreaterThan(1);
    // Paging, never one unbounded list.
    for (const e of podLists) expect(Number(e.query.limit)).toBeGreaterThan(0);
    expect(podLists.slice(1).every((e) => typeof e.query.continue === 'string' && e.query.continue !== '')).toBe(true);
  });

  it('a hanging cluster neither delays the others nor C1: they are updated, and C1 answers fast, while it still hangs', async () => {
    const dead = await reachableCluster({ mode: 'hang' });
    // Registered first so it is claimed first (oldest never-checked cluster).
    const deadId = await register(dead.kubeconfigYaml);
    const healthy: { c: ReachableCluster; id: number; nodes: number }[] = [];
    for (const nodes of [1, 2, 4, 6]) {
      const c = await reachableCluster({ nodes, pods: 10 * nodes });
      healthy.push({ c, id: await register(c.kubeconfigYaml), nodes });
    }

    let sweepDone = false;
    const started = performance.now();
    const sweep = t.gw.health.sweep().then((n) => {
      sweepDone = true;
      return n;
    });
    await waitFor('the hanging cluster to be asked', () => dead.handle.requestLog.length > 0);

    // While the dead cluster's probe is still waiting for its request timeout, C1 answers from storage at once.
    const c1Started = performance.now();
    const during = await listed();
    const c1Ms = performance.now() - c1Started;
    expect(sweepDone).toBe(false);
    expect(c1Ms).toBeLessThan(REQUEST_TIMEOUT_MS / 4);
    expect(during.get(deadId)?.health_status).toBe('unknown');

    // The healthy clusters are updated before the dead one's probe gives up.
    await waitFor('the healthy clusters to be recorded', async () => {
      const now = await listed();
      return healthy.every((h) => now.get(h.id)?.health_status === 'healthy');
    });
    expect(sweepDone).toBe(false);
    expect((await listed()).get(deadId)?.health_status).toBe('unknown');
    const updatedMs = performance.now() - started;
    expect(updatedMs).toBeLessThan(REQUEST_TIMEOUT_MS);

    expect(await sweep).toBeGreaterThanOrEqual(5);
    const after = await listed();
    expect(after.get(deadId)).toMatchObject({ health_status: 'unavailable', health_message: expect.stringMatching(/in time/) });
    for (const h of healthy) expect(after.get(h.id)).toMatchObject({ health_status: 'healthy', node_count: h.nodes, pod_count: 10 * h.nodes });
  });

  it('a check is stamped when it was claimed, not when its result was written; a slow one still rests half an interval', async () => {
    const stamp = async (id: number) => {
      const [row] = await t.gw.database.db.select({ at: clusters.lastCheckedAt }).from(clusters).where(eq(clusters.id, id));
      return row!.at!.getTime();
    };
    // A slowish cluster (under half the 1 s interval): the stamp is the claim, well before the write.
    const slowish = await reachableCluster({ latencyMs: 150 });
    const slowishId = await register(slowish.kubeconfigYaml);
    const claimedBy = Date.now();
    expect(await t.gw.health.sweep()).toBe(1);
    let writtenBy = Date.now();
    expect(writtenBy - claimedBy).toBeGreaterThanOrEqual(150);
    expect(await stamp(slowishId)).toBeLessThanOrEqual(writtenBy - 100);
    await t.rest('DELETE', `/api/v1/k8s/clusters/${slowishId}`);

    // A hung cluster (its probe waits out the 2.5 s request timeout): stamped half an interval before the write, so
    // it is not probed again at once, but half an interval later.
    const hung = await reachableCluster({ mode: 'hang' });
    const hungId = await register(hung.kubeconfigYaml);
    expect(await t.gw.health.sweep()).toBe(1);
    writtenBy = Date.now();
    const at = await stamp(hungId);
    expect(writtenBy - at).toBeGreaterThanOrEqual(400);
    expect(writtenBy - at).toBeLessThan(1_000);
    expect(await t.gw.health.sweep()).toBe(0);
    await sleep(Math.max(0, at + NEXT_ROUND_MS - Date.now()));
    expect(await t.gw.health.sweep()).toBe(1);
  });

  it('results of one sweep are stored together, yet each cluster gets its own row and its own health event, only on a visible change', async () => {
    const cs: { c: ReachableCluster; id: number; nodes: number }[] = [];
    for (let i = 0; i < 8; i++) {
      const c = await reachableCluster({ nodes: i + 1, pods: 5 });
      cs.push({ c, id: await register(c.kubeconfigYaml), nodes: i + 1 });
    }
    const mine = new Set(cs.map((x) => x.id));
    const events: number[] = [];
    const unsubscribe = t.gw.events.subscribe((e) => {
      if (e.type === 'cluster.changed' && e.change === 'health' && mine.has(e.clusterId)) events.push(e.clusterId);
    });
    try {
      // Round 1: every cluster goes UNKNOWN → HEALTHY: one event each, and each row holds its own figures.
      expect(await t.gw.health.sweep()).toBe(8);
      await waitFor('a health event per cluster', () => events.length >= 8);
      expect([...events].sort((a, b) => a - b)).toEqual([...mine].sort((a, b) => a - b));
      const after = await listed();
      for (const x of cs) expect(after.get(x.id)).toMatchObject({ health_status: 'healthy', node_count: x.nodes, pod_count: 5 });
      // Probes of a sweep keep no connection open once their result is in.
      expect(t.gw.clients.openSockets()).toBe(0);

      // Round 2: nothing a client can see changed: stored again, but no event.
      events.length = 0;
      await sleep(NEXT_ROUND_MS);
      expect(await t.gw.health.sweep()).toBe(8);
      // Round 3: one cluster changes: exactly its event.
      cs[3]!.c.handle.set({ nodes: 9 });
      await sleep(NEXT_ROUND_MS);
      expect(await t.gw.health.sweep()).toBe(8);
      await waitFor("the changed cluster's event", () => events.length >= 1);
      await sleep(200);
      expect(events).toEqual([cs[3]!.id]);
      expect((await detail(cs[3]!.id)).node_count).toBe(9);
    } finally {
      unsubscribe();
    }
  });
});
