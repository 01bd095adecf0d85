import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { apiError, bodyOf, coreApi, kubeConfig, transportFailure } from './support/client-node.js';
import { rawRequest } from '../tools/kube-simulator/client.js';
import { KubeSimulator, unrelatedCaPem } from '../tools/kube-simulator/index.js';
import { perSuite } from './support/suite-fixtures.js';

/**
 * The Kubernetes API simulator as @kubernetes/client-node sees it: version, nodes, paged pods, kubeconfigs, token and
 * certificate authentication, TLS, permissions, selectors and the Prometheus custom resources.
 */

const sim = perSuite(
  'the simulator',
  () => KubeSimulator.start({ nodes: 2 }),
  (s) => s.close(),
);

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
    const nodes = await coreApi(h).listNode();
    expect(nodes.items).toHaveLength(5);
    const ready = nodes.items.filter((n) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
    expect(ready).toHaveLength(3);
    expect(nodes.items[0]?.status?.nodeInfo?.kubeletVersion).toBe('v1.31.4');
    expect(nodes.metadata?.resourceVersion).toMatch(/^\d+$/);
  });

  it('pages 100,000 pods with limit / continue / remainingItemCount, generated on demand', async () => {
    const h = sim.addCluster({ pods: 100_000, namespaces: 10 });
    const api = coreApi(h);
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
    const api = coreApi(h);
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
    expect((await apiError(coreApi(h, { token: 'wrong' }).listNode())).code).toBe(401);
    const wrong = await rawRequest(h, '/api/v1/nodes', { token: 'wrong' });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
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
    const api = coreApi(h);
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
    const nodes = await coreApi(h, { auth: 'cert' }).listNode();
    expect(nodes.items).toHaveLength(4);
    const { X509Certificate } = await import('node:crypto');
    const cert = new X509Certificate(h.clientCertPem);
    expect(Math.abs(Date.parse(cert.validTo) - soon.getTime())).toBeLessThan(1000);
    expect(cert.subject).toContain(`CN=${h.user}`);
    expect(h.kubeconfig({ auth: 'cert' })).toContain('client-certificate-data');
    const expired = sim.addCluster({ certNotAfter: new Date(Date.now() - 60_000) });
    expect((await apiError(coreApi(expired, { auth: 'cert' }).listNode())).code).toBe(401);
  });

  it('issues JWT-shaped tokens with an exp claim, rejected once expired', async () => {
    const exp = new Date(Date.now() + 3600_000);
    const h = sim.addCluster({ tokenExp: exp });
    const parts = h.token.split('.');
    expect(parts).toHaveLength(3);
    const payload = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString()) as { exp: number };
    expect(payload.exp).toBe(Math.floor(exp.getTime() / 1000));
    expect((await coreApi(h).listNode()).items).toHaveLength(3);
    const old = sim.addCluster({ tokenExp: new Date(Date.now() - 1000) });
    expect((await apiError(coreApi(old).listNode())).code).toBe(401);
  });

  it('really verifies TLS against the generated CA', async () => {
    const h = sim.addCluster({});
    expect(await transportFailure(coreApi(h, { caPem: sim.clientCaPem }).listNode())).toMatch(/certificate|self.signed|verify/i);
    expect(await transportFailure(coreApi(h, { caPem: await unrelatedCaPem() }).listNode())).toMatch(/certificate|self.signed|verify/i);
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
    const api = coreApi(h);
    const svc = await api.listNamespacedService({ namespace: 'monitoring', labelSelector: 'app=prometheus' });
    expect(svc.items.map((s) => s.metadata?.name)).toEqual(['prometheus']);
    expect(svc.items[0]?.spec?.ports?.[0]).toMatchObject({ name: 'web', port: 9090, targetPort: 9090, protocol: 'TCP' });
    const all = await api.listServiceForAllNamespaces({ labelSelector: 'app in (prometheus, grafana),!missing' });
    expect(all.items.map((s) => s.metadata?.name).sort()).toEqual(['grafana', 'prometheus', 'thanos']);
    expect((await api.listServiceForAllNamespaces({ labelSelector: 'app!=prometheus' })).items.map((s) => s.metadata?.name)).toEqual([
      'kubernetes',
      'grafana',
    ]);
    const pods = await api.listPodForAllNamespaces({ labelSelector: 'app=app-1', fieldSelector: 'metadata.namespace=default', limit: 1 });
    expect(pods.items[0]?.metadata).toMatchObject({ namespace: 'default', labels: { app: 'app-1' } });
    // As on a real server, no remainingItemCount with selectors.
    expect(pods.metadata?.remainingItemCount).toBeUndefined();
    expect((await apiError(api.listNamespacedService({ namespace: 'monitoring', labelSelector: 'a b c' }))).code).toBe(400);
  });

  it('serves Prometheus custom resources and the monitoring.coreos.com group only when present', async () => {
    const h = sim.addCluster({
      prometheuses: [
        { name: 'k8s', routePrefix: '/prom' },
        { name: 'other', namespace: 'obs' },
      ],
    });
    const objs = (await kubeConfig(h)
      .makeApiClient(CustomObjectsApi)
      .listClusterCustomObject({ group: 'monitoring.coreos.com', version: 'v1', plural: 'prometheuses' })) as {
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
