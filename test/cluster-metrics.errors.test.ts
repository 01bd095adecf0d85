import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { startDecoy, type Decoy } from './support/decoys.js';
import { registerCluster, useTestGateway, type TestGateway } from './support/gateway.js';
import { startSeededPrometheus, type SeededPrometheus } from './support/metrics-exporter.js';
import { freePort, prometheusAvailable } from './support/prometheus.js';
import { startFaultProxy, type FaultProxy } from './support/prometheus-fault-proxy.js';
import { reachableCluster } from './support/reachable.js';

const hasPrometheus = prometheusAvailable();

let seeded: SeededPrometheus;
let holdsTransmit: FaultProxy;
let exporterDecoy: Decoy;
let blackhole: Decoy;
beforeAll(async () => {
  if (!hasPrometheus) return;
  seeded = await startSeededPrometheus();
  [holdsTransmit, exporterDecoy, blackhole] = await Promise.all([
    startFaultProxy(seeded.prom.url, 'network_transmit'),
    startDecoy('exporter'),
    startDecoy('blackhole'),
  ]);
});
afterAll(async () => {
  await Promise.all([seeded?.stop(), holdsTransmit?.close(), exporterDecoy?.close(), blackhole?.close()]);
});

/** A reachable cluster with an empty `monitoring` namespace, and the Prometheus URL set by hand when one is given. */
async function cluster(t: TestGateway, prometheusUrl?: string) {
  const c = await reachableCluster({ services: [] });
  const { id } = await registerCluster(t, { kubeconfig: c.kubeconfigYaml });
  if (prometheusUrl !== undefined)
    expect((await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { prometheus_url: prometheusUrl } })).status).toBe(200);
  return id;
}

