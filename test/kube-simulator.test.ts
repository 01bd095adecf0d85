import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from './support/kube-simulator/client.js';
import { KubeSimulator, unrelatedCaPem, type ClusterHandle, type KubeconfigOptions } from './support/kube-simulator/index.js';

let sim: KubeSimulator;

beforeAll(async () => {
  sim = await KubeSimulator.start({ nodes: 2 });
});

afterAll(async () => {
  await sim?.close();
});

function kubeConfig(h: ClusterHandle, opts?: KubeconfigOptions): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(h.kubeconfig(opts));
  return kc;
}

const core = (h: ClusterHandle, opts?: KubeconfigOptions): CoreV1Api => kubeConfig(h, opts).makeApiClient(CoreV1Api);

/** Runs `p`, expecting a client-node ApiException; returns it. */
async function apiError(p: Promise<unknown>): Promise<ApiException<unknown>> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiException);
  return err as ApiException<unknown>;
}

const bodyOf = (e: ApiException<unknown>): Record<string, unknown> =>
  (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as Record<string, unknown>;

describe('KubeSimulator through @kubernetes/client-node', () => {
  it('serves /version with the gitVersion knob', async () => {
    const h = sim.addCluster({ gitVersion: 'v1.30.7' });
    const v = await kubeConfig(h).makeApiClient(VersionApi).getCode();
    expect(v.gitVersion).toBe('v1.30.7');
    expect(v.minor).toBe('30');
    h.set({ gitVersion: 'v1.29.3-eks-1234' });
    expect((await kubeConfig(h).makeApiClient(VersionApi).getCode()).minor).toBe('29+');
  });

  it('lists nodes with Ready / NotReady conditions', async () => {
    const h = sim.addCluster({ nodes: 5, notReadyNodes: 2 });
    const nodes = await core(h).listNode();
    expect(nodes.items).toHaveLength(5);
    const ready = nodes.items.filter((n) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
    expect(ready).toHaveLength(3);
    expect(nodes.items[0]?.status?.nodeInfo?.kubeletVersion).toBe('v1.31.4');
    expect(nodes.metadata?.resourceVersion).toMatch(/^\d+$/);
  });

  it('pages 100,000 pods with limit / continue / remainingItemCount, generated on demand', async () => {
    const h = sim.addCluster({ pods: 100_000, namespaces: 10 });
    const api = core(h);
    const first = await api.listPodForAllNamespaces({ limit: 1 });
    expect(first.items).toHaveLength(1);
    expect(first.metadata?.remainingItemCount).toBe(99_999);
    expect(first.metadata?._continue).toBeTruthy();
    const second = await api.listPodForAllNamespaces({ limit: 2, _continue: first.metadata?._continue });
    expect(second.items.map((p) => p.metadata?.name)).not.toContain(first.items[0]?.metadata?.name);
    expect(second.metadata?.remainingItemCount).toBe(99_997);
    const ns = await api.listNamespacedPod({ namespace: 'ns-1', limit: 3 });
    expect(ns.items.map((p) => p.metadata?.namespace)).toEqual(['ns-1', 'ns-1', 'ns-1']);
    expect(ns.metadata?.remainingItemCount).toBe(9_997);
    expect(h.requestLog).toHaveLength(3);
    expect(h.requestLog[0]).toMatchObject({ method: 'GET', path: '/api/v1/pods', query: { limit: '1' }, status: 200 });
    expect(h.requestLog[0]?.bytes).toBeLessThan(5000);
    // The last page has neither continue nor remainingItemCount.
    h.set({ pods: 5 });
    const head = await api.listPodForAllNamespaces({ limit: 3 });
    const last = await api.listPodForAllNamespaces({ limit: 3, _continue: head.metadata?._continue });
    expect(last.items).toHaveLength(2);
    expect(last.metadata?._continue).toBeFalsy();
    expect(last.metadata?.remainingItemCount).toBeUndefined();
  });

  it('omits remainingItemCount when told to, and answers bad / expired continue tokens like Kubernetes', async () => {
    const h = sim.addCluster({ pods: 30, omitRemainingItemCount: true });
    const api = core(h);
    const page = await api.listPodForAllNamespaces({ limit: 10 });
    expect(page.metadata?._continue).toBeTruthy();
    expect(page.metadata?.remainingItemCount).toBeUndefined();
    expect((await apiError(api.listPodForAllNamespaces({ limit: 10, _continue: 'not-a-token' }))).code).toBe(400);
    h.expireContinueTokens();
    const gone = await apiError(api.listPodForAllNamespaces({ limit: 10, _continue: page.metadata?._continue }));
    expect(gone.code).toBe(410);
    expect(bodyOf(gone)).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
  });

  it('writes a kubeconfig with inline CA, server and token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kube-sim-'));
    try {
      const file = await sim.writeKubeconfig(join(dir, 'config'), { contextName: 'ctx', clusterName: 'cl', userName: 'me' });
      const kc = new KubeConfig();
      kc.loadFromFile(file);
      expect(kc.getCurrentContext()).toBe('ctx');
      expect(kc.getCurrentCluster()).toMatchObject({ name: 'cl', server: sim.url, caData: Buffer.from(sim.caPem).toString('base64') });
      expect(kc.getCurrentUser()).toMatchObject({ name: 'me', token: sim.cluster.token });
      expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect((await kc.makeApiClient(CoreV1Api).listNode()).items).toHaveLength(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects unknown credentials with a 401 Status', async () => {
    const h = sim.addCluster({});
    // client-node drops the body of 401 responses; the raw request shows the exact Status.
    expect((await apiError(core(h, { token: 'wrong' }).listNode())).code).toBe(401);
    const wrong = await rawRequest(h, '/api/v1/nodes', { token: 'wrong' });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    const anon = await rawRequest(h, '/api/v1/nodes', { auth: 'none' });
    expect(anon.status).toBe(401);
    expect(sim.globalLog.at(-1)).toMatchObject({ cluster: null, path: '/api/v1/nodes', status: 401 });
    const gone = sim.addCluster({});
    expect((await rawRequest(gone, '/version')).status).toBe(200);
    expect(sim.removeCluster(gone.id)).toBe(true);
    expect((await rawRequest(gone, '/version')).status).toBe(401);
  });

  it('forbids per resource with a Kubernetes-style 403 (partial permissions)', async () => {
    const h = sim.addCluster({ user: 'alice', forbid: ['pods'] });
    const api = core(h);
    expect((await api.listNode()).items.length).toBeGreaterThan(0);
    const err = await apiError(api.listNamespacedPod({ namespace: 'default' }));
    expect(err.code).toBe(403);
    expect(bodyOf(err)).toMatchObject({
      reason: 'Forbidden',
      message: 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"',
    });
    h.set({ forbid: ['*'] });
    const all = bodyOf(await apiError(api.listNode()));
    expect(all.message).toBe('nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope');
  });

  it('authenticates with client certificates, including one expiring in 3 days', async () => {
    const soon = new Date(Date.now() + 3 * 24 * 3600 * 1000);
    const h = sim.addCluster({ nodes: 4, certNotAfter: soon });
    const nodes = await core(h, { auth: 'cert' }).listNode();
    expect(nodes.items).toHaveLength(4);
    const { X509Certificate } = await import('node:crypto');
    const cert = new X509Certificate(h.clientCertPem);
    expect(Math.abs(Date.parse(cert.validTo) - soon.getTime())).toBeLessThan(1000);
    expect(cert.subject).toContain(`CN=${h.user}`);
    expect(h.kubeconfig({ auth: 'cert' })).toContain('client-certificate-data');
    const expired = sim.addCluster({ certNotAfter: new Date(Date.now() - 60_000) });
    expect((await apiError(core(expired, { auth: 'cert' }).listNode())).code).toBe(401);
  });

  it('issues JWT-shaped tokens with an exp claim, rejected once expired', async () => {
    const exp = new Date(Date.now() + 3600_000);
    const h = sim.addCluster({ tokenExp: exp });
    const parts = h.token.split('.');
    expect(parts).toHaveLength(3);
    const payload = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString()) as { exp: number };
    expect(payload.exp).toBe(Math.floor(exp.getTime() / 1000));
    expect((await core(h).listNode()).items).toHaveLength(3);
    const old = sim.addCluster({ tokenExp: new Date(Date.now() - 1000) });
    expect((await apiError(core(old).listNode())).code).toBe(401);
  });

  it('really verifies TLS against the generated CA', async () => {
    const h = sim.addCluster({});
    await expect(core(h, { caPem: sim.clientCaPem }).listNode()).rejects.toThrow(/certificate|self.signed|verify/i);
    await expect(core(h, { caPem: await unrelatedCaPem() }).listNode()).rejects.toThrow(/certificate|self.signed|verify/i);
  });

  it('supports label and field selectors on services and pods', async () => {
    const h = sim.addCluster({
      pods: 40,
      services: [
        { name: 'prometheus', namespace: 'monitoring', labels: { app: 'prometheus', tier: 'metrics' }, ports: [{ name: 'web', port: 9090 }] },
        { name: 'grafana', namespace: 'monitoring', labels: { app: 'grafana' }, ports: [{ name: 'http', port: 3000 }] },
        { name: 'thanos', namespace: 'other', labels: { app: 'prometheus' } },
      ],
    });
    const api = core(h);
    const svc = await api.listNamespacedService({ namespace: 'monitoring', labelSelector: 'app=prometheus' });
    expect(svc.items.map((s) => s.metadata?.name)).toEqual(['prometheus']);
    expect(svc.items[0]?.spec?.ports?.[0]).toMatchObject({ name: 'web', port: 9090, targetPort: 9090, protocol: 'TCP' });
    const all = await api.listServiceForAllNamespaces({ labelSelector: 'app in (prometheus, grafana),!missing' });
    expect(all.items.map((s) => s.metadata?.name).sort()).toEqual(['grafana', 'prometheus', 'thanos']);
    expect((await api.listServiceForAllNamespaces({ labelSelector: 'app!=prometheus' })).items.map((s) => s.metadata?.name)).toEqual(['kubernetes', 'grafana']);
    const pods = await api.listPodForAllNamespaces({ labelSelector: 'app=app-1', fieldSelector: 'metadata.namespace=default', limit: 1 });
    expect(pods.items[0]?.metadata).toMatchObject({ namespace: 'default', labels: { app: 'app-1' } });
    // As on a real server, no remainingItemCount with selectors.
    expect(pods.metadata?.remainingItemCount).toBeUndefined();
    expect((await apiError(api.listNamespacedService({ namespace: 'monitoring', labelSelector: 'a b c' }))).code).toBe(400);
  });

  it('serves Prometheus custom resources and the monitoring.coreos.com group only when present', async () => {
    const h = sim.addCluster({ prometheuses: [{ name: 'k8s', routePrefix: '/prom' }, { name: 'other', namespace: 'obs' }] });
    const objs = (await kubeConfig(h).makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: 'monitoring.coreos.com', version: 'v1', plural: 'prometheuses' })) as {
      items: { kind: string; metadata: { name: string; namespace: string }; spec: { routePrefix?: string } }[];
    };
    expect(objs.items.map((p) => [p.kind, p.metadata.namespace, p.metadata.name, p.spec.routePrefix])).toEqual([
      ['Prometheus', 'monitoring', 'k8s', '/prom'],
      ['Prometheus', 'obs', 'other', undefined],
    ]);
    expect(JSON.parse((await rawRequest(h, '/apis')).body).groups[0].name).toBe('monitoring.coreos.com');
    const plain = sim.addCluster({});
    expect(JSON.parse((await rawRequest(plain, '/apis')).body).groups).toEqual([]);
    expect((await rawRequest(plain, '/apis/monitoring.coreos.com/v1/prometheuses')).status).toBe(404);
  });
});

