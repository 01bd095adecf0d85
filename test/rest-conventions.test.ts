/**
 * REST conventions (issue 17, item 6): 405 with `Allow` for a known path's unsupported method, and an OpenAPI document
 * that states the limits the server enforces (name length, body size) and `format: date-time` on every time.
 */
import { describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { uniqueName, useTestGateway } from './support/gateway.js';
import { bearer, call, JSON_CT, REST_BASE } from './support/raw-requests.js';

type Json = Record<string, any>;

describe.each(testDrivers())('REST conventions on %s', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false });
  const doc = async (): Promise<Json> => (await fetch(`${t.url}/api/v1/openapi.json`)).json();

  it('answers a method a known path does not serve with 405 and Allow, an unknown path with 404', async () => {
    for (const [method, path, allow] of [
      ['PATCH', `${REST_BASE}/clusters/1`, 'GET, PUT, DELETE, HEAD'],
      ['POST', `${REST_BASE}/clusters/1`, 'GET, PUT, DELETE, HEAD'],
      ['DELETE', `${REST_BASE}/clusters`, 'GET, POST, HEAD'],
      ['GET', `${REST_BASE}/clusters/1/test-connection`, 'POST'],
      ['PUT', `${REST_BASE}/webhooks/7`, undefined], // served: not a 405
      ['GET', `${REST_BASE}/tokens/abc`, 'DELETE'],
    ] as const) {
      const res = await call(t.url, method, path, { headers: bearer(t.adminToken) });
      if (allow === undefined) {
        expect(res.status, `${method} ${path}`).not.toBe(405);
        continue;
      }
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')?.split(', ').sort(), `${method} ${path}`).toEqual(allow.split(', ').sort());
      expect(res.json).toMatchObject({ code: 405, data: null });
      expect(res.json.message).toContain(method);
    }
    expect((await call(t.url, 'GET', `${REST_BASE}/nodes`, { headers: bearer(t.adminToken) })).status).toBe(404);
    expect((await call(t.url, 'PATCH', `${REST_BASE}/clusters/1/nothing`, { headers: bearer(t.adminToken) })).status).toBe(404);
  });

  it('documents the name limit the server enforces', async () => {
    const name = (await doc()).paths[`${REST_BASE}/clusters`].post.requestBody.content['application/json'].schema.properties.name;
    expect(name).toMatchObject({ type: 'string', minLength: 1 });
    const max = name.maxLength as number;
    expect(max).toBeGreaterThan(0);
    const tooLong = await t.rest('POST', `${REST_BASE}/clusters`, { body: { name: 'n'.repeat(max + 1), kubeconfig: 'eA==' } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.field).toBe('name');
    // A name of exactly the documented length is accepted (GraphQL: stored without a connection test).
    const exact = `${uniqueName('max')}-`.padEnd(max, 'n');
    const kubeconfig =
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n';
    const created = await t.gql('mutation($input: CreateClusterInput!) { createCluster(input: $input) { name } }', {
      input: { name: exact, kubeconfig, skipConnectionTest: true },
    });
    expect(created.errors).toBeUndefined();
    expect(created.data.createCluster.name).toBe(exact);
  });

  it('documents the body limit the server enforces on every endpoint', async () => {
    const d = await doc();
    const limit = Number(/over (\d+) bytes/.exec(d.paths[`${REST_BASE}/clusters`].post.responses['413'].description)?.[1]);
    expect(limit).toBeGreaterThan(0);
    const body = (bytes: number) => `{"name":"${'x'.repeat(bytes - 11)}"}`;
    expect(body(limit).length).toBe(limit);
    const at = await call(t.url, 'PUT', `${REST_BASE}/clusters/999999`, { headers: { ...bearer(t.adminToken), ...JSON_CT }, body: body(limit) });
    expect(at.status).not.toBe(413);
    const over = await call(t.url, 'PUT', `${REST_BASE}/clusters/999999`, {
      headers: { ...bearer(t.adminToken), ...JSON_CT },
      body: body(limit + 1),
    });
    expect(over.status).toBe(413);
    for (const [path, item] of Object.entries(d.paths as Json)) {
      for (const [method, op] of Object.entries(item as Json))
        if (method !== 'parameters') expect(Object.keys(op.responses), `${method} ${path}`).toContain('413');
    }
  });

  it('marks every time in the document as format: date-time', async () => {
    const d = await doc();
    const times: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}[${i}]`));
      if (!node || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        if (key === 'properties') {
          for (const [prop, s] of Object.entries(value as Json)) {
            if (/(_at|^at|^since|^until|^t)$/.test(prop)) times.push(`${path}.${prop}: ${JSON.stringify(s)}`);
          }
        }
        walk(value, `${path}.${key}`);
      }
    };
    walk(d, '');
    expect(times.length).toBeGreaterThan(10);
    expect(times.filter((s) => !s.includes('"format":"date-time"'))).toEqual([]);
  });
});
