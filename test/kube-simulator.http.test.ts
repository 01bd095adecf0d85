import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiError, coreApi } from './support/client-node.js';
import { rawRequest } from '../tools/kube-simulator/client.js';
import { KubeSimulator, type ClusterHandle } from '../tools/kube-simulator/index.js';
import { perSuite } from './support/suite-fixtures.js';

/**
 * The Kubernetes API simulator on the wire: discovery, health, 404/405 and Table answers, many virtual clusters, the
 * service proxy, and the failure knobs (refuse, reset, hang, 5xx, garbage, expiry, flapping, latency).
 */

const sim = perSuite(
  'the simulator',
  () => KubeSimulator.start({ nodes: 2 }),
  (s) => s.close(),
);

describe('KubeSimulator HTTP surface', () => {
  it('answers discovery, health, 404 and 405 like the API server', async () => {
    const h = sim.addCluster({});
    const res = await rawRequest(h, '/api/v1');
    expect(res.headers['content-type']).toBe('application/json');
    const names = (JSON.parse(res.body) as { resources: { name: string }[] }).resources.map((r) => r.name);
    expect(names).toEqual(['namespaces', 'nodes', 'pods', 'pods/exec', 'pods/log', 'secrets', 'services', 'services/proxy']);
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
    const table = JSON.parse(res.body) as {
      kind: string;
      columnDefinitions: { name: string }[];
      rows: { cells: unknown[]; object: { kind: string } }[];
    };
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
      expect((await coreApi(last).listNode()).items).toHaveLength(3);
      expect((await coreApi(last, { auth: 'cert' }).listNode()).items).toHaveLength(3);
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
    const h = sim.addCluster({
      services: [{ name: 'prometheus', namespace: 'monitoring', ports: [{ name: 'web', port: 9090 }], upstream: upstreamUrl }],
    });
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
    expect(JSON.parse(noep.body)).toMatchObject({
      kind: 'Status',
      reason: 'ServiceUnavailable',
      message: 'no endpoints available for service "noep"',
    });
    expect((await rawRequest(h, '/api/v1/namespaces/monitoring/services/nope:9090/proxy/')).status).toBe(404);
    expect(JSON.parse((await rawRequest(h, '/api/v1/namespaces/monitoring/services/noep:1234/proxy/')).body).message).toBe(
      'no service port 1234 found for service "noep"',
    );
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
    await expect(coreApi(h).listNode()).rejects.toThrow();
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
    expect((await apiError(coreApi(h).listNode())).code).toBe(500);
    h.set({ errorCode: 503 });
    const res = await rawRequest(h, '/api/v1/nodes');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    h.set({ mode: 'garbage' });
    const g = await rawRequest(h, '/api/v1/nodes');
    expect(g.status).toBe(200);
    expect(() => JSON.parse(g.body)).toThrow();
    await expect(coreApi(h).listNode()).rejects.toThrow();
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
