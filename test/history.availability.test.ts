import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { HealthHistoryRepository } from '../src/fleet/health-history.repository.js';
import { HistoryRetention } from '../src/fleet/history-retention.js';
import { PeriodicClaims } from '../src/db/periodic-claims.js';
import type { HealthStatusValue } from '../src/db/schema.js';
import { testDrivers } from './support/databases.js';
import { queryRows, registerCluster, uniqueName, useTestGateway } from './support/gateway.js';
import { reachableCluster, type ReachableCluster } from './support/reachable.js';

/**
 * Health history and availability. Transitions come from real probes of a flapping simulated cluster (C6 forces each
 * result), and, for exact ratios, from rows laid down through the repository with chosen timestamps: minutes of
 * history without sleeping. Retention pruning is claimed by exactly one of two replicas.
 */
const MIN = 60_000;
const HISTORY = `query($id: ID!, $first: Int, $after: String) { cluster(id: $id) {
  healthHistory(first: $first, after: $after) { items { at from to message } pageInfo { hasNextPage endCursor } } } }`;
const AVAILABILITY = `query($id: ID!) { cluster(id: $id) { lastHealthyAt
  hour: availability(window: HOUR) { window observedSeconds reachableRatio healthyRatio lastReachableAt lastHealthyAt }
  day: availability(window: DAY) { observedSeconds } } }`;

