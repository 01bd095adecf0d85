import { afterAll, describe, expect, it } from 'vitest';
import { testDrivers } from './databases.js';
import { registerCluster, type TestGateway, uniqueName, useTestGateway } from './gateway.js';
import { type HostileBehaviour, HOSTILE_BODY_MARKER, HostileKubeServer } from './hostile-kube-server.js';
import { useReachableCluster } from './suite-fixtures.js';

/**
 * The shared shape of the hostile-cluster sweep suites: a gateway with its background health monitor on a short
 * interval, one healthy simulated cluster, and per case a hostile API server registered through C3 while it still
 * behaves and then switched to misbehave. Each case asserts what a user would notice: the hostile cluster ends in the
 * expected state with a reason, the healthy one keeps being probed on time, `/healthz` stays fast, memory and the
 * requests sent to the hostile server stay bounded.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Timeouts short enough for quick tests, long enough that a healthy probe on a loaded 2-core machine is in time. */
export const CONNECT_TIMEOUT_MS = 1_500;
export const REQUEST_TIMEOUT_MS = 1_500;
/** What the gateway derives from the two (gateway.ts): connect + 2 × request. */
export const PROBE_DEADLINE_MS = CONNECT_TIMEOUT_MS + 2 * REQUEST_TIMEOUT_MS;
export const HOSTILE_ENV = {
  HEALTH_CHECK_INTERVAL_SECONDS: '1',
  HEALTH_FLIP_THRESHOLD: '1',
  KUBE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
  KUBE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
};

/** `/healthz` latencies and the process's memory, sampled while a hostile cluster is being dealt with. */
export function watchVitals(gatewayUrl: string, everyMs = 100) {
  const latencies: number[] = [];
  const before = process.memoryUsage();
  let maxRss = before.rss;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      const res = await fetch(`${gatewayUrl}/healthz`);
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
      maxRss = Math.max(maxRss, process.memoryUsage().rss);
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const sorted = [...latencies].sort((a, b) => a - b);
      return {
        samples: sorted.length,
        medianMs: sorted[Math.floor(sorted.length / 2)] ?? 0,
        maxMs: sorted[sorted.length - 1] ?? 0,
        rssGrowthMb: (maxRss - before.rss) / 1024 / 1024,
      };
    },
  };
}

export interface HostileSweepCase {
  behaviour: HostileBehaviour;
  /** The stored health the hostile cluster must end in, and the reason it must give. */
  status: 'error' | 'unavailable';
  message: RegExp;
  /** Most requests to one path per probe (a probe asks `/version` once). */
  perProbe: Partial<Record<'/api/v1/pods' | '/api/v1/nodes', number>>;
}

interface StoredHealth {
  health_status: string;
  health_message: string | null;
  last_connected_at: string | null;
}

async function stored(t: TestGateway, id: number): Promise<StoredHealth> {
  const res = await t.rest('GET', `/api/v1/k8s/clusters/${id}`);
  expect(res.status).toBe(200);
  return res.body.data;
}

/** Registers `cases` as one describe block per test driver. */
export function describeHostileSweep(title: string, cases: HostileSweepCase[]): void {
  describe.each(testDrivers())(`${title} on %s`, (driver) => {
    const t = useTestGateway(driver, HOSTILE_ENV);
    const healthy = useReachableCluster({ nodes: 2, pods: 7 });
    const hostiles: HostileKubeServer[] = [];
    afterAll(async () => {
      for (const h of hostiles) await h.close();
    });

    it.each(cases)('$behaviour → $status', async ({ behaviour, status, message, perProbe }) => {
      const hostile = await HostileKubeServer.start('healthy');
      hostiles.push(hostile);
      const healthyId = (await registerCluster(t, { kubeconfig: healthy.kubeconfigYaml, name: uniqueName('healthy') })).id;
      // C3 accepts it while it still behaves; the compromise comes later.
      const { id } = await registerCluster(t, { kubeconfig: hostile.kubeconfigYaml(), name: uniqueName(`hostile-${behaviour}`) });
      const healthyBefore = (await stored(t, healthyId)).last_connected_at;

      const vitals = watchVitals(t.url);
      const windowStart = Date.now();
      hostile.behave(behaviour);
      let last: StoredHealth | undefined;
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        last = await stored(t, id);
        if (last.health_status === status && message.test(last.health_message ?? '')) break;
        await sleep(100);
      }
      // Keep watching a while longer: the hostile cluster is probed again and again meanwhile. Requests are counted
      // from here, when every probe under way already meets the misbehaviour.
      hostile.clearCounts();
      await sleep(2_500);
      const windowEnd = Date.now();
      const v = await vitals.stop();

      expect(last?.health_status, last?.health_message ?? '').toBe(status);
      expect(last?.health_message).toMatch(message);
      expect(last?.health_message).not.toContain(HOSTILE_BODY_MARKER);

      // The healthy cluster was probed on time throughout (interval 1 s): never a gap of more than 2.5 s.
      const probesOfHealthy = healthy.handle.requestLog
        .filter((e) => e.path === '/version' && e.at >= windowStart && e.at <= windowEnd)
        .map((e) => e.at);
      const points = [windowStart, ...probesOfHealthy, windowEnd];
      const gaps = points.slice(1).map((at, i) => at - points[i]!);
      expect(probesOfHealthy.length, `healthy probes in ${windowEnd - windowStart} ms`).toBeGreaterThanOrEqual(2);
      expect(Math.max(...gaps), 'longest wait between two probes of the healthy cluster (ms)').toBeLessThan(2_500);
      const healthyAfter = await stored(t, healthyId);
      expect(healthyAfter.health_status).toBe('healthy');
      expect(Date.parse(healthyAfter.last_connected_at!)).toBeGreaterThan(Date.parse(healthyBefore!));

      // /healthz stayed fast; memory stayed bounded.
      expect(v.samples).toBeGreaterThan(10);
      expect(v.medianMs, '/healthz median (ms)').toBeLessThan(100);
      expect(v.maxMs, '/healthz slowest (ms)').toBeLessThan(500);
      expect(v.rssGrowthMb, 'RSS growth (MB)').toBeLessThan(100);

      // Requests to the hostile server: bounded per probe (one probe may have begun before the count did).
      const probes = hostile.requests('/version');
      for (const [path, most] of Object.entries(perProbe)) expect(hostile.requests(path), path).toBeLessThanOrEqual((probes + 1) * most);
      console.info(
        `[hostile ${driver}] ${behaviour}: ${probes} probes, ${hostile.requests()} requests, healthy probes ${probesOfHealthy.length} (longest gap ${Math.max(...gaps)} ms), ` +
          `/healthz median ${v.medianMs.toFixed(1)} ms max ${v.maxMs.toFixed(1)} ms, RSS +${v.rssGrowthMb.toFixed(1)} MB`,
      );

      // Deleting the cluster lets go of every connection to it.
      expect((await t.rest('DELETE', `/api/v1/k8s/clusters/${id}`)).status).toBe(200);
      expect((await t.rest('DELETE', `/api/v1/k8s/clusters/${healthyId}`)).status).toBe(200);
      const closedBy = Date.now() + 5_000;
      while (hostile.openConnections() > 0 && Date.now() < closedBy) await sleep(50);
      expect(hostile.openConnections()).toBe(0);
    });
  });
}
