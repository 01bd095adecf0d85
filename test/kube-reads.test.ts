import http from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CustomObjectsApi, VersionApi } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createKubeClient, type KubeClient } from '../src/kube/kube-client.js';
import { KubeApiError } from '../src/kube/kube-reads.js';
import { parseKubeconfig } from '../src/kube/kubeconfig.js';
import { classifyKubeError, countNodes, countPods } from '../src/kube/probe.js';
import { KubeSimulator, type ClusterHandle, type KubeconfigOptions } from '../tools/kube-simulator/index.js';
import { apiError, bodyOf, coreApi, kubeConfig } from './support/client-node.js';
import { kubeconfigYaml } from './support/kubeconfigs.js';
import { perSuite } from './support/suite-fixtures.js';

/**
 * The gateway's own Kubernetes reads (src/kube/kube-reads.ts), which replaced @kubernetes/client-node in src: against
 * the simulator they send the very requests client-node sent (path and decoded query, as the server saw them) and
 * read the same values; a non-2xx answer becomes a `KubeApiError` that `classifyKubeError` words as it worded
 * client-node's `ApiException`; and a server's malformed answers are refused as API errors, never as crashes.
 */

const sim = perSuite(
  'the simulator',
  () => KubeSimulator.start({ nodes: 2 }),
  (s) => s.close(),
);
const clients: KubeClient[] = [];
afterAll(() => {
  for (const c of clients) c.close();
});

const ours = (h: ClusterHandle, opts?: KubeconfigOptions): KubeClient => {
  const client = createKubeClient(parseKubeconfig(h.kubeconfig(opts)), { connectTimeoutMs: 5_000, requestTimeoutMs: 10_000 });
  clients.push(client);
  return client;
};

