import { afterAll, describe, expect, it } from 'vitest';
import { MAX_LIST_PAGES } from '../src/kube/probe.js';
import { registerCluster, uniqueName, useTestGateway } from './support/gateway.js';
import { HOSTILE_ENV, PROBE_DEADLINE_MS, watchVitals } from './support/hostile-cluster-suite.js';
import { type HostileBehaviour, HOSTILE_BODY_MARKER, HostileKubeServer } from './support/hostile-kube-server.js';
import { useReachableCluster } from './support/suite-fixtures.js';

/**
 * Issue 11: C3 (the connection test before a cluster is saved) and C6 (test-connection of a stored one) against a
 * hostile API server. Both are held to the whole-probe deadline and the per-request byte caps; C3 answers in fixed
 * words per reason (no remote body, no per-port detail: it must not work as a port scanner for admins) and stores
 * nothing it refused. Meanwhile the background monitor keeps probing a healthy cluster on time and `/healthz` stays
 * fast. PGlite only: every bound under test lives in the kube layer, before anything reaches the database.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** What C3 and C6 may take at most: the probe deadline plus room for a loaded machine. */
const ANSWER_BOUND_MS = PROBE_DEADLINE_MS + 3_000;
const NOT_KUBERNETES = 'the server did not answer as a Kubernetes API server';

interface ConnectionCase {
  behaviour: HostileBehaviour;
  /** C3: refused with this reason, or accepted (the server is Kubernetes; only its best-effort figures misbehave). */
  c3: { refused: string; words: string } | 'accepted';
  /** C6: unreachable with this reason, or connected with the stored health and reason the probe found. */
  c6: { unreachable: string } | { connected: 'error' | 'unavailable'; message: RegExp };
}

const CASES: ConnectionCase[] = [
  { behaviour: 'endless-continue', c3: 'accepted', c6: { connected: 'error', message: new RegExp(`did not end within ${MAX_LIST_PAGES} pages`) } },
  { behaviour: 'repeated-continue', c3: 'accepted', c6: { connected: 'error', message: /repeated a continue token/ } },
  { behaviour: 'slow-pages', c3: 'accepted', c6: { connected: 'unavailable', message: /probe deadline/ } },
  { behaviour: 'huge-list', c3: 'accepted', c6: { connected: 'error', message: /listing nodes failed: .*more than 16 MiB/ } },
  { behaviour: 'upgrade', c3: { refused: 'API_ERROR', words: NOT_KUBERNETES }, c6: { unreachable: 'API_ERROR' } },
  { behaviour: 'gzip-bomb', c3: { refused: 'API_ERROR', words: NOT_KUBERNETES }, c6: { unreachable: 'API_ERROR' } },
  { behaviour: 'deflate-bomb', c3: { refused: 'API_ERROR', words: NOT_KUBERNETES }, c6: { unreachable: 'API_ERROR' } },
  { behaviour: 'br-bomb', c3: { refused: 'API_ERROR', words: NOT_KUBERNETES }, c6: { unreachable: 'API_ERROR' } },
  { behaviour: 'unknown-encoding', c3: { refused: 'API_ERROR', words: NOT_KUBERNETES }, c6: { unreachable: 'API_ERROR' } },
  { behaviour: 'endless-stream', c3: { refused: 'API_ERROR', words: NOT_KUBERNETES }, c6: { unreachable: 'API_ERROR' } },
  { behaviour: 'not-kubernetes', c3: { refused: 'API_ERROR', words: NOT_KUBERNETES }, c6: { unreachable: 'API_ERROR' } },
  { behaviour: 'slow-drip', c3: { refused: 'TIMEOUT', words: 'no complete answer in time' }, c6: { unreachable: 'TIMEOUT' } },
];

