import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDrivers } from './support/databases.js';
import { uniqueName } from './support/gateway.js';
import { type GatewayProcess, processToken, restCall, startGatewayProcess } from './support/processes.js';
import { reachableCluster, type ReachableCluster } from './support/reachable.js';

/**
 * Two gateway processes on one PostgreSQL share the health work: each cluster is probed once per interval in total,
 * not once per replica (the round is claimed in the database with a lease). Real PostgreSQL only.
 */
const hasPostgres = testDrivers().includes('postgres');
if (!hasPostgres) console.warn('[test] TEST_DATABASE_URL is not set: the two-replica health test (real PostgreSQL) is skipped');

const INTERVAL_S = 2;

describe.skipIf(!hasPostgres)('two replicas probe each cluster once per interval', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: GatewayProcess;
  let b: GatewayProcess;
  const clusters: ReachableCluster[] = [];
  const admin = processToken();

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const env = { PROMETHEUS_AUTO_DISCOVERY: 'false', HEALTH_CHECK_INTERVAL_SECONDS: String(INTERVAL_S), HEALTH_CHECK_CONCURRENCY: '4' };
    [a, b] = await Promise.all([startGatewayProcess({ databaseUrl: database.url!, env }), startGatewayProcess({ databaseUrl: database.url!, env })]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await Promise.all([database?.dispose(), ...clusters.map((c) => c.close())]);
  });

  it('each cluster sees about one probe per interval across both replicas, and both replicas serve the result', async () => {
    for (let i = 0; i < 3; i++) {
      const c = await reachableCluster({ nodes: 2 });
      clusters.push(c);
      const res = await restCall((i % 2 ? b : a).url, admin, 'POST', '/api/v1/k8s/clusters', {
        name: uniqueName('rep'),
        kubeconfig: c.kubeconfigBase64,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    for (const c of clusters) c.handle.clearLog();
    const windowMs = 9_000;
    await new Promise((r) => setTimeout(r, windowMs));
    // Every probe asks /version exactly once. One replica alone would probe about windowMs / interval times; two
    // uncoordinated replicas twice that.
    const expected = windowMs / 1000 / INTERVAL_S;
    for (const c of clusters) {
      const probes = c.handle.requestLog.filter((r) => r.path === '/version').length;
      expect(probes, `cluster ${c.handle.id}: ${probes} probes in ${windowMs} ms`).toBeGreaterThanOrEqual(2);
      expect(
        probes,
        `cluster ${c.handle.id}: ${probes} probes in ${windowMs} ms (two uncoordinated replicas would make ~${2 * expected})`,
      ).toBeLessThanOrEqual(Math.ceil(expected) + 1);
    }
    for (const gw of [a, b]) {
      const list = await restCall(gw.url, admin, 'GET', '/api/v1/k8s/clusters');
      const healthy = (list.body.data.clusters as { health_status: string; node_count: number }[]).filter(
        (c) => c.health_status === 'healthy' && c.node_count === 2,
      );
      expect(healthy).toHaveLength(3);
    }
  });
});
