/**
 * Issue 15 item 6: `metrics(range: HOUR)` for 100 clusters requested at once by one GraphQL query, against a real
 * Prometheus (seeded with an hour of the exporter's series, test/support/metrics-exporter.ts). Half the clusters reach
 * it through their simulated API server's service proxy (`*.svc` URL), half directly. Reported: wall time of the query
 * and the number of `query_range` requests that reached Prometheus (from its own request counter), cold and cached.
 *
 *   export PATH="$(sh scripts/node24.sh --bin-dir):$PATH"; node --import tsx bench/cluster-metrics.ts [--clusters 100]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '../src/auth/jwt.js';
import { loadConfig } from '../src/config.js';
import { startGateway } from '../src/gateway.js';
import { KubeSimulator } from '../tools/kube-simulator/index.js';
import { startSeededPrometheus } from '../test/support/metrics-exporter.js';
import { prometheusRequestCount } from '../test/support/prometheus.js';
import { flags, round } from './lib.js';

const SERIES = '{ error samples { t v } }';
const QUERY = `{ clusters { items { id metrics(range: HOUR) { stepSeconds cpuUsagePercent ${SERIES} memoryUsagePercent ${SERIES} podsRunning ${SERIES} networkReceiveBytesPerSecond ${SERIES} networkTransmitBytesPerSecond ${SERIES} } } } }`;

async function main(): Promise<void> {
  const count = Number(flags().get('clusters') ?? 100);
  const seeded = await startSeededPrometheus();
  const sim = await KubeSimulator.start({ nodes: 1, pods: 1 });
  const dataDir = mkdtempSync(join(tmpdir(), 'kgw-bench-metrics-'));
  const secret = randomBytes(24).toString('hex');
  const gw = await startGateway(
    loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      JWT_SECRET: secret,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'silent',
      PROMETHEUS_AUTO_DISCOVERY: 'false',
      HEALTH_CHECK_INTERVAL_SECONDS: '3600',
    }),
    { healthMonitor: false },
  );
  const token = signToken(secret, { sub: 'bench', role: 'admin' });
  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    return { bytes: text.length, json: JSON.parse(text) as { data?: any; errors?: { message: string }[] } };
  };
  try {
    for (let i = 0; i < count; i++) {
      const inCluster = i % 2 === 0;
      const handle = sim.addCluster({
        nodes: 1,
        pods: 1,
        services: inCluster
          ? [{ name: 'prometheus-k8s', namespace: 'monitoring', ports: [{ name: 'web', port: 9090, upstream: seeded.prom.url }] }]
          : [],
      });
      const input = { name: `bench-metrics-${i}`, kubeconfig: handle.kubeconfig({ auth: 'token' }), skipConnectionTest: true };
      const created = await gql('mutation($input: CreateClusterInput!) { createCluster(input: $input) { id } }', { input });
      const id = created.json.data.createCluster.id;
      const prometheusUrl = inCluster ? 'http://prometheus-k8s.monitoring.svc:9090' : seeded.prom.url;
      const updated = await gql('mutation($id: ID!, $input: UpdateClusterInput!) { updateCluster(id: $id, input: $input) { id } }', {
        id,
        input: { prometheusUrl },
      });
      if (updated.json.errors) throw new Error(updated.json.errors[0]!.message);
    }
    const run = async () => {
      const before = await prometheusRequestCount(seeded.prom, '/api/v1/query_range');
      const started = performance.now();
      const { bytes, json } = await gql(QUERY);
      const wallMs = performance.now() - started;
      const items = (json.data?.clusters.items ?? []) as { metrics: Record<string, { error: string | null; samples: unknown[] }> }[];
      const seriesErrors = items.reduce((n, c) => n + Object.values(c.metrics).filter((s) => typeof s === 'object' && s.error).length, 0);
      const samples = items.reduce((n, c) => n + c.metrics.cpuUsagePercent!.samples.length, 0);
      return {
        wallMs: round(wallMs, 1),
        prometheusQueries: (await prometheusRequestCount(seeded.prom, '/api/v1/query_range')) - before,
        clusters: items.length,
        graphqlErrors: json.errors?.length ?? 0,
        seriesErrors,
        cpuSamplesPerCluster: items.length ? round(samples / items.length, 1) : 0,
        responseMB: round(bytes / 1024 / 1024, 2),
      };
    };
    const cold = await run();
    const cached = await run();
    console.log(
      JSON.stringify({
        bench: 'cluster-metrics',
        clusters: count,
        inClusterViaServiceProxy: Math.ceil(count / 2),
        direct: Math.floor(count / 2),
        cold,
        cached,
      }),
    );
  } finally {
    await gw.close();
    await sim.close();
    await seeded.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
