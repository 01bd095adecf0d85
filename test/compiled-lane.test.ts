import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grant, tokenFor, uniqueSubject } from './support/access-fixtures.js';
import { testDrivers } from './support/databases.js';
import { startTestGateway, type TestGateway, uniqueName } from './support/gateway.js';
import { reachableCluster } from './support/reachable.js';

/**
 * The compiled-operation lane (src/graphql/compiled-queries.ts, taken in src/http/cached-reads.ts) answers a query
 * exactly as Apollo does: status, headers and bytes. Apollo's own answer is had by a content type the lane never reads
 * (an extra parameter), the lane's by plain `application/json`; the gateway's counter of lane executions says which
 * path answered, so a case meant for the lane cannot silently fall through to Apollo and pass.
 */

/** Everything a client can see of a response but the two headers that differ per request. */
async function observable(res: Response) {
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (name !== 'date' && name !== 'x-request-id') headers[name] = value;
  });
  return { status: res.status, headers, body: await res.text() };
}

async function laneExecutions(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^kube_gateway_compiled_reads_total\{route="\/graphql"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

const APOLLO_ONLY = 'application/json; charset=utf-8; x=1';

describe.each(testDrivers())('the compiled-operation lane answers exactly as Apollo does, on %s', (driver) => {
  let t: TestGateway;
  let visible: string;
  let hidden: string;
  let granted: string;
  const viewer = uniqueSubject('viewer');
  beforeAll(async () => {
    // DEFAULT_CLUSTER_ROLE=none: a cluster without a grant must look exactly like a missing one.
    t = await startTestGateway(driver, { DEFAULT_CLUSTER_ROLE: 'none' }, { healthMonitor: false });
    const c = await reachableCluster();
    const create = async (isDefault: boolean) => {
      const res = await t.rest('POST', '/api/v1/k8s/clusters', {
        body: { name: uniqueName('lane'), kubeconfig: c.kubeconfigBase64, is_default: isDefault, labels: { env: 'lane' } },
      });
      expect(res.status).toBe(201);
      return String(res.body.data.id);
    };
    visible = await create(true);
    hidden = await create(false);
    granted = visible;
    await grant(t, Number(granted), viewer, 'viewer');
  });
  afterAll(() => t?.close());

  const send = (body: string, opts: { token?: string | null; accept?: string; contentType?: string } = {}) => {
    const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
    const token = opts.token === undefined ? t.adminToken : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (opts.accept) headers.accept = opts.accept;
    return fetch(`${t.url}/graphql`, { method: 'POST', headers, body });
  };

  /** The same request through the lane (when it takes it) and through Apollo; `lane`: whether the lane must answer. */
  const compare = async (body: string, lane: boolean, opts: { token?: string | null; accept?: string } = {}) => {
    const before = await laneExecutions(t.url);
    const viaLane = await observable(await send(body, opts));
    expect(await laneExecutions(t.url)).toBe(before + (lane ? 1 : 0));
    const viaApollo = await observable(await send(body, { ...opts, contentType: APOLLO_ONLY }));
    expect(await laneExecutions(t.url)).toBe(before + (lane ? 1 : 0));
    expect(viaLane).toEqual(viaApollo);
    return viaLane;
  };
  const q = (query: string, variables?: Record<string, unknown>, operationName?: string) => JSON.stringify({ query, variables, operationName });

  it.each([
    ['no Accept header', undefined],
    ['application/json', 'application/json'],
    ['application/graphql-response+json', 'application/graphql-response+json'],
    ["GraphiQL's Accept", 'application/graphql-response+json, application/json, multipart/mixed'],
  ])('a single-cluster read (%s) from the lane has the status, headers and bytes Apollo gives', async (_label, accept) => {
    const query = `{ cluster(id: "${visible}") { id name isDefault healthStatus nodeCount labels { key value } createdAt kubeconfig } }`;
    const res = await compare(q(query), true, { accept });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(res.body).data.cluster.kubeconfig).toMatch(/apiVersion/);
  });

  it('variables, operation names, fragments, currentCluster and myRole as a granted user go through the lane', async () => {
    const doc = 'query A($id: ID!) { cluster(id: $id) { ...F } } query B { currentCluster { id name } } fragment F on Cluster { id name myRole }';
    expect(JSON.parse((await compare(q(doc, { id: visible }, 'A'), true)).body).data.cluster.myRole).toBe('ADMIN');
    expect(JSON.parse((await compare(q(doc, undefined, 'B'), true)).body).data.currentCluster.id).toBe(visible);
    const user = await compare(q('query($id: ID!) { cluster(id: $id) { id myRole } }', { id: granted }), true, { token: tokenFor(viewer) });
    expect(JSON.parse(user.body).data.cluster.myRole).toBe('VIEWER');
  });

  it.each([
    ['an unknown field (validation)', () => q('{ cluster(id: "1") { id nope } }'), 400],
    ['a syntax error', () => q('{ cluster(id: "1") { id '), 400],
    // Short enough (< 4 KiB) for the lane to compile: it is the cost rule that refuses it, before any resolver runs.
    [
      'a cost-limit refusal',
      () => q(`{ ${Array.from({ length: 40 }, (_, i) => `a${i}: clusters { items { id name healthStatus nodeCount } }`).join(' ')} }`),
      400,
    ],
    ['a variable of the wrong type', () => q('query($id: ID!) { cluster(id: $id) { id } }', { id: { no: 1 } }), 400],
    ['a missing operation name among several', () => q('query A { currentCluster { id } } query B { currentCluster { id } }'), 400],
    ['a mutation', () => q(`mutation { updateCluster(id: "${visible}", input: { enabled: true }) { id enabled } }`), 200],
    ['a subscription', () => q('subscription { clusterHealth { __typename } }'), 400],
    ['a missing cluster (NOT_FOUND)', () => q('{ cluster(id: "999999") { id name } }'), 200],
  ])('%s is left to Apollo and answered as before', async (_label, body, status) => {
    const res = await compare(body(), false);
    expect(res.status).toBe(status);
    if (body().includes('a39:')) expect(JSON.parse(res.body).errors[0].extensions.limit).toBe('cost');
  });

  it('a cluster the user holds no role on is NOT_FOUND in the very words of a missing one, through either path', async () => {
    const token = tokenFor(viewer);
    const hiddenRes = await compare(q(`{ cluster(id: "${hidden}") { id name } }`), false, { token });
    const missingRes = await compare(q('{ cluster(id: "999999") { id name } }'), false, { token });
    expect(JSON.parse(hiddenRes.body).errors[0].extensions.code).toBe('NOT_FOUND');
    expect(hiddenRes.body.replace(hidden, 'N')).toBe(missingRes.body.replace('999999', 'N'));
  });

  it.each([
    ['a bad token', 'not-a-token', 401],
    ['no token', null, 200],
  ])('%s is never answered by the lane', async (_label, token, status) => {
    const res = await compare(q(`{ cluster(id: "${visible}") { id } }`), false, { token });
    expect(res.status).toBe(status);
  });

  it('a list read the response cache files stays with Apollo, and is then replayed by the cached-read lane', async () => {
    const res = await compare(q('{ clusters { total items { id name } } } # compiled-lane'), false);
    expect(JSON.parse(res.body).data.clusters.total).toBeGreaterThan(0);
  });
});

describe.each(testDrivers())('REST C2 executed ahead of Express answers exactly as Express does, on %s', (driver) => {
  let t: TestGateway;
  let visible: number;
  let hidden: number;
  const viewer = uniqueSubject('c2-viewer');
  beforeAll(async () => {
    t = await startTestGateway(driver, { DEFAULT_CLUSTER_ROLE: 'none' }, { healthMonitor: false });
    const c = await reachableCluster();
    const create = async () => {
      const res = await t.rest('POST', '/api/v1/k8s/clusters', { body: { name: uniqueName('c2lane'), kubeconfig: c.kubeconfigBase64 } });
      expect(res.status).toBe(201);
      return res.body.data.id as number;
    };
    visible = await create();
    hidden = await create();
    await grant(t, visible, viewer, 'viewer');
  });
  afterAll(() => t?.close());

  const executions = async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    return Number(/^kube_gateway_compiled_reads_total\{route="\/api\/v1\/k8s\/clusters\/:id"\} (\d+)/m.exec(text)?.[1] ?? 0);
  };
  /** `/clusters/5` (the lane, when it takes it) against `/clusters/5?` (a query string: always Express). */
  const compare = async (id: number | string, token: string | null, lane: boolean) => {
    const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
    const before = await executions();
    const viaLane = await observable(await fetch(`${t.url}/api/v1/k8s/clusters/${id}`, { headers }));
    expect(await executions()).toBe(before + (lane ? 1 : 0));
    const viaExpress = await observable(await fetch(`${t.url}/api/v1/k8s/clusters/${id}?`, { headers }));
    expect(await executions()).toBe(before + (lane ? 1 : 0));
    expect(viaLane).toEqual(viaExpress);
    return viaLane;
  };

  it('an admin gets the cluster with its kubeconfig, a granted user without, in the same bytes and headers', async () => {
    const admin = await compare(visible, t.adminToken, true);
    expect(admin.status).toBe(200);
    expect(admin.headers['cache-control']).toBe('no-store');
    expect(Buffer.from(JSON.parse(admin.body).data.kubeconfig, 'base64').toString()).toMatch(/apiVersion/);
    const user = await compare(visible, tokenFor(viewer), true);
    expect(JSON.parse(user.body).data.kubeconfig).toBeUndefined();
  });

  it('a missing cluster, a cluster without a role, a bad id and a bad token are answered by Express as before', async () => {
    const token = tokenFor(viewer);
    const hiddenRes = await compare(hidden, token, false);
    const missingRes = await compare(999999, token, false);
    expect(hiddenRes.status).toBe(404);
    expect(hiddenRes.body.replace(String(hidden), 'N')).toBe(missingRes.body.replace('999999', 'N'));
    expect((await compare(0, t.adminToken, false)).status).toBe(400);
    expect((await compare(visible, 'not-a-token', false)).status).toBe(401);
    expect((await compare(visible, null, false)).status).toBe(401);
  });
});