describe.each(testDrivers())('health history and availability on %s', (driver) => {
  const t = useTestGateway(driver, { HEALTH_FLIP_THRESHOLD: '1' }, { healthMonitor: false });
  const sims: ReachableCluster[] = [];
  afterAll(async () => {
    for (const s of sims) await s.close();
  });
  const repo = () => new HealthHistoryRepository(t.gw.database.db);
  const layDown = async (clusterId: number, steps: [number, HealthStatusValue, HealthStatusValue][], now: number) =>
    repo().insert(steps.map(([ago, from, to]) => ({ clusterId, at: new Date(now - ago), from, to, message: `${from} -> ${to}` })));

  it('a flapping cluster: every committed transition is one row (from, to, message, time), newest first, paged by cursor', async () => {
    const sim = await reachableCluster({ nodes: 2 });
    sims.push(sim);
    const { id } = await registerCluster(t, { kubeconfig: sim.kubeconfigYaml, skipConnectionTest: true });
    const check = async (mode: 'ok' | 'error5xx' | 'refuse') => {
      sim.handle.set({ mode });
      await t.rest('POST', `/api/v1/k8s/clusters/${id}/test-connection`);
    };
    for (const mode of ['ok', 'ok', 'error5xx', 'ok', 'refuse', 'refuse', 'ok'] as const) await check(mode);

    const expected = [
      ['unavailable', 'healthy'],
      ['healthy', 'unavailable'],
      ['error', 'healthy'],
      ['healthy', 'error'],
      ['unknown', 'healthy'],
    ];
    const all = await t.gql(HISTORY, { id, first: 10 });
    expect(all.errors).toBeUndefined();
    const items = all.data.cluster.healthHistory.items as { at: string; from: string; to: string; message: string }[];
    expect(items.map((e) => [e.from.toLowerCase(), e.to.toLowerCase()])).toEqual(expected);
    expect(items[0]!.message).toBe('all 2 nodes Ready');
    expect(items[1]!.message).toMatch(/refused|reset|connect/i);
    expect(items[3]!.message).toMatch(/500/);
    const times = items.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    // The rows are what the database holds: one per change of the shown state, none for a repeated state.
    const stored = await queryRows<{ n: number }>(t.gw, sql`SELECT count(*)::int AS n FROM cluster_health_events WHERE cluster_id = ${id}`);
    expect(Number(stored[0]!.n)).toBe(5);

    // Pages of two: no duplicates, no gaps, the same order.
    const paged: unknown[] = [];
    let after: string | undefined;
    for (let page = 0; page < 5; page++) {
      const res = await t.gql(HISTORY, { id, first: 2, after });
      const conn = res.data.cluster.healthHistory;
      paged.push(...conn.items);
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(paged).toEqual(items);

    // REST: the same history, snake_case envelope; limit/cursor paging; a forged cursor is a 400 naming `cursor`.
    const first = await t.rest('GET', `/api/v1/k8s/clusters/${id}/health/history?limit=3`, { token: t.userToken });
    expect(first.status).toBe(200);
    expect(first.body.data.items.map((e: { from: string; to: string }) => [e.from, e.to])).toEqual(expected.slice(0, 3));
    const rest = await t.rest('GET', `/api/v1/k8s/clusters/${id}/health/history?limit=3&cursor=${first.body.data.next_cursor}`, {
      token: t.userToken,
    });
    expect(rest.body.data.items.map((e: { from: string; to: string }) => [e.from, e.to])).toEqual(expected.slice(3));
    expect(rest.body.data.next_cursor).toBeNull();
    const since = await t.rest('GET', `/api/v1/k8s/clusters/${id}/health/history?since=${encodeURIComponent(items[1]!.at)}`);
    expect(since.body.data.items).toHaveLength(2);
    const bad = await t.rest('GET', `/api/v1/k8s/clusters/${id}/health/history?cursor=bm90LWEtY3Vyc29y`);
    expect([bad.status, bad.body.field]).toEqual([400, 'cursor']);
    const badLimit = await t.rest('GET', `/api/v1/k8s/clusters/${id}/health/history?limit=0`);
    expect([badLimit.status, badLimit.body.field]).toEqual([400, 'limit']);
    expect((await t.rest('GET', '/api/v1/k8s/clusters/999999/health/history')).status).toBe(404);

    // Disabling shows UNKNOWN: that committed change is history too.
    await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { enabled: false } });
    const afterDisable = await t.gql(HISTORY, { id, first: 1 });
    expect(afterDisable.data.cluster.healthHistory.items[0]).toMatchObject({ from: 'HEALTHY', to: 'UNKNOWN', message: 'cluster is disabled' });
  });

  it('availability is time in HEALTHY or WARNING (healthyRatio) and with ERROR (reachableRatio) over observed time, exactly', async () => {
    const { id } = await registerCluster(t, {
      kubeconfig: (await reachableCluster()).kubeconfigYaml,
      skipConnectionTest: true,
      name: uniqueName('av'),
    });
    const now = Date.now();
    // First probe two hours ago; in the last hour: 10 min HEALTHY, 10 WARNING, 10 ERROR, the rest UNAVAILABLE. The hour
    // opens and closes UNAVAILABLE, so the ratios do not depend on how many milliseconds pass before the query.
    await layDown(
      id,
      [
        [120 * MIN, 'unknown', 'unavailable'],
        [50 * MIN, 'unavailable', 'healthy'],
        [40 * MIN, 'healthy', 'warning'],
        [30 * MIN, 'warning', 'error'],
        [20 * MIN, 'error', 'unavailable'],
      ],
      now,
    );
    const res = await t.gql(AVAILABILITY, { id });
    expect(res.errors).toBeUndefined();
    const c = res.data.cluster;
    expect(c.hour).toMatchObject({ window: 'HOUR', observedSeconds: 3600, healthyRatio: 1 / 3, reachableRatio: 0.5 });
    expect(Date.parse(c.hour.lastHealthyAt)).toBe(now - 30 * MIN);
    expect(Date.parse(c.hour.lastReachableAt)).toBe(now - 20 * MIN);
    expect(Date.parse(c.lastHealthyAt)).toBe(now - 30 * MIN);
    // DAY: observed time starts at the first probe, two hours ago (not 24 h).
    expect(c.day.observedSeconds).toBe(7200);

    const rest = await t.rest('GET', `/api/v1/k8s/clusters/${id}/availability?window=1h`, { token: t.userToken });
    expect(rest.status).toBe(200);
    expect(rest.body.data).toMatchObject({ window: '1h', observed_seconds: 3600, healthy_ratio: 1 / 3, reachable_ratio: 0.5 });
    const bad = await t.rest('GET', `/api/v1/k8s/clusters/${id}/availability?window=2h`);
    expect([bad.status, bad.body.field]).toEqual([400, 'window']);
  });

  it('with a pinned clock: UNKNOWN (disabled) time is not observed, and a cluster never probed has no ratio', async () => {
    const { id } = await registerCluster(t, { kubeconfig: (await reachableCluster()).kubeconfigYaml, skipConnectionTest: true });
    const { id: never } = await registerCluster(t, { kubeconfig: (await reachableCluster()).kubeconfigYaml, skipConnectionTest: true });
    const now = Date.parse('2030-01-01T12:00:00Z');
    await layDown(
      id,
      [
        [45 * MIN, 'unknown', 'healthy'],
        [35 * MIN, 'healthy', 'error'],
        [30 * MIN, 'error', 'unknown'],
        [10 * MIN, 'unknown', 'warning'],
      ],
      now,
    );
    const sums = await repo().windowSums([id, never], new Date(now - 60 * MIN), new Date(now));
    // Observed: 10 HEALTHY + 5 ERROR + 10 WARNING = 25 min; the 20 disabled minutes and the 15 before the probe are not.
    expect(sums.get(id)).toEqual({ observed: 25 * 60, healthy: 20 * 60, reachable: 25 * 60 });
    expect(sums.get(never)).toBeUndefined();
    const res = await t.gql(
      `query($id: ID!) { cluster(id: $id) { lastHealthyAt availability(window: WEEK) { observedSeconds healthyRatio reachableRatio } } }`,
      { id: never },
    );
    expect(res.data.cluster).toEqual({ lastHealthyAt: null, availability: { observedSeconds: 0, healthyRatio: null, reachableRatio: null } });
  });

  it('a list asks for availability and lastHealthyAt of every cluster in one request', async () => {
    const res = await t.gql(`{ clusters { items { id lastHealthyAt availability(window: HOUR) { observedSeconds } } } }`);
    expect(res.errors).toBeUndefined();
    const items = res.data.clusters.items as { lastHealthyAt: string | null; availability: { observedSeconds: number } }[];
    expect(items.length).toBeGreaterThanOrEqual(3);
    // The exact-ratio cluster of the test above is among them with its own figures, not another cluster's.
    expect(items.filter((c) => c.availability.observedSeconds === 3600)).toHaveLength(1);
  });

  it('retention: of two replicas pruning at once exactly one claims the interval; each cluster keeps its newest row before the cutoff', async () => {
    const { id } = await registerCluster(t, { kubeconfig: (await reachableCluster()).kubeconfigYaml, skipConnectionTest: true });
    const now = Date.now();
    const DAY = 24 * 60 * MIN;
    await layDown(
      id,
      [
        [200 * DAY, 'unknown', 'healthy'],
        [150 * DAY, 'healthy', 'error'],
        [100 * DAY, 'error', 'healthy'],
        [10 * DAY, 'healthy', 'warning'],
      ],
      now,
    );
    const replicas = ['replica-a', 'replica-b'].map(
      (replicaId) =>
        new HistoryRetention(repo(), new PeriodicClaims(t.gw.database.db), t.gw.logger, { retentionDays: 90, intervalSeconds: 3600, replicaId }),
    );
    const outcomes = await Promise.all(replicas.map((r) => r.pruneOnce()));
    expect(outcomes.filter((o) => o.claimed)).toHaveLength(1);
    expect(outcomes.reduce((n, o) => n + o.deleted, 0)).toBe(2);
    const left = await queryRows<{ to_status: string }>(t.gw, sql`SELECT to_status FROM cluster_health_events WHERE cluster_id = ${id} ORDER BY at`);
    expect(left.map((r) => r.to_status)).toEqual(['healthy', 'warning']);
    // Within the interval nobody prunes again, whichever replica asks.
    expect(await t.gw.historyRetention.pruneOnce()).toEqual({ claimed: false, deleted: 0 });
    // The month still opens in the state the kept row records.
    const sums = await repo().windowSums([id], new Date(now - 30 * DAY), new Date(now));
    expect(sums.get(id)).toMatchObject({ observed: 30 * 24 * 3600, healthy: 30 * 24 * 3600 });
  });
});