describe('C3 and C6 against hostile API servers on pglite', () => {
  const t = useTestGateway('pglite', HOSTILE_ENV);
  const healthy = useReachableCluster({ nodes: 2, pods: 7 });
  const hostiles: HostileKubeServer[] = [];
  afterAll(async () => {
    for (const h of hostiles) await h.close();
  });

  const timed = async <T>(what: () => Promise<T>): Promise<{ value: T; ms: number }> => {
    const started = performance.now();
    const value = await what();
    return { value, ms: performance.now() - started };
  };

  it.each(CASES)('$behaviour: C3 $c3, C6 $c6', async ({ behaviour, c3, c6 }) => {
    const healthyId = (await registerCluster(t, { kubeconfig: healthy.kubeconfigYaml, name: uniqueName('healthy') })).id;
    const hostile = await HostileKubeServer.start(behaviour);
    hostiles.push(hostile);
    const vitals = watchVitals(t.url);
    const windowStart = Date.now();

    // C3 with a server that misbehaves from the start.
    const name = uniqueName(`c3-${behaviour}`);
    const created = await timed(() => t.rest('POST', '/api/v1/k8s/clusters', { body: { name, kubeconfig: hostile.kubeconfigBase64() } }));
    const c3Requests = hostile.requests();
    expect(created.ms, 'C3 answer time (ms)').toBeLessThan(ANSWER_BOUND_MS);
    // One namespace list, one /version, a page of nodes and at most 1 + MAX_LIST_PAGES pod lists.
    expect(c3Requests).toBeLessThanOrEqual(3 + 1 + MAX_LIST_PAGES);
    expect(created.value.body.message).not.toContain(HOSTILE_BODY_MARKER);
    if (c3 === 'accepted') {
      expect(created.value.status, created.value.body.message).toBe(201);
      await t.rest('DELETE', `/api/v1/k8s/clusters/${created.value.body.data.id}`);
    } else {
      expect(created.value.status).toBe(400);
      // Fixed words per reason: nothing the far end said, nothing that tells one kind of non-Kubernetes service from another.
      expect(created.value.body.message).toBe(`kubeconfig: cannot connect to the cluster (${c3.refused}): ${c3.words}`);
      const listed = await t.rest('GET', '/api/v1/k8s/clusters');
      expect(listed.body.data.clusters.map((c: { name: string }) => c.name)).not.toContain(name);
    }

    // C6 on the same server, stored without a connection test.
    const { id } = await registerCluster(t, { kubeconfig: hostile.kubeconfigYaml(), name: uniqueName(`c6-${behaviour}`), skipConnectionTest: true });
    hostile.clearCounts();
    const tested = await timed(() => t.rest('POST', `/api/v1/k8s/clusters/${id}/test-connection`));
    expect(tested.ms, 'C6 answer time (ms)').toBeLessThan(ANSWER_BOUND_MS);
    expect(tested.value.body.message).not.toContain(HOSTILE_BODY_MARKER);
    const detail = (await t.rest('GET', `/api/v1/k8s/clusters/${id}`)).body.data;
    if ('unreachable' in c6) {
      expect(tested.value.status).toBe(503);
      expect(tested.value.body.reason).toBe(c6.unreachable);
      expect(detail.health_status).toBe(c6.unreachable === 'TIMEOUT' ? 'unavailable' : 'error');
    } else {
      expect(tested.value.status, tested.value.body.message).toBe(200);
      expect(tested.value.body.data.connected).toBe(true);
      expect(detail.health_status).toBe(c6.connected);
      expect(detail.health_message).toMatch(c6.message);
    }
    expect(detail.health_message).not.toContain(HOSTILE_BODY_MARKER);
    // The background monitor probes the stored cluster too: requests stay within a few probes' worth.
    const probes = hostile.requests('/version');
    expect(hostile.requests('/api/v1/pods')).toBeLessThanOrEqual((probes + 1) * (MAX_LIST_PAGES + 1));

    // Meanwhile: the healthy cluster was probed on time, /healthz stayed fast, memory bounded.
    const minimumWindow = windowStart + 2_500 - Date.now();
    if (minimumWindow > 0) await sleep(minimumWindow);
    const windowEnd = Date.now();
    const v = await vitals.stop();
    const points = [
      windowStart,
      ...healthy.handle.requestLog.filter((e) => e.path === '/version' && e.at >= windowStart).map((e) => e.at),
      windowEnd,
    ];
    const longestGap = Math.max(...points.slice(1).map((at, i) => at - points[i]!));
    expect(longestGap, 'longest wait between two probes of the healthy cluster (ms)').toBeLessThan(2_500);
    expect(v.medianMs, '/healthz median (ms)').toBeLessThan(100);
    expect(v.maxMs, '/healthz slowest (ms)').toBeLessThan(500);
    // The bound catches the bombs (the old code grew by gigabytes); a 200k-node list legitimately parses 16 MiB pages.
    expect(v.rssGrowthMb, 'RSS growth (MB)').toBeLessThan(150);
    console.info(
      `[hostile C3/C6] ${behaviour}: C3 ${created.value.status} in ${created.ms.toFixed(0)} ms (${c3Requests} requests), C6 ${tested.value.status} in ${tested.ms.toFixed(0)} ms, ` +
        `healthy longest gap ${longestGap} ms, /healthz median ${v.medianMs.toFixed(1)} ms max ${v.maxMs.toFixed(1)} ms, RSS +${v.rssGrowthMb.toFixed(1)} MB`,
    );

    for (const gone of [id, healthyId]) expect((await t.rest('DELETE', `/api/v1/k8s/clusters/${gone}`)).status).toBe(200);
  });
});
