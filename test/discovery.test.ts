import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { startDecoy, type Decoy } from './support/decoys.js';
import { startTestGateway, type TestGateway, uniqueName } from './support/gateway.js';
import type { SimService } from '../tools/kube-simulator/index.js';
import { prometheusAvailable, startPrometheus, type RealPrometheus } from './support/prometheus.js';
import { reachableCluster } from './support/reachable.js';

const hasPrometheus = prometheusAvailable();

describe.runIf(hasPrometheus).each(testDrivers())('Prometheus discovery against a real Prometheus on %s', (driver) => {
  let t: TestGateway;
  let prom: RealPrometheus;
  let promPrefixed: RealPrometheus;
  let exporter: Decoy;
  let vmagent: Decoy;
  let blackhole: Decoy;

  beforeAll(async () => {
    [t, prom, promPrefixed, exporter, vmagent, blackhole] = await Promise.all([
      startTestGateway(driver, { PROMETHEUS_AUTO_DISCOVERY: 'true', DISCOVERY_TIMEOUT_SECONDS: '5', HEALTH_CHECK_INTERVAL_SECONDS: '3600' }),
      startPrometheus(),
      startPrometheus({ routePrefix: '/prom' }),
      startDecoy('exporter'),
      startDecoy('vmagent'),
      startDecoy('blackhole'),
    ]);
  });
  afterAll(async () => {
    await Promise.all([t?.close(), prom?.stop(), promPrefixed?.stop(), exporter?.close(), vmagent?.close(), blackhole?.close()]);
  });

  async function register(services: SimService[], extra: Parameters<typeof reachableCluster>[0] = {}) {
    const cluster = await reachableCluster({ services, ...extra });
    const res = await t.rest('POST', '/api/v1/k8s/clusters', { body: { name: uniqueName('disc'), kubeconfig: cluster.kubeconfigBase64 } });
    expect(res.status).toBe(201);
    return { id: res.body.data.id as number, cluster };
  }

  async function settled(id: number, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await t.gw.discovery.status(id);
      if (!['pending', 'running'].includes(status.state)) return status;
      if (Date.now() > deadline) throw new Error(`discovery still ${status.state}: ${status.message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const promService = (name: string, namespace: string, upstream: string, labels: Record<string, string> = {}): SimService => ({
    name,
    namespace,
    labels,
    ports: [{ name: 'http', port: 9090, upstream }],
  });

  it('finds a labelled Prometheus after C3 and stores its in-cluster URL with source AUTO', async () => {
    const { id } = await register([promService('prometheus-server', 'monitoring', prom.url, { app: 'prometheus', component: 'server' })]);
    const status = await settled(id);
    expect(status.state).toBe('found');
    expect(status.prometheusUrl).toBe('http://prometheus-server.monitoring.svc.cluster.local:9090');
    expect(status.message).toMatch(/found Prometheus \d+\.\d+/);
    const c2 = await t.rest('GET', `/api/v1/k8s/clusters/${id}`);
    expect(c2.body.data).toMatchObject({ prometheus_url: 'http://prometheus-server.monitoring.svc.cluster.local:9090', prometheus_source: 'auto' });
  });

  it('follows a prometheus-operator Prometheus object with its routePrefix', async () => {
    const { id } = await register(
      [promService('prometheus-operated', 'observability', promPrefixed.url.replace(/\/prom$/, ''), { 'operated-prometheus': 'true' })],
      {
        prometheuses: [{ name: 'k8s', namespace: 'observability', routePrefix: '/prom' }],
      },
    );
    const status = await settled(id);
    expect(status.state).toBe('found');
    expect(status.prometheusUrl).toBe('http://prometheus-operated.observability.svc.cluster.local:9090/prom');
    expect(status.message).toMatch(/operator/);
  });

  it('never chooses a look-alike (exporter, vmagent) and still finds the real one behind them', async () => {
    const { id } = await register([
      {
        name: 'node-exporter',
        namespace: 'monitoring',
        labels: { 'app.kubernetes.io/name': 'prometheus' },
        ports: [{ name: 'http', port: 9100, upstream: exporter.url }],
      },
      {
        name: 'vmagent',
        namespace: 'monitoring',
        labels: { 'app.kubernetes.io/part-of': 'kube-prometheus-stack' },
        ports: [{ name: 'http', port: 8429, upstream: vmagent.url }],
      },
      promService('prometheus-k8s', 'kube-prometheus', prom.url),
    ]);
    const status = await settled(id);
    expect(status.state).toBe('found');
    expect(status.prometheusUrl).toBe('http://prometheus-k8s.kube-prometheus.svc.cluster.local:9090');
    expect(status.candidatesChecked).toBe(3);
  });

  it('reports NOT_FOUND when only look-alikes exist, and when there is nothing at all', async () => {
    const decoys = await register([
      { name: 'prometheus-server', namespace: 'monitoring', ports: [{ name: 'http', port: 9090, upstream: exporter.url }] },
      {
        name: 'vm',
        namespace: 'default',
        labels: { app: 'prometheus', component: 'server' },
        ports: [{ name: 'web', port: 8429, upstream: vmagent.url }],
      },
    ]);
    const none = await register([]);
    const [a, b] = await Promise.all([settled(decoys.id), settled(none.id)]);
    expect(a.state).toBe('not_found');
    expect(a.candidatesChecked).toBe(2);
    expect(a.message).toMatch(/not Prometheus build info/);
    expect(b.state).toBe('not_found');
    expect(b.message).toMatch(/no Prometheus candidates/);
    expect((await t.rest('GET', `/api/v1/k8s/clusters/${decoys.id}`)).body.data.prometheus_url).toBe('');
  });

  it('fails the task when the whole-task timeout passes (a candidate that never answers)', async () => {
    const started = Date.now();
    const { id } = await register([promService('prometheus-server', 'monitoring', blackhole.url)]);
    const status = await settled(id, 20_000);
    expect(status.state).toBe('failed');
    expect(status.message).toMatch(/timed out after 5 s|did not answer in time/);
    expect(Date.now() - started).toBeLessThan(12_000);
  });

  it('C7: 202 with the contract message, 409 while active, 409 when set by hand, 404 unknown', async () => {
    const { id } = await register([promService('prometheus-server', 'monitoring', blackhole.url)]);
    const busy = await t.rest('POST', `/api/v1/k8s/clusters/${id}/prometheus/rediscover`, { token: t.userToken });
    expect(busy.status).toBe(409);
    expect(busy.body.message).toMatch(/already running/);
    await settled(id, 20_000);
    const ok = await t.rest('POST', `/api/v1/k8s/clusters/${id}/prometheus/rediscover`, { token: t.userToken });
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({ code: 202, message: 'Prometheus 重新检测任务已启动，请稍后刷新查看结果' });
    expect(ok.body.data.cluster_id).toBe(id);
    expect(ok.body.data.task_started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { prometheus_url: 'https://prom.example.com' } });
    const manual = await t.rest('POST', `/api/v1/k8s/clusters/${id}/prometheus/rediscover`);
    expect(manual.status).toBe(409);
    expect(manual.body.message).toMatch(/set by hand/);
    expect((await t.rest('POST', '/api/v1/k8s/clusters/99999/prometheus/rediscover')).status).toBe(404);
    expect((await t.rest('POST', `/api/v1/k8s/clusters/${id}/prometheus/rediscover`, { token: null })).status).toBe(401);
  });

  it('exactly one 202 under 20 parallel C7 calls', async () => {
    const { id } = await register([promService('prometheus-server', 'monitoring', prom.url)]);
    await settled(id);
    const results = await Promise.all(Array.from({ length: 20 }, () => t.rest('POST', `/api/v1/k8s/clusters/${id}/prometheus/rediscover`)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    expect((await settled(id)).state).toBe('found');
  });

  it('a manual prometheus_url cancels the running task and is never overwritten by it', async () => {
    const { id } = await register([promService('prometheus-server', 'monitoring', blackhole.url)]);
    expect((await t.gw.discovery.status(id)).state).toMatch(/pending|running/);
    const put = await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { prometheus_url: 'https://prom.example.com' } });
    expect(put.body.data).toMatchObject({ prometheus_url: 'https://prom.example.com', prometheus_source: 'manual' });
    const status = await settled(id);
    expect(status.state).toBe('cancelled');
    expect(status.message).toMatch(/set by hand/);
    expect((await t.rest('GET', `/api/v1/k8s/clusters/${id}`)).body.data.prometheus_url).toBe('https://prom.example.com');
  });

  it('C5 cancels the running task', async () => {
    const { id } = await register([promService('prometheus-server', 'monitoring', blackhole.url)]);
    expect((await t.rest('DELETE', `/api/v1/k8s/clusters/${id}`)).status).toBe(200);
    const status = await settled(id);
    expect(status.state).toBe('cancelled');
    expect(status.message).toMatch(/deleted/);
  });

  it('GraphQL rediscoverPrometheus and Cluster.discovery show the same task', async () => {
    const { id } = await register([promService('prometheus-server', 'monitoring', prom.url)]);
    await settled(id);
    const res = await t.gql('mutation($id: ID!) { rediscoverPrometheus(id: $id) { clusterId taskId state } }', { id: String(id) });
    expect(res.errors).toBeUndefined();
    expect(res.data.rediscoverPrometheus).toMatchObject({ clusterId: String(id), state: 'PENDING' });
    await settled(id);
    const q = await t.gql(
      'query($id: ID!) { cluster(id: $id) { prometheusUrl prometheusSource discovery { taskId state prometheusUrl candidatesChecked finishedAt } } }',
      { id: String(id) },
    );
    expect(q.data.cluster.discovery).toMatchObject({ taskId: res.data.rediscoverPrometheus.taskId, state: 'FOUND', candidatesChecked: 1 });
    expect(q.data.cluster).toMatchObject({ prometheusSource: 'AUTO', prometheusUrl: 'http://prometheus-server.monitoring.svc.cluster.local:9090' });
    const conflict = await t.gql('mutation($id: ID!) { a: rediscoverPrometheus(id: $id) { state } }', { id: String(id) });
    expect(conflict.errors ?? []).toHaveLength(0);
    const second = await t.gql('mutation($id: ID!) { rediscoverPrometheus(id: $id) { state } }', { id: String(id) });
    expect(second.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });
});