/** What the simulator saw of the requests `fn` made: method, path and decoded query. */
async function sent(h: ClusterHandle, fn: () => Promise<unknown>): Promise<unknown[]> {
  h.clearLog();
  await fn();
  return h.requestLog.map((e) => [e.method, e.path, e.query]);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('the same requests and values as client-node', () => {
  it('/version', async () => {
    const h = sim.addCluster({ gitVersion: 'v1.29.3-eks-1234' });
    const theirs = kubeConfig(h).makeApiClient(VersionApi);
    expect(await sent(h, () => ours(h).reads.version())).toEqual(await sent(h, () => theirs.getCode()));
    const v = (await ours(h).reads.version()) as Record<string, unknown>;
    const c = await theirs.getCode();
    expect([v.gitVersion, v.major, v.minor]).toEqual([c.gitVersion, c.major, c.minor]);
    expect(v.minor).toBe('29+');
  });

  it('nodes with their names and Ready conditions, paged by limit', async () => {
    const h = sim.addCluster({ nodes: 5, notReadyNodes: 2 });
    const api = coreApi(h);
    expect(await sent(h, () => ours(h).reads.listNodes({ limit: 500 }))).toEqual(await sent(h, () => api.listNode({ limit: 500 })));
    const mine = (await ours(h).reads.listNodes({ limit: 500 })).items.map((n) => [
      n?.metadata?.name,
      n?.status?.conditions?.find((c) => c.type === 'Ready')?.status,
    ]);
    const theirs = (await api.listNode({ limit: 500 })).items.map((n) => [
      n.metadata?.name,
      n.status?.conditions?.find((c) => c.type === 'Ready')?.status,
    ]);
    expect(mine).toEqual(theirs);
    expect(mine.filter(([, ready]) => ready === 'True')).toHaveLength(3);
    expect(await countNodes(ours(h))).toMatchObject({ total: 5, ready: 3 });
  });

  it('pods by limit and continue, with remainingItemCount', async () => {
    const h = sim.addCluster({ pods: 1_234, namespaces: 4 });
    const api = coreApi(h);
    const mine = await ours(h).reads.listPods({ limit: 1 });
    const theirs = await api.listPodForAllNamespaces({ limit: 1 });
    expect(mine.metadata?.remainingItemCount).toBe(1_233);
    expect(mine.metadata?.remainingItemCount).toBe(theirs.metadata?.remainingItemCount);
    expect(mine.metadata?.continue).toBeTruthy();
    expect(await sent(h, () => ours(h).reads.listPods({ limit: 500, continue: mine.metadata?.continue }))).toEqual(
      await sent(h, () => api.listPodForAllNamespaces({ limit: 500, _continue: theirs.metadata?._continue })),
    );
    const next = await ours(h).reads.listPods({ limit: 500, continue: mine.metadata?.continue });
    expect(next.items).toHaveLength(500);
    expect(next.metadata?.remainingItemCount).toBe(733);
    // The paging fallback (no remainingItemCount) reaches the same exact count.
    h.set({ omitRemainingItemCount: true });
    expect(await countPods(ours(h))).toEqual({ count: 1_234, requests: 4 });
  });

  it('namespaces with limit=1', async () => {
    const h = sim.addCluster({});
    const api = coreApi(h);
    expect(await sent(h, () => ours(h).reads.listNamespaces({ limit: 1 }))).toEqual(await sent(h, () => api.listNamespace({ limit: 1 })));
    expect((await ours(h).reads.listNamespaces({ limit: 1 })).items).toHaveLength(1);
  });

  it('services by label selector (encoded like client-node), by namespace and by name; Prometheus objects', async () => {
    const h = sim.addCluster({
      services: [
        { name: 'prometheus', namespace: 'monitoring', labels: { app: 'prometheus', component: 'server' }, ports: [{ name: 'web', port: 9090 }] },
        { name: 'grafana', namespace: 'monitoring', labels: { app: 'grafana' }, ports: [{ name: 'http', port: 3000 }] },
        { name: 'prometheus-operated', namespace: 'obs', labels: { 'operated-prometheus': 'true' }, ports: [{ name: 'web', port: 9090 }] },
      ],
      prometheuses: [{ name: 'k8s', namespace: 'obs', routePrefix: '/prom' }],
    });
    const api = coreApi(h);
    const client = ours(h);
    for (const labelSelector of ['app=prometheus,component=server', 'app in (prometheus, grafana),!missing', 'operated-prometheus=true']) {
      expect(await sent(h, () => client.reads.listServices({ labelSelector }))).toEqual(
        await sent(h, () => api.listServiceForAllNamespaces({ labelSelector })),
      );
      const mine = (await client.reads.listServices({ labelSelector })).items.map((s) => [s?.metadata?.namespace, s?.metadata?.name]);
      const theirs = (await api.listServiceForAllNamespaces({ labelSelector })).items.map((s) => [s.metadata?.namespace, s.metadata?.name]);
      expect(mine).toEqual(theirs);
      expect(mine.length).toBeGreaterThan(0);
    }
    expect(await sent(h, () => client.reads.listNamespacedServices('monitoring'))).toEqual(
      await sent(h, () => api.listNamespacedService({ namespace: 'monitoring' })),
    );
    expect((await client.reads.listNamespacedServices('monitoring')).items.map((s) => s?.metadata?.name).sort()).toEqual(['grafana', 'prometheus']);
    expect(await sent(h, () => client.reads.readService('obs', 'prometheus-operated'))).toEqual(
      await sent(h, () => api.readNamespacedService({ namespace: 'obs', name: 'prometheus-operated' })),
    );
    expect((await client.reads.readService('obs', 'prometheus-operated')).spec?.ports).toMatchObject([{ name: 'web', port: 9090 }]);
    const custom = kubeConfig(h).makeApiClient(CustomObjectsApi);
    expect(await sent(h, () => client.reads.listClusterCustomObjects('monitoring.coreos.com', 'v1', 'prometheuses'))).toEqual(
      await sent(h, () => custom.listClusterCustomObject({ group: 'monitoring.coreos.com', version: 'v1', plural: 'prometheuses' })),
    );
    const proms = await client.reads.listClusterCustomObjects('monitoring.coreos.com', 'v1', 'prometheuses');
    expect(proms.items.map((p) => [p?.metadata?.namespace, p?.spec?.routePrefix])).toEqual([['obs', '/prom']]);
  });
});

describe('a non-2xx answer: KubeApiError, classified as client-node ApiException was', () => {
  it('401 → UNAUTHORIZED in fixed words', async () => {
    const h = sim.addCluster({});
    const err = await rejection(ours(h, { token: 'wrong' }).reads.listNodes({ limit: 500 }));
    expect((await apiError(coreApi(h, { token: 'wrong' }).listNode())).code).toBe(401);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(classifyKubeError(err)).toEqual({
      reason: 'UNAUTHORIZED',
      status: 401,
      message: 'the API server rejected the credentials (401 Unauthorized)',
    });
  });

  it('403 → FORBIDDEN with the Status message; 404, 400 and 410 → API_ERROR with it', async () => {
    const h = sim.addCluster({ user: 'alice', forbid: ['pods'] });
    const api = coreApi(h);
    const cases: [() => Promise<unknown>, () => Promise<unknown>][] = [
      [() => ours(h).reads.listPods({ limit: 1 }), () => api.listPodForAllNamespaces({ limit: 1 })],
      [() => ours(h).reads.readService('monitoring', 'nope'), () => api.readNamespacedService({ namespace: 'monitoring', name: 'nope' })],
      [
        () => ours(h).reads.listClusterCustomObjects('monitoring.coreos.com', 'v1', 'prometheuses'),
        () =>
          kubeConfig(h)
            .makeApiClient(CustomObjectsApi)
            .listClusterCustomObject({ group: 'monitoring.coreos.com', version: 'v1', plural: 'prometheuses' }),
      ],
      [() => ours(h).reads.listServices({ labelSelector: 'a b c' }), () => api.listServiceForAllNamespaces({ labelSelector: 'a b c' })],
    ];
    const seen: unknown[] = [];
    for (const [mine, theirs] of cases) {
      const err = await rejection(mine());
      const old = await apiError(theirs());
      expect(err).toBeInstanceOf(KubeApiError);
      const e = err as KubeApiError;
      expect([e.status, e.apiMessage, e.apiReason]).toEqual([old.code, bodyOf(old).message, bodyOf(old).reason]);
      seen.push(classifyKubeError(err));
    }
    expect(seen).toEqual([
      {
        reason: 'FORBIDDEN',
        status: 403,
        message: 'permission denied (403): pods is forbidden: User "alice" cannot list resource "pods" in API group "" at the cluster scope',
      },
      { reason: 'API_ERROR', status: 404, message: expect.stringMatching(/^the API server answered 404: .*nope/) },
      { reason: 'API_ERROR', status: 404, message: expect.stringMatching(/^the API server answered 404/) },
      { reason: 'API_ERROR', status: 400, message: expect.stringMatching(/^the API server answered 400: /) },
    ]);
    // An expired continue token: 410 Expired.
    const paged = sim.addCluster({ pods: 30 });
    const first = await ours(paged).reads.listPods({ limit: 10 });
    paged.expireContinueTokens();
    const gone = await rejection(ours(paged).reads.listPods({ limit: 10, continue: first.metadata?.continue }));
    expect(gone).toMatchObject({ status: 410, apiReason: 'Expired' });
    expect(classifyKubeError(gone)).toMatchObject({ reason: 'API_ERROR', status: 410 });
  });

  it('5xx → API_ERROR', async () => {
    const h = sim.addCluster({ mode: 'error5xx', errorCode: 503 });
    expect(classifyKubeError(await rejection(ours(h).reads.version()))).toMatchObject({ reason: 'API_ERROR', status: 503 });
  });
});

type Answer = { status?: number; type?: string; body: string };

/**
 * Runs `fn` with a client of a server (base path `/prefix`) that answers every GET with the next of `answers` (the last
 * one repeats) and records the paths asked.
 */
async function withServer(answers: Answer[], fn: (client: KubeClient, paths: string[]) => Promise<void>): Promise<void> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    const a = answers[Math.min(paths.length - 1, answers.length - 1)]!;
    res.writeHead(a.status ?? 200, a.type === '' ? {} : { 'content-type': a.type ?? 'application/json' });
    res.end(a.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/prefix`;
  const client = createKubeClient(parseKubeconfig(kubeconfigYaml({ server: url, user: { token: 't' } })), {
    connectTimeoutMs: 5_000,
    requestTimeoutMs: 5_000,
  });
  try {
    await fn(client, paths);
  } finally {
    client.close();
    server.closeAllConnections();
    await new Promise((closed) => server.close(closed));
  }
}

const list = (items: unknown, metadata: unknown = {}) => JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata, items });

describe('malformed answers are API errors, never crashes', () => {
  it('a 2xx that is not JSON, or not a list, or pages with a token that is not a string', async () => {
    const cases: [Answer, string][] = [
      [{ type: 'text/plain', body: list([]) }, 'the API server sent a response that is not JSON'],
      [{ type: '', body: list([]) }, 'the API server sent a response that is not JSON'],
      [{ body: '{"items": [' }, 'the API server sent a response that is not valid JSON'],
      [{ body: 'null' }, 'the API server sent a nodes list without items'],
      [{ body: list(5) }, 'the API server sent a nodes list without items'],
      [{ body: list([], { continue: 7 }) }, 'the API server sent a nodes list whose continue token is not a string'],
    ];
    for (const [answer, message] of cases) {
      await withServer([answer], async (client, paths) => {
        expect(classifyKubeError(await rejection(countNodes(client)))).toEqual({ reason: 'API_ERROR', message });
        // The server's base path is kept.
        expect(paths).toEqual(['/prefix/api/v1/nodes?limit=500']);
      });
    }
  });

  it('odd items and conditions count as not ready; a count that is not a number makes the count page', async () => {
    const nodes = [
      null,
      5,
      { metadata: { name: 7 }, status: { conditions: 'Ready' } },
      { metadata: { name: 'ok' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    ];
    await withServer([{ body: list(nodes) }], async (client) => {
      expect(await countNodes(client)).toEqual({ total: 4, ready: 1, notReadyNames: ['?', '?', '?'] });
    });
    const pages = [
      { body: list([{}], { continue: 'p2', remainingItemCount: '99' }) },
      { body: list([{}, {}], { continue: '', remainingItemCount: null }) },
    ];
    await withServer(pages, async (client, paths) => {
      expect(await countPods(client)).toEqual({ count: 3, requests: 2 });
      expect(paths).toEqual(['/prefix/api/v1/pods?limit=1', '/prefix/api/v1/pods?continue=p2&limit=500']);
    });
  });

  it('a Status body is read for its message only when small, and the message is capped', async () => {
    const status = (message: string) => JSON.stringify({ kind: 'Status', status: 'Failure', message, reason: 'InternalError', code: 500 });
    await withServer([{ status: 500, body: status('x'.repeat(1_000)) }], async (client) => {
      const err = (await rejection(client.reads.version())) as KubeApiError;
      expect([err.apiMessage, err.apiReason]).toEqual(['x'.repeat(300), 'InternalError']);
      expect(classifyKubeError(err).message).toBe(`the API server answered 500: ${'x'.repeat(300)}`);
    });
    await withServer([{ status: 500, body: status('y'.repeat(100 * 1024)) }], async (client) => {
      const failure = classifyKubeError(await rejection(client.reads.version()));
      expect(failure).toEqual({ reason: 'API_ERROR', status: 500, message: 'the API server answered 500' });
    });
    await withServer([{ status: 502, type: 'text/html', body: '<html>bad gateway</html>' }], async (client) => {
      const failure = classifyKubeError(await rejection(client.reads.version()));
      expect(failure).toEqual({ reason: 'API_ERROR', status: 502, message: 'the API server answered 502' });
    });
  });
});

it('no file in src imports @kubernetes/client-node (its generated models cost the gateway ~85 MB of RSS)', async () => {
  const root = join(import.meta.dirname, '..', 'src');
  const files = (await readdir(root, { recursive: true })).filter((f) => /\.(ts|mts|js|mjs)$/.test(f));
  expect(files.length).toBeGreaterThan(50);
  const importers: string[] = [];
  for (const f of files)
    if (/from\s+['"]@kubernetes\/client-node|import\(\s*['"]@kubernetes\/client-node/.test(await readFile(join(root, f), 'utf8'))) importers.push(f);
  expect(importers).toEqual([]);
});