describe('KubeSimulator HTTP surface', () => {
  it('answers discovery, health, 404 and 405 like the API server', async () => {
    const h = sim.addCluster({});
    const res = await rawRequest(h, '/api/v1');
    expect(res.headers['content-type']).toBe('application/json');
    const names = (JSON.parse(res.body) as { resources: { name: string }[] }).resources.map((r) => r.name);
    expect(names).toEqual(['namespaces', 'nodes', 'pods', 'services', 'services/proxy']);
    expect((await rawRequest(h, '/healthz')).body).toBe('ok');
    expect((await rawRequest(h, '/readyz', { auth: 'none' })).body).toBe('ok');
    const missing = await rawRequest(h, '/api/v1/widgets');
    expect(JSON.parse(missing.body)).toMatchObject({ kind: 'Status', code: 404, message: 'the server could not find the requested resource' });
    expect((await rawRequest(h, '/api/v1/nodes/node-9')).status).toBe(404);
    expect((await rawRequest(h, '/api/v1/nodes', { method: 'POST', body: '{}' })).status).toBe(405);
  });

  it('returns meta.k8s.io/v1 Tables when asked (as kubectl does)', async () => {
    const h = sim.addCluster({ nodes: 2, notReadyNodes: 1 });
    const res = await rawRequest(h, '/api/v1/nodes', { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' } });
    const table = JSON.parse(res.body) as { kind: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[]; object: { kind: string } }[] };
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((c) => c.name).slice(0, 5)).toEqual(['Name', 'Status', 'Roles', 'Age', 'Version']);
    expect(table.rows.map((r) => r.cells[1])).toEqual(['Ready', 'NotReady']);
    expect(table.rows[0]?.object.kind).toBe('PartialObjectMetadata');
  });

  it('hosts 1,000 virtual clusters cheaply', async () => {
    const local = await KubeSimulator.start({});
    try {
      const t0 = Date.now();
      const handles = Array.from({ length: 1000 }, (_, i) => local.addCluster({ nodes: 1 + (i % 3) }));
      expect(Date.now() - t0).toBeLessThan(3000);
      const last = handles[998] as ClusterHandle; // 998 % 3 === 2: three nodes
      expect((await core(last).listNode()).items).toHaveLength(3);
      expect((await core(last, { auth: 'cert' }).listNode()).items).toHaveLength(3);
      expect(last.requestLog).toHaveLength(2);
      expect(local.globalLog).toHaveLength(2);
    } finally {
      await local.close();
    }
  });
});

