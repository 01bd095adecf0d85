/**
 * Issue 18, item 1: the uncached read and write paths, each against a baseline measured in the same run.
 *
 * Per database (embedded PGlite, and PostgreSQL when BENCH_DATABASE_URL is set): one gateway child (100 clusters with
 * labels and a spread of health; the first one points at a simulated cluster), one raw baseline child
 * (bench/path-baseline.ts: the same statement with the same driver on the same rows, answering the gateway's bytes),
 * both pinned to the server CPU; wrk on the load CPU. Rounds alternate baseline and gateway; each round's ratio is
 * gateway ÷ baseline; the load generator's CPU share is reported beside every figure. Then the latency at half the
 * gateway's maximum rate, gateway and baseline paced the same way (wrk's delay hook, bench/wrk.ts `pacedRun`).
 * The proxy path's baseline is the simulated cluster itself (no database), the simulator on the server CPU too.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKubeconfig } from '../src/kube/kubeconfig.js';
import type { BaselineOp, BaselineRoute } from './path-baseline.js';
import { SERVER_CPU, cpuMsOf, firstJsonLine, median, round, spawnTs, stopChild } from './lib.js';
import { type HttpRequestSpec, pacedRun, runWrk, type WrkResult } from './wrk.js';

export type Database = 'pglite' | 'postgres';

export interface PathSettings {
  databases: Database[];
  clusters: number;
  connections: number;
  rounds: number;
  durationSec: number;
  halfRateSec: number;
  /** Only these path ids (a quick run); every path when absent. */
  only?: string[];
}

interface PathDef {
  id: string;
  label: string;
  kind: 'read' | 'write';
  as: 'admin' | 'user';
  request: (clusterId: number) => HttpRequestSpec;
  /** The baseline's statement; 'simulator' sends the same request straight to the simulated cluster. */
  baseline: BaselineOp | 'simulator';
}

const gql = (query: string): Omit<HttpRequestSpec, 'headers'> & { headers: Record<string, string> } => ({
  method: 'POST',
  path: '/graphql',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query }),
});
const CLUSTER_LABELS_1 = { env: 'staging', tier: 'web', region: 'r1' };

