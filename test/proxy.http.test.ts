import { X509Certificate } from 'node:crypto';
import { statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testDrivers } from './support/databases.js';
import { registerCluster, type TestGateway, useTestGateway } from './support/gateway.js';
import { useReachableCluster } from './support/suite-fixtures.js';

/**
 * The proxy over raw HTTPS (paths and headers exactly as sent, which fetch would normalise): context switching,
 * what is stripped on the way to the cluster, paths that could leave the API server, Status errors, and where an issued
 * kubeconfig token is (not) accepted.
 */

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): any;
}

function send(
  t: TestGateway,
  path: string,
  opts: { method?: string; headers?: Record<string, string | string[]>; token?: string | null } = {},
): Promise<Answer> {
  const url = new URL(t.gw.httpsUrl!);
  const token = opts.token === undefined ? t.userToken : opts.token;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port: url.port,
        path,
        method: opts.method ?? 'GET',
        ca: t.gw.tls!.caPem,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...opts.headers },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const expectStatus = (a: Answer, code: number, reason: string) => {
  expect(a.status, a.body).toBe(code);
  expect(a.json()).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
};

describe.each(testDrivers())('the Kubernetes API proxy over HTTPS on %s', (driver) => {
  const t = useTestGateway(driver);
  const first = useReachableCluster({ nodes: 1, pods: 3 });
  const second = useReachableCluster({ nodes: 2, pods: 3 });
  // Its pod list (~700 KiB) is more than the gateway holds back to send in one write: it streams.
  const big = useReachableCluster({ nodes: 1, pods: 400 });
  let firstId = 0;
  let secondName = '';
  let secondId = 0;

  beforeAll(async () => {
    firstId = (await registerCluster(t, { kubeconfig: first.kubeconfigYaml, isDefault: true })).id;
    const s = await registerCluster(t, { kubeconfig: second.kubeconfigYaml });
    secondId = s.id;
    secondName = s.name;
  });

  it('context switching: default, X-Cluster-Name, X-Cluster-ID and ?cluster= (stripped before forwarding)', async () => {
    const nodeCount = async (headers: Record<string, string>, query = '') =>
      (await send(t, `/api/v1/k8s/proxy/api/v1/nodes${query}`, { headers })).json().items.length;
    expect(await nodeCount({})).toBe(1);
    expect(await nodeCount({ 'X-Cluster-Name': encodeURIComponent(secondName) })).toBe(2);
    expect(await nodeCount({ 'X-Cluster-ID': String(secondId) })).toBe(2);
    second.handle.clearLog();
    expect(await nodeCount({}, `?limit=5&cluster=${encodeURIComponent(secondName)}`)).toBe(2);
    const seen = second.handle.requestLog.find((e) => e.path === '/api/v1/nodes');
    expect(seen?.query).toEqual({ limit: '5' });
    expectStatus(await send(t, '/api/v1/k8s/proxy/api/v1/nodes?cluster=no-such-cluster'), 404, 'NotFound');
  });

  it("strips hop-by-hop headers, the caller's Authorization and any Impersonate-* before the cluster", async () => {
    first.handle.clearLog();
    const r = await send(t, `/api/v1/k8s/clusters/${firstId}/proxy/api/v1/nodes`, {
      headers: {
        Connection: 'keep-alive, X-Drop-Me',
        'X-Drop-Me': 'listed in Connection',
        'Proxy-Authorization': 'Basic Zm9vOmJhcg==',
        'Impersonate-User': 'system:admin',
        'Impersonate-Group': 'system:masters',
        'Impersonate-Extra-Scopes': 'all',
        TE: 'trailers',
        'X-Kept': 'yes',
      },
    });
    expect(r.status, r.body).toBe(200);
    const h = first.handle.requestLog.find((e) => e.path === '/api/v1/nodes')!.headers!;
    expect(h.authorization).toBe(`Bearer ${first.handle.token}`);
    for (const name of ['x-drop-me', 'proxy-authorization', 'impersonate-user', 'impersonate-group', 'impersonate-extra-scopes', 'te'])
      expect(h[name], name).toBeUndefined();
    expect(h['x-kept']).toBe('yes');
  });

  it('an answer that arrived whole goes out with its Content-Length; a HEAD answer is not given a length of its own', async () => {
    const base = `/api/v1/k8s/clusters/${firstId}/proxy`;
    // The simulator streams lists chunked; the gateway had the whole answer at once and sends it as one sized body.
    const list = await send(t, `${base}/api/v1/pods`);
    expect(list.status, list.body).toBe(200);
    expect(list.json().items).toHaveLength(3);
    expect(list.headers['transfer-encoding']).toBeUndefined();
    expect(list.headers['content-length']).toBe(String(Buffer.byteLength(list.body)));
    // A HEAD answer has no body, yet says nothing about the length of the GET's: the gateway must not write a 0 there.
    const head = await send(t, `${base}/api/v1/nodes`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).not.toBe('0');
    const bigId = (await registerCluster(t, { kubeconfig: big.kubeconfigYaml })).id;
    const streamed = await send(t, `/api/v1/k8s/clusters/${bigId}/proxy/api/v1/pods`);
    expect(streamed.status).toBe(200);
    expect(streamed.headers['transfer-encoding']).toBe('chunked');
    expect(streamed.json().items).toHaveLength(400);
  });

  it('paths that could leave the API server are refused with 400 and never forwarded', async () => {
    first.handle.clearLog();
    const base = `/api/v1/k8s/clusters/${firstId}/proxy`;
    for (const path of [
      `${base}/../../../healthz`,
      `${base}/api/%2e%2e/%2E%2E/version`,
      `${base}//evil.example/api`,
      `${base}/api/v1/namespaces%2fkube-system/pods`,
      `${base}/api\\..\\version`,
      `/api/v1/k8s/proxy/http://evil.example/api`,
    ]) {
      expectStatus(await send(t, path), 400, 'BadRequest');
    }
    expect(first.handle.requestLog).toEqual([]);
  });

  it('answers Kubernetes Status objects: 401 without or with a bad token, 404 for an unknown cluster, 503 with the reason', async () => {
    expectStatus(await send(t, `/api/v1/k8s/clusters/${firstId}/proxy/api/v1/nodes`, { token: null }), 401, 'Unauthorized');
    expectStatus(await send(t, `/api/v1/k8s/clusters/${firstId}/proxy/api/v1/nodes`, { token: 'not-a-token' }), 401, 'Unauthorized');
    expectStatus(await send(t, '/api/v1/k8s/clusters/999999/proxy/api/v1/nodes'), 404, 'NotFound');
    expectStatus(await send(t, '/api/v1/k8s/clusters/abc/proxy/api/v1/nodes'), 404, 'NotFound');
    // A registered cluster whose API server is gone.
    const gone = await registerCluster(t, {
      kubeconfig: first.kubeconfigYaml.replace(first.sim.url, 'https://127.0.0.1:1'),
      skipConnectionTest: true,
    });
    const down = await send(t, `/api/v1/k8s/clusters/${gone.id}/proxy/api/v1/nodes`);
    expectStatus(down, 503, 'ServiceUnavailable');
    expect(down.json().details.causes[0].reason).toBe('REFUSED');
  });

  it('an issued token works only on its own cluster and never on REST, GraphQL or the other cluster', async () => {
    const issued = await t.gql(
      'mutation($id: ID!) { issueClusterKubeconfig(clusterId: $id, ttlSeconds: 600) { kubeconfig tokenId expiresAt } }',
      { id: String(firstId) },
      { token: t.userToken },
    );
    expect(issued.errors).toBeUndefined();
    const kc = parse(issued.data.issueClusterKubeconfig.kubeconfig);
    expect(kc['current-context']).toBe(kc.clusters[0].name);
    expect(kc.clusters[0].cluster.server).toBe(`${t.gw.publicUrl}/api/v1/k8s/clusters/${firstId}/proxy`);
    expect(Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toBe(t.gw.tls!.caPem);
    const token: string = kc.users[0].user.token;

    expect((await send(t, `/api/v1/k8s/clusters/${firstId}/proxy/api/v1/nodes`, { token })).status).toBe(200);
    expectStatus(await send(t, `/api/v1/k8s/clusters/${secondId}/proxy/api/v1/nodes`, { token }), 401, 'Unauthorized');
    expect((await t.rest('GET', '/api/v1/k8s/clusters', { token })).status).toBe(401);
    const gql = await t.gql('{ clusters { total } }', {}, { token });
    expect(gql.status).toBe(401);
    expect(gql.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('TTL above 24 h is a 400 naming the field; tokens are listed per owner and revocable only by owner or admin', async () => {
    const rest = await fetch(`${t.url}/api/v1/k8s/clusters/${firstId}/kubeconfig?ttl=25h`, { headers: { authorization: `Bearer ${t.userToken}` } });
    expect(rest.status).toBe(400);
    expect(await rest.json()).toMatchObject({ field: 'ttl' });
    const gql = await t.gql('mutation($id: ID!) { issueClusterKubeconfig(clusterId: $id, ttlSeconds: 90000) { tokenId } }', { id: String(firstId) });
    expect(gql.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ttlSeconds' });

    const mine = await t.gql(
      'mutation($id: ID!) { issueClusterKubeconfig(clusterId: $id) { tokenId expiresAt } }',
      { id: String(firstId) },
      { token: t.userToken },
    );
    const tokenId = mine.data.issueClusterKubeconfig.tokenId as string;
    const hours = (Date.parse(mine.data.issueClusterKubeconfig.expiresAt) - Date.now()) / 3600_000;
    expect(hours).toBeGreaterThan(7.9);
    expect(hours).toBeLessThanOrEqual(8);
    const own = await t.rest('GET', '/api/v1/k8s/tokens', { token: t.userToken });
    expect(own.body.data.items.every((i: { subject: string }) => i.subject === 'user-bob')).toBe(true);
    expect(own.body.data.items.some((i: { id: string }) => i.id === tokenId)).toBe(true);
    expect(JSON.stringify(own.body)).not.toMatch(/eyJ/); // never the token itself

    const otherUser = (await import('../src/auth/jwt.js')).signToken((await import('./support/gateway.js')).TEST_JWT_SECRET, { sub: 'user-carol' });
    const foreign = await t.gql('mutation($id: ID!) { revokeAccessToken(id: $id) }', { id: tokenId }, { token: otherUser });
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const all = await t.gql('{ accessTokens { id subject revokedAt } }');
    expect(all.data.accessTokens.some((a: { id: string }) => a.id === tokenId)).toBe(true);
    expect((await t.gql('mutation($id: ID!) { revokeAccessToken(id: $id) }', { id: tokenId })).data.revokeAccessToken).toBe(true);
  });

  it('embedded mode generated a CA and a serving certificate (0600) covering localhost and 127.0.0.1', () => {
    for (const f of ['ca.crt', 'ca.key', 'server.crt', 'server.key']) expect(statSync(join(t.dataDir, 'tls', f)).mode & 0o777, f).toBe(0o600);
    const cert = new X509Certificate(t.gw.tls!.certPem);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.verify(new X509Certificate(t.gw.tls!.caPem!).publicKey)).toBe(true);
  });
});