describe('service proxy', () => {
  let upstream: http.Server;
  let upstreamUrl = '';
  const seen: { method?: string; url?: string; body: string; auth?: string }[] = [];

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, body, auth: req.headers.authorization });
        res.writeHead(200, { 'Content-Type': 'application/json', 'X-Upstream': 'yes' });
        res.end(JSON.stringify({ status: 'success', path: req.url }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => upstream.close(r));
  });

  it('forwards method, path, query and body to the upstream and streams back', async () => {
    const h = sim.addCluster({ services: [{ name: 'prometheus', namespace: 'monitoring', ports: [{ name: 'web', port: 9090 }], upstream: upstreamUrl }] });
    seen.length = 0;
    const get = await rawRequest(h, '/api/v1/namespaces/monitoring/services/prometheus:9090/proxy/api/v1/query?query=up%7Bjob%3D%22x%22%7D');
    expect(get.status).toBe(200);
    expect(get.headers['x-upstream']).toBe('yes');
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/v1/query?query=up%7Bjob%3D%22x%22%7D' });
    expect(seen[0]?.auth).toBeUndefined(); // the API server never forwards the caller's credentials
    for (const id of ['prometheus:web', 'http:prometheus:web', 'prometheus', 'https:prometheus:9090']) {
      expect((await rawRequest(h, `/api/v1/namespaces/monitoring/services/${encodeURIComponent(id)}/proxy/-/ready`)).status).toBe(200);
    }
    const post = await rawRequest(h, '/api/v1/namespaces/monitoring/services/prometheus:web/proxy/api/v1/query', {
      method: 'POST',
      body: 'query=up',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(post.status).toBe(200);
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/api/v1/query', body: 'query=up' });
    expect(h.requestLog.at(-1)).toMatchObject({ status: 200, bytes: post.body.length });
  });

  it('answers 503 / 404 / 403 like the real apiserver', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const h = sim.addCluster({
      services: [
        { name: 'noep', namespace: 'monitoring', ports: [{ port: 9090 }] },
        { name: 'dead', namespace: 'monitoring', ports: [{ port: 9090 }], upstream: `http://127.0.0.1:${deadPort}` },
      ],
    });
    const noep = await rawRequest(h, '/api/v1/namespaces/monitoring/services/noep:9090/proxy/');
    expect(noep.status).toBe(503);
    expect(JSON.parse(noep.body)).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', message: 'no endpoints available for service "noep"' });
    expect((await rawRequest(h, '/api/v1/namespaces/monitoring/services/nope:9090/proxy/')).status).toBe(404);
    expect(JSON.parse((await rawRequest(h, '/api/v1/namespaces/monitoring/services/noep:1234/proxy/')).body).message).toBe('no service port 1234 found for service "noep"');
    const dead = await rawRequest(h, '/api/v1/namespaces/monitoring/services/dead/proxy/api/v1/query');
    expect(dead.status).toBe(503);
    expect(JSON.parse(dead.body).message).toBe(`error trying to reach service: dial tcp 127.0.0.1:${deadPort}: connect: connection refused`);
    h.set({ forbid: ['services/proxy'] });
    const denied = await rawRequest(h, '/api/v1/namespaces/monitoring/services/dead/proxy/');
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body).message).toContain('cannot get resource "services/proxy"');
  });
});