/** The paths of the issue; cluster 1 (the default, the simulated one) is the one read and written. */
export const PATHS: PathDef[] = [
  {
    id: 'gql-cluster-small',
    label: 'GraphQL `cluster(id) { id name healthStatus nodeCount podCount }`',
    kind: 'read',
    as: 'admin',
    baseline: 'byId',
    request: (id) => gql(`{ cluster(id: "${id}") { id name healthStatus nodeCount podCount } }`),
  },
  {
    id: 'gql-cluster-full',
    label: 'GraphQL `cluster(id)`, every stored field and labels',
    kind: 'read',
    as: 'admin',
    baseline: 'byId',
    request: (id) =>
      gql(
        `{ cluster(id: "${id}") { id name isDefault enabled healthStatus healthMessage lastConnectedAt kubernetesVersion nodeCount readyNodeCount podCount prometheusUrl prometheusSource impersonate labels { key value } createdAt updatedAt } }`,
      ),
  },
  {
    id: 'gql-cluster-user',
    label: 'GraphQL `cluster(id) { id name healthStatus myRole }` as a user',
    kind: 'read',
    as: 'user',
    baseline: 'byId',
    request: (id) => gql(`{ cluster(id: "${id}") { id name healthStatus myRole } }`),
  },
  {
    id: 'gql-current',
    label: 'GraphQL `currentCluster { id name healthStatus nodeCount }`',
    kind: 'read',
    as: 'admin',
    baseline: 'default',
    request: () => gql('{ currentCluster { id name healthStatus nodeCount } }'),
  },
  {
    id: 'gql-filtered',
    label: 'GraphQL `clusters(filter: {labelSelector: "env=prod", healthStatus: [HEALTHY, WARNING]}, first: 50)`',
    kind: 'read',
    as: 'admin',
    baseline: 'filtered',
    request: () =>
      gql(
        '{ clusters(filter: { labelSelector: "env=prod", healthStatus: [HEALTHY, WARNING] }, first: 50) { total items { id name healthStatus nodeCount labels { key value } } } }',
      ),
  },
  {
    id: 'rest-c2-user',
    label: 'REST C2 `GET /api/v1/k8s/clusters/:id` as a user',
    kind: 'read',
    as: 'user',
    baseline: 'byId',
    request: (id) => ({ method: 'GET', path: `/api/v1/k8s/clusters/${id}`, headers: {} }),
  },
  {
    id: 'rest-c2-admin',
    label: 'REST C2 as an admin (kubeconfig decrypted)',
    kind: 'read',
    as: 'admin',
    baseline: 'byIdWithKubeconfig',
    request: (id) => ({ method: 'GET', path: `/api/v1/k8s/clusters/${id}`, headers: {} }),
  },
  {
    id: 'proxy-pods',
    label: 'proxy `GET …/proxy/api/v1/pods` (42 pods)',
    kind: 'read',
    as: 'admin',
    baseline: 'simulator',
    request: (id) => ({ method: 'GET', path: `/api/v1/k8s/clusters/${id}/proxy/api/v1/pods`, headers: { accept: 'application/json' } }),
  },
  {
    id: 'rest-c4',
    label: 'REST C4 `PUT /api/v1/k8s/clusters/:id` (labels)',
    kind: 'write',
    as: 'admin',
    baseline: 'update',
    request: (id) => ({
      method: 'PUT',
      path: `/api/v1/k8s/clusters/${id}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ labels: CLUSTER_LABELS_1 }),
    }),
  },
  {
    id: 'gql-update',
    label: 'GraphQL `updateCluster(id, input: {labels})`',
    kind: 'write',
    as: 'admin',
    baseline: 'update',
    request: (id) =>
      gql(
        `mutation { updateCluster(id: "${id}", input: { labels: [${Object.entries(CLUSTER_LABELS_1)
          .map(([k, v]) => `{ key: "${k}", value: "${v}" }`)
          .join(', ')}] }) { id name updatedAt } }`,
      ),
  },
];

export interface PathRound {
  baselineRps: number;
  gatewayRps: number;
  ratio: number;
  gatewayP50Ms: number;
  gatewayP99Ms: number;
  baselineP50Ms: number;
  baselineP99Ms: number;
  /** wrk's CPU share of one core while driving each server. */
  loadCpuPctGateway: number;
  loadCpuPctBaseline: number;
  /** The gateway process's CPU share of its core during its run (≈100: the gateway was the bottleneck). */
  gatewayCpuPct: number;
}

export interface PathResult {
  id: string;
  label: string;
  kind: 'read' | 'write';
  database: Database;
  bodyBytes: number;
  rounds: PathRound[];
  medianRatio: number;
  medianGatewayRps: number;
  medianBaselineRps: number;
  medianLoadCpuPct: number;
  gatewayP50Ms: number;
  halfRate: { rate: number; gatewayP50Ms: number; gatewayP99Ms: number; baselineP50Ms: number; baselineP99Ms: number };
  errors: number;
}

export interface PathsResult {
  settings: PathSettings;
  loadGenerator: string;
  paths: PathResult[];
}

interface GatewayInfo {
  url: string;
  adminToken: string;
  userToken: string;
  encryptionKey: string;
  databaseUrl?: string;
  pid: number;
  firstId: number;
}

/** The gateway's answer to a path (retried twice: a freshly started simulator may reset the very first connection). */
async function capture(url: string, req: HttpRequestSpec, attempt = 1): Promise<{ status: number; contentType: string; body: Buffer }> {
  try {
    return await captureOnce(url, req);
  } catch (err) {
    if (attempt >= 3) throw err;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return capture(url, req, attempt + 1);
  }
}

async function captureOnce(url: string, req: HttpRequestSpec): Promise<{ status: number; contentType: string; body: Buffer }> {
  const res = await fetch(new URL(req.path, url), { method: req.method, headers: req.headers, body: req.body });
  const body = Buffer.from(await res.arrayBuffer());
  const text = body.toString('utf8');
  if (res.status !== 200 || text.startsWith('{"errors"') || text.includes('"errors":['))
    throw new Error(`${req.method} ${req.path} answered ${res.status}: ${text.slice(0, 300)}`);
  return { status: res.status, contentType: res.headers.get('content-type') ?? 'application/json', body };
}

const withAuth = (req: HttpRequestSpec, token: string): HttpRequestSpec => ({
  ...req,
  headers: { ...req.headers, authorization: `Bearer ${token}` },
});

/** Latency at a given rate: wrk paced on the load CPU (bench/wrk.ts `pacedRun`). */
const fixedRate = (url: string, req: HttpRequestSpec, connections: number, durationSec: number, rate: number) =>
  pacedRun(url, req, { connections, durationSec, rate });

export async function runPaths(s: PathSettings, databaseUrl: string | undefined, log: (m: string) => void): Promise<PathsResult> {
  // The simulated cluster behind the proxy path, on the server CPU: a proxied request costs the gateway and the
  // cluster there, the direct baseline the cluster alone.
  const sim = spawnTs('bench/sim-server.ts', ['--clusters', '1', '--latency-ms', '0', '--pods', '42'], { cpu: SERVER_CPU, ipc: true });
  const out: PathResult[] = [];
  try {
    const simInfo = await firstJsonLine<{ url: string; kubeconfigFile: string }>(sim);
    const [simKubeconfig] = JSON.parse(readFileSync(simInfo.kubeconfigFile, 'utf8')) as string[];
    const kcFile = join(tmpdir(), `kgw-paths-kc-${process.pid}.yaml`);
    writeFileSync(kcFile, simKubeconfig!);
    const spec = parseKubeconfig(simKubeconfig!);
    for (const database of s.databases) {
      if (database === 'postgres' && !databaseUrl) continue;
      out.push(...(await oneDatabase(s, database, databaseUrl, kcFile, { server: spec.server, token: spec.token! }, log)));
    }
    rmSync(kcFile, { force: true });
    rmSync(simInfo.kubeconfigFile, { force: true });
  } finally {
    await stopChild(sim);
  }
  return {
    settings: s,
    loadGenerator: 'wrk (1 thread, Debian) for maximum rates, and paced (each connection waits after every answer) for the half-rate latency',
    paths: out,
  };
}

async function oneDatabase(
  s: PathSettings,
  database: Database,
  databaseUrl: string | undefined,
  kubeconfigFile: string,
  simulated: { server: string; token: string },
  log: (m: string) => void,
): Promise<PathResult[]> {
  const dump = join(tmpdir(), `kgw-paths-dump-${process.pid}.tar`);
  const gwArgs = [
    '--clusters',
    String(s.clusters),
    '--first-kubeconfig-file',
    kubeconfigFile,
    '--fleet-labels',
    ...(database === 'postgres' ? ['--database-url', databaseUrl!] : ['--dump-data-dir', dump]),
  ];
  const gwChild = spawnTs('bench/gateway-server.ts', gwArgs, { cpu: SERVER_CPU, env: { NODE_ENV: process.env.BENCH_NODE_ENV ?? 'production' } });
  let baseChild: ReturnType<typeof spawnTs> | undefined;
  const routesFile = join(tmpdir(), `kgw-paths-routes-${process.pid}.json`);
  try {
    const gw = await firstJsonLine<GatewayInfo>(gwChild);
    const reqs = PATHS.map((p) => withAuth(p.request(gw.firstId), p.as === 'admin' ? gw.adminToken : gw.userToken));
    const captured = await Promise.all(reqs.map((r) => capture(gw.url, r)));
    const routes: BaselineRoute[] = PATHS.flatMap((p, i) =>
      p.baseline === 'simulator'
        ? []
        : [
            {
              method: reqs[i]!.method,
              path: reqs[i]!.path,
              body: reqs[i]!.body,
              status: captured[i]!.status,
              contentType: captured[i]!.contentType,
              bodyBase64: captured[i]!.body.toString('base64'),
              op: p.baseline,
              id: gw.firstId,
            },
          ],
    );
    writeFileSync(routesFile, JSON.stringify({ routes }));
    const source = database === 'postgres' ? ['--database-url', gw.databaseUrl!] : ['--data-dir-dump', dump];
    baseChild = spawnTs('bench/path-baseline.ts', ['--routes', routesFile, '--encryption-key', gw.encryptionKey, ...source], { cpu: SERVER_CPU });
    const base = await firstJsonLine<{ url: string; pid: number }>(baseChild);
    const results: PathResult[] = [];
    for (const [i, p] of PATHS.entries()) {
      if (s.only && !s.only.includes(p.id)) continue;
      const gatewayReq = reqs[i]!;
      const baselineReq: HttpRequestSpec =
        p.baseline === 'simulator'
          ? { method: 'GET', path: '/api/v1/pods', headers: { accept: 'application/json', authorization: `Bearer ${simulated.token}` } }
          : gatewayReq;
      const baselineUrl = p.baseline === 'simulator' ? simulated.server : base.url;
      const urls = { gateway: gw.url, baseline: baselineUrl };
      const req = { gateway: gatewayReq, baseline: baselineReq };
      const opts = { connections: s.connections, durationSec: s.durationSec };
      for (const who of ['baseline', 'gateway'] as const) await runWrk(urls[who], req[who], { connections: s.connections, durationSec: 1 });
      const rounds: PathRound[] = [];
      let errors = 0;
      for (let r = 0; r < s.rounds; r++) {
        const res = {} as Record<'baseline' | 'gateway', WrkResult>;
        let gatewayCpuPct = 0;
        for (const who of r % 2 === 0 ? (['baseline', 'gateway'] as const) : (['gateway', 'baseline'] as const)) {
          const cpu0 = who === 'gateway' ? cpuMsOf(gw.pid) : 0;
          res[who] = await runWrk(urls[who], req[who], opts);
          if (who === 'gateway') gatewayCpuPct = round((100 * (cpuMsOf(gw.pid) - cpu0)) / (res.gateway.durationSec * 1000), 0);
        }
        errors += res.gateway.errors + res.baseline.errors;
        rounds.push({
          baselineRps: round(res.baseline.rps, 0),
          gatewayRps: round(res.gateway.rps, 0),
          ratio: round(res.gateway.rps / res.baseline.rps, 3),
          gatewayP50Ms: res.gateway.latencyMs.p50,
          gatewayP99Ms: res.gateway.latencyMs.p99,
          baselineP50Ms: res.baseline.latencyMs.p50,
          baselineP99Ms: res.baseline.latencyMs.p99,
          loadCpuPctGateway: res.gateway.loadCpuPct,
          loadCpuPctBaseline: res.baseline.loadCpuPct,
          gatewayCpuPct,
        });
      }
      const medianGatewayRps = median(rounds.map((x) => x.gatewayRps));
      const rate = Math.max(1, Math.round(medianGatewayRps / 2));
      const half = {
        gateway: await fixedRate(urls.gateway, req.gateway, s.connections, s.halfRateSec, rate),
        baseline: await fixedRate(urls.baseline, req.baseline, s.connections, s.halfRateSec, rate),
      };
      errors += half.gateway.errors;
      const row: PathResult = {
        id: p.id,
        label: p.label,
        kind: p.kind,
        database,
        bodyBytes: captured[i]!.body.length,
        rounds,
        medianRatio: median(rounds.map((x) => x.ratio)),
        medianGatewayRps,
        medianBaselineRps: median(rounds.map((x) => x.baselineRps)),
        medianLoadCpuPct: round(median(rounds.flatMap((x) => [x.loadCpuPctGateway, x.loadCpuPctBaseline])), 1),
        gatewayP50Ms: median(rounds.map((x) => x.gatewayP50Ms)),
        halfRate: {
          rate,
          gatewayP50Ms: half.gateway.latencyMs.p50,
          gatewayP99Ms: half.gateway.latencyMs.p99,
          baselineP50Ms: half.baseline.latencyMs.p50,
          baselineP99Ms: half.baseline.latencyMs.p99,
        },
        errors,
      };
      results.push(row);
      log(
        `  paths ${database} ${p.id}: gateway ${row.medianGatewayRps} req/s, baseline ${row.medianBaselineRps} req/s, ratio ${row.medianRatio} (wrk CPU ${round(row.medianLoadCpuPct, 0)} %), half-rate p99 ${row.halfRate.gatewayP99Ms} ms${errors ? `, ${errors} errors` : ''}`,
      );
    }
    return results;
  } finally {
    if (baseChild) await stopChild(baseChild);
    await stopChild(gwChild);
    rmSync(dump, { force: true });
    rmSync(routesFile, { force: true });
  }
}
