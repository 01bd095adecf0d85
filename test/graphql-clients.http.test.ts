/**
 * GraphQL over HTTP as standard clients speak it (issue 17, item 6): queries over GET (urql's default), mutations
 * refused over GET, and every answer on /graphql a GraphQL response in the negotiated media type, including the ones
 * that never reach Apollo (the 401 brake, body limits, malformed JSON, content types). HTTP statuses stay as they were.
 */
import { describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { uniqueName, useTestGateway } from './support/gateway.js';
import { bearer, call, JSON_CT, type Raw } from './support/raw-requests.js';
import { reachableCluster } from './support/reachable.js';

const LIST = '{ clusters { total items { id name } } }';
const getUrl = (query: string, extra: Record<string, string> = {}) => `/graphql?${new URLSearchParams({ query, ...extra })}`;
const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/** The answer is `{errors:[{message, extensions:{code}}]}` in `mediaType`, with no REST envelope fields. */
function expectGraphQLError(res: Raw, status: number, code: string, mediaType = 'application/json'): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(new RegExp(`^${mediaType.replace('+', '\\+')}`));
  expect(res.json?.errors?.[0]?.extensions?.code, res.text).toBe(code);
  expect(typeof res.json.errors[0].message).toBe('string');
  expect(res.json).not.toHaveProperty('code');
  expect(res.json).not.toHaveProperty('data');
}

describe.each(testDrivers())('GraphQL over HTTP on %s', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false });

  it('answers a query sent over GET with an Authorization header, with variables and operationName, like over POST', async () => {
    const cluster = await reachableCluster();
    try {
      const name = uniqueName('get');
      const created = await t.rest('POST', '/api/v1/k8s/clusters', { body: { name, kubeconfig: cluster.kubeconfigBase64 } });
      const byName = 'query One($id: ID!) { cluster(id: $id) { name } } query Other { clusters { total } }';
      const res = await call(
        t.url,
        'GET',
        getUrl(byName, { variables: JSON.stringify({ id: String(created.body.data.id) }), operationName: 'One' }),
        { headers: bearer(t.userToken) },
      );
      expect(res.status, res.text).toBe(200);
      expect(res.json).toEqual({ data: { cluster: { name } } });
      const post = await t.gql(LIST, undefined, { token: t.userToken });
      // The first GET renders the list, the second is answered by the cached-read lane: both equal POST's answer.
      for (let i = 0; i < 2; i++) {
        const get = await call(t.url, 'GET', getUrl(LIST), { headers: bearer(t.userToken) });
        expect(get.status).toBe(200);
        expect(get.json.data).toEqual(post.data);
        expect(get.headers.get('cache-control')).toBe('no-store');
      }
    } finally {
      await cluster.close();
    }
  });

  it('a cached GET list read shows a change made after it was cached', async () => {
    const cluster = await reachableCluster();
    try {
      const created = await t.rest('POST', '/api/v1/k8s/clusters', { body: { name: uniqueName('stale'), kubeconfig: cluster.kubeconfigBase64 } });
      const id = String(created.body.data.id);
      await call(t.url, 'GET', getUrl(LIST), { headers: bearer(t.adminToken) });
      await call(t.url, 'GET', getUrl(LIST), { headers: bearer(t.adminToken) });
      const renamed = uniqueName('renamed');
      await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { name: renamed } });
      const after = await call(t.url, 'GET', getUrl(LIST), { headers: bearer(t.adminToken) });
      expect(after.json.data.clusters.items.find((c: { id: string }) => c.id === id).name).toBe(renamed);
    } finally {
      await cluster.close();
    }
  });

  it('refuses a mutation over GET with 405 and Allow: POST, and runs nothing', async () => {
    const before = await t.gql('{ clusters { total } }');
    const mutation = `mutation { createCluster(input: { name: "${uniqueName('x')}", kubeconfig: "x", skipConnectionTest: true }) { id } }`;
    const res = await call(t.url, 'GET', getUrl(mutation), { headers: bearer(t.adminToken) });
    expectGraphQLError(res, 405, 'BAD_REQUEST');
    expect(res.headers.get('allow')).toBe('POST');
    expect((await t.gql('{ clusters { total } }')).data).toEqual(before.data);
  });

  it('keeps GraphiQL on GET /graphql without a query, and still refuses an anonymous GET query as a possible CSRF', async () => {
    const page = await call(t.url, 'GET', '/graphql', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const anonymous = await call(t.url, 'GET', getUrl('{ __typename }'));
    expectGraphQLError(anonymous, 400, 'BAD_REQUEST');
    expect(anonymous.json.errors[0].message).toMatch(/Cross-Site Request Forgery/);
  });

  it('answers body, JSON and content-type problems as GraphQL errors with the usual statuses', async () => {
    const post = (body: string, headers: Record<string, string>) =>
      call(t.url, 'POST', '/graphql', { headers: { ...bearer(t.adminToken), ...headers }, body });
    const query = JSON.stringify({ query: '{ clusters { total } }' });
    expectGraphQLError(await post('{"query":', JSON_CT), 400, 'BAD_REQUEST');
    expectGraphQLError(
      await post(JSON.stringify({ query: '{ clusters { total } }', variables: { pad: 'x'.repeat(1_100_000) } }), JSON_CT),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    // Other body types keep the 400 they always got (then from Apollo's CSRF check, now naming the fix).
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      const res = await post(query, { 'content-type': type });
      expectGraphQLError(res, 400, 'BAD_REQUEST');
      expect(res.json.errors[0].message).toMatch(/application\/json/);
    }
    expectGraphQLError(await post(query, { 'content-type': 'application/json; charset=latin1' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    // The GraphQL-over-HTTP media type when the client asks for it, as Apollo does for its own answers.
    expectGraphQLError(await post('{', { ...JSON_CT, accept: `${GRAPHQL_RESPONSE}, application/json;q=0.9` }), 400, 'BAD_REQUEST', GRAPHQL_RESPONSE);
  });

  it('REST keeps its envelope for the same problems', async () => {
    const res = await t.rest('POST', '/api/v1/k8s/clusters', { raw: '{"name":' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 400, data: null });
  });
});

describe.each(testDrivers())('the 401 brake on /graphql on %s', (driver) => {
  const t = useTestGateway(driver, { AUTH_FAILURE_LIMIT: '2' }, { healthMonitor: false });

  it('is a GraphQL error with TOO_MANY_AUTH_FAILURES and Retry-After on /graphql, the envelope on REST', async () => {
    for (let i = 0; i < 2; i++) expect((await t.gql('{ clusters { total } }', undefined, { token: 'not-a-token' })).status).toBe(401);
    const gql = await call(t.url, 'POST', '/graphql', {
      headers: { ...bearer(t.adminToken), ...JSON_CT, accept: GRAPHQL_RESPONSE },
      body: JSON.stringify({ query: '{ clusters { total } }' }),
    });
    expectGraphQLError(gql, 429, 'TOO_MANY_AUTH_FAILURES', GRAPHQL_RESPONSE);
    expect(Number(gql.headers.get('retry-after'))).toBeGreaterThan(0);
    const get = await call(t.url, 'GET', getUrl('{ clusters { total } }'), { headers: bearer(t.adminToken) });
    expectGraphQLError(get, 429, 'TOO_MANY_AUTH_FAILURES');
    const rest = await call(t.url, 'GET', '/api/v1/k8s/clusters', { headers: bearer(t.adminToken) });
    expect(rest.status).toBe(429);
    expect(rest.json).toMatchObject({ code: 429, data: null });
  });
});