describe('failure knobs', () => {
  it('refuses connections server-wide with stopListening() and resumes on the same port', async () => {
    const local = await KubeSimulator.start({});
    try {
      const port = local.port;
      await local.stopListening();
      await expect(rawRequest(local.cluster, '/version')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await local.resumeListening();
      expect(local.port).toBe(port);
      expect((await rawRequest(local.cluster, '/version')).status).toBe(200);
    } finally {
      await local.close();
    }
  });

  it('refuse / reset drop the socket of one virtual cluster only', async () => {
    const h = sim.addCluster({ mode: 'refuse' });
    await expect(rawRequest(h, '/api/v1/nodes')).rejects.toThrow(/socket hang up|ECONNRESET/);
    h.set({ mode: 'reset' });
    await expect(rawRequest(h, '/api/v1/nodes')).rejects.toThrow(/aborted|ECONNRESET|socket hang up/);
    await expect(core(h).listNode()).rejects.toThrow();
    expect((await rawRequest(sim.cluster, '/api/v1/nodes')).status).toBe(200);
  });

  it('hangs until the client gives up, and close() is still immediate', async () => {
    const local = await KubeSimulator.start({ mode: 'hang' });
    const t0 = Date.now();
    await expect(rawRequest(local.cluster, '/api/v1/nodes', { timeoutMs: 200 })).rejects.toThrow('timeout');
    expect(Date.now() - t0).toBeLessThan(1000);
    const pending = rawRequest(local.cluster, '/api/v1/nodes', { timeoutMs: 10_000 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    expect(local.openConnections()).toBeGreaterThan(0);
    const t1 = Date.now();
    await local.close();
    expect(Date.now() - t1).toBeLessThan(500);
    expect(local.openConnections()).toBe(0);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('error5xx answers a 5xx Status; garbage answers unparseable JSON', async () => {
    const h = sim.addCluster({ mode: 'error5xx' });
    expect((await apiError(core(h).listNode())).code).toBe(500);
    h.set({ errorCode: 503 });
    const res = await rawRequest(h, '/api/v1/nodes');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    h.set({ mode: 'garbage' });
    const g = await rawRequest(h, '/api/v1/nodes');
    expect(g.status).toBe(200);
    expect(() => JSON.parse(g.body)).toThrow();
    await expect(core(h).listNode()).rejects.toThrow();
  });

  it('expired credentials get 401; flapping alternates; latency delays', async () => {
    const h = sim.addCluster({ expired: true });
    expect((await rawRequest(h, '/api/v1/nodes')).status).toBe(401);
    h.set({ expired: false, flapping: { everyN: 2 } });
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await rawRequest(h, '/version')).status);
    expect(codes).toEqual([200, 200, 500, 500, 200, 200]);
    h.set({ flapping: null, latencyMs: 150 });
    const t0 = Date.now();
    expect((await rawRequest(h, '/version')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });
});

// Overridable only to exercise the missing-kubectl paths; the real location is /usr/bin/kubectl.
const KUBECTL = process.env.KUBE_SIM_KUBECTL ?? '/usr/bin/kubectl';
const hasKubectl = existsSync(KUBECTL);
const requireAll = process.env.REQUIRE_ALL_BACKENDS === '1';
if (!hasKubectl && !requireAll) console.warn(`kube-simulator: ${KUBECTL} not found, skipping the kubectl tests`);

describe.skipIf(!hasKubectl && !requireAll)('kubectl against the simulator', () => {
  let dir = '';

  beforeAll(async () => {
    if (!hasKubectl) throw new Error(`REQUIRE_ALL_BACKENDS=1 but ${KUBECTL} is missing`);
    dir = await mkdtemp(join(tmpdir(), 'kube-sim-kubectl-'));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs kubectl against `h`; resolves with exit code and output (never rejects on non-zero exit). */
  async function kubectl(h: ClusterHandle, args: string[], opts?: KubeconfigOptions): Promise<{ code: number; stdout: string; stderr: string }> {
    const file = join(dir, `${h.id}-${opts?.auth ?? 'token'}${opts?.token ? '-bad' : ''}.kubeconfig`);
    await writeFile(file, h.kubeconfig(opts), { mode: 0o600 });
    const full = ['--kubeconfig', file, '--cache-dir', join(dir, `cache-${h.id}`), ...args];
    return new Promise((resolve) => {
      execFile(KUBECTL, full, { timeout: 15_000, env: { ...process.env, HOME: dir, KUBECONFIG: '' } }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  it('kubectl version -o json reports the server gitVersion', async () => {
    const h = sim.addCluster({ gitVersion: 'v1.30.7' });
    const r = await kubectl(h, ['version', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion).toBe('v1.30.7');
  });

  it('kubectl get nodes shows Ready and NotReady', async () => {
    const h = sim.addCluster({ nodes: 3, notReadyNodes: 1 });
    const r = await kubectl(h, ['get', 'nodes']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/));
    expect(rows.map((c) => [c[0], c[1]])).toEqual([
      ['node-0', 'Ready'],
      ['node-1', 'Ready'],
      ['node-2', 'NotReady'],
    ]);
  });

  it('kubectl get pods -A --chunk-size=50 pages through every pod', async () => {
    const h = sim.addCluster({ pods: 120 });
    const r = await kubectl(h, ['get', 'pods', '-A', '--chunk-size=50']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    expect(lines).toHaveLength(121);
    const pages = h.requestLog.filter((e) => e.path === '/api/v1/pods');
    expect(pages.map((e) => e.query.limit)).toEqual(['50', '50', '50']);
    expect(pages.filter((e) => e.query.continue)).toHaveLength(2);
  });

  it('kubectl get svc -n monitoring -l app=prometheus filters by label', async () => {
    const h = sim.addCluster({
      services: [
        { name: 'prometheus-k8s', namespace: 'monitoring', labels: { app: 'prometheus' }, ports: [{ name: 'web', port: 9090 }] },
        { name: 'grafana', namespace: 'monitoring', labels: { app: 'grafana' }, ports: [{ port: 3000 }] },
      ],
    });
    const r = await kubectl(h, ['get', 'svc', '-n', 'monitoring', '-l', 'app=prometheus']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/prometheus-k8s\s+ClusterIP\s+\S+\s+<none>\s+9090\/TCP/);
    expect(r.stdout).not.toContain('grafana');
    expect(h.requestLog.at(-1)?.query.labelSelector).toBe('app=prometheus');
  });

  it('kubectl with client certificates, and failing with 401 / 403', async () => {
    const h = sim.addCluster({ forbid: ['pods'] });
    const ok = await kubectl(h, ['get', 'namespaces'], { auth: 'cert' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('kube-system');
    const denied = await kubectl(h, ['get', 'pods', '-n', 'default']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(`pods is forbidden: User "${h.user}" cannot list resource "pods"`);
    const unauth = await kubectl(h, ['get', 'nodes'], { token: 'not-a-valid-token' });
    expect(unauth.code).not.toBe(0);
    expect(unauth.stderr).toMatch(/Unauthorized|You must be logged in|provide credentials/);
  });
});