async function settled(t: TestGateway, id: number) {
  const deadline = Date.now() + 20_000;
  while (['pending', 'running'].includes((await t.gw.discovery.status(id)).state)) {
    if (Date.now() > deadline) throw new Error('discovery did not settle');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(hasPrometheus).each(testDrivers())('cluster metrics failures on %s', (driver) => {
  const t = useTestGateway(driver, { PROMETHEUS_AUTO_DISCOVERY: 'true', DISCOVERY_TIMEOUT_SECONDS: '5', HEALTH_CHECK_INTERVAL_SECONDS: '3600' });

  it('a series that fails alone carries its error; the other four still answer', async () => {
    const id = await cluster(t, holdsTransmit.url);
    const started = Date.now();
    const res = await t.rest('GET', `/api/v1/k8s/clusters/${id}/metrics?range=1h`);
    expect(res.status, res.body.message).toBe(200);
    const { series } = res.body.data;
    expect(series.network_transmit_bytes_per_second).toMatchObject({ samples: [], error: expect.stringMatching(/no answer within 5000 ms/) });
    for (const key of ['cpu_usage_percent', 'memory_usage_percent', 'pods_running', 'network_receive_bytes_per_second']) {
      expect(series[key].error, key).toBeNull();
      expect(series[key].samples.length, key).toBe(121);
    }
    // Held to the 5 s query bound, not to the client's patience.
    expect(Date.now() - started).toBeLessThan(15_000);
    // A partial answer is not kept: the next request asks Prometheus again (and fails the same way).
    const gql = await t.gql(`{ cluster(id: "${id}") { metrics { podsRunning { error samples { v } } networkTransmitBytesPerSecond { error } } } }`);
    expect(gql.errors).toBeUndefined();
    expect(gql.data.cluster.metrics.networkTransmitBytesPerSecond.error).toMatch(/no answer within 5000 ms/);
    expect(gql.data.cluster.metrics.podsRunning.samples.at(-1).v).toBe(7);
  });

  it('no URL: PROMETHEUS_NOT_CONFIGURED (REST 409) saying where discovery stands and how to set one', async () => {
    const id = await cluster(t);
    await settled(t, id);
    const res = await t.rest('GET', `/api/v1/k8s/clusters/${id}/metrics`, { token: t.userToken });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 409, data: null, discovery_state: 'not_found' });
    expect(res.body.message).toMatch(/has no Prometheus URL: discovery state: not_found \(no Prometheus candidates/);
    expect(res.body.message).toContain(`PUT /api/v1/k8s/clusters/${id} {"prometheus_url"`);
    expect(res.body.message).toContain(`POST /api/v1/k8s/clusters/${id}/prometheus/rediscover`);
    // metricsSummary is nullable: the cluster's other fields still answer. (metrics is `ClusterMetrics!` per the
    // design, so its error nulls the cluster itself.)
    const summary = await t.gql(`{ cluster(id: "${id}") { name metricsSummary { podsRunning } } }`, undefined, { token: t.userToken });
    expect(summary.data.cluster).toMatchObject({ name: expect.any(String), metricsSummary: null });
    const metrics = await t.gql(`{ cluster(id: "${id}") { metrics { stepSeconds } } }`, undefined, { token: t.userToken });
    for (const gql of [summary, metrics]) {
      expect(gql.errors?.map((e) => e.extensions)).toEqual([
        expect.objectContaining({ code: 'PROMETHEUS_NOT_CONFIGURED', discoveryState: 'NOT_FOUND' }),
      ]);
    }
  });

  it('nothing listening: PROMETHEUS_UNREACHABLE (REST 503) with reason REFUSED', async () => {
    const id = await cluster(t, `http://127.0.0.1:${await freePort()}`);
    const res = await t.rest('GET', `/api/v1/k8s/clusters/${id}/metrics`);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 503, reason: 'REFUSED', data: null });
    expect(res.body.message).toMatch(/^Prometheus at http:\/\/127\.0\.0\.1:\d+ is unreachable: connection refused/);
    const gql = await t.gql(`{ cluster(id: "${id}") { metricsSummary { cpuUsagePercent } } }`);
    expect(gql.data.cluster.metricsSummary).toBeNull();
    expect(gql.errors?.[0]?.extensions).toMatchObject({ code: 'PROMETHEUS_UNREACHABLE', reason: 'REFUSED' });
  });

  it('something that is not Prometheus: 503 with the reason, and nothing of its body echoed', async () => {
    const id = await cluster(t, exporterDecoy.url);
    const res = await t.rest('GET', `/api/v1/k8s/clusters/${id}/metrics`);
    expect(res.status).toBe(503);
    expect(res.body.reason).toBe('HTTP_STATUS');
    expect(res.body.message).toMatch(/answered HTTP 404, not the Prometheus query API/);
    expect(res.body.message).not.toContain('404 page not found');
  });

  it('a Prometheus that never answers: 503 TIMEOUT after the 5 s bound', async () => {
    const id = await cluster(t, blackhole.url);
    const started = Date.now();
    const res = await t.rest('GET', `/api/v1/k8s/clusters/${id}/metrics`);
    expect(res.status).toBe(503);
    expect(res.body.reason).toBe('TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('an in-cluster URL for a service that does not exist: the API server proxy answer becomes 503 HTTP_STATUS', async () => {
    const id = await cluster(t, 'http://prometheus-k8s.monitoring.svc:9090');
    const res = await t.rest('GET', `/api/v1/k8s/clusters/${id}/metrics`);
    expect(res.status).toBe(503);
    expect(res.body.reason).toBe('HTTP_STATUS');
    expect(res.body.message).toMatch(/API server's proxy to service monitoring\/prometheus-k8s:9090 answered HTTP 404/);
  });

  it('a service-proxy URL that could leave the service proxy is never requested', async () => {
    const id = await cluster(t, 'http://a.b.c.svc.cluster.local:9090');
    const res = await t.rest('GET', `/api/v1/k8s/clusters/${id}/metrics`);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ reason: 'DNS' });
    expect(res.body.message).toMatch(/not <service>\.<namespace>\.svc/);
  });

  it('a disabled cluster is not contacted: 409', async () => {
    const id = await cluster(t, seeded.prom.url);
    expect((await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { enabled: false } })).status).toBe(200);
    const res = await t.rest('GET', `/api/v1/k8s/clusters/${id}/metrics`);
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/is disabled/);
  });
});
