import { request as httpRequest } from 'node:http';
import express from 'express';
import { describe, it } from 'vitest';
import { AuthFailureLimiter } from '../src/http/auth-failure-limiter.js';
import { testDrivers } from './support/databases.js';
import { adminClaims, hmacToken } from './support/forged-tokens.js';
import { useTestGateway } from './support/gateway.js';
import { bearer, call, gqlBody, JSON_CT, REST_BASE } from './support/raw-requests.js';
import { AUTH_ATTACK_ENV, LIST } from './support/victim-gateway.js';

/**
 * The 401 brake (AUTH_FAILURE_LIMIT): repeated bad tokens from one address are answered 429 with Retry-After, while
 * successes, 403s and 404s do not count, operational endpoints stay open and other addresses are unaffected.
 */

/** A plain HTTP request from a chosen local address (127.0.0.2 …), to show the 401 brake is per address. */
function fromAddress(
  base: string,
  localAddress: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'GET', headers, localAddress }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(testDrivers())('authentication and authorization attacks on %s', { concurrent: true }, (driver) => {
  describe('401 brake (AUTH_FAILURE_LIMIT=5)', { concurrent: false }, () => {
    const t = useTestGateway(driver, { ...AUTH_ATTACK_ENV, AUTH_FAILURE_LIMIT: '5' });

    it('successes, 403s, 404s and anonymous introspection do not count; the 6th bad token from one address gets 429 with Retry-After, while another address is unaffected', async ({
      expect,
    }) => {
      // Not failures: successful reads, a forbidden write, a not-found, anonymous schema reads.
      for (let i = 0; i < 10; i++) expect((await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: bearer(t.userToken) })).status).toBe(200);
      expect((await call(t.url, 'DELETE', `${REST_BASE}/clusters/1`, { headers: bearer(t.userToken) })).status).toBe(403);
      expect((await call(t.url, 'GET', `${REST_BASE}/clusters/999999`, { headers: bearer(t.userToken) })).status).toBe(404);
      for (let i = 0; i < 3; i++)
        expect((await call(t.url, 'POST', '/graphql', { headers: JSON_CT, body: gqlBody('{ __schema { queryType { name } } }') })).status).toBe(200);

      // Five failures (REST and GraphQL, with X-Forwarded-For that must not split the count): each a 401.
      const bad = bearer(hmacToken({ alg: 'HS256' }, adminClaims(), 'guess'));
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const spoof = { 'x-forwarded-for': `10.0.0.${i}`, 'x-real-ip': `10.0.1.${i}` };
        statuses.push(
          i % 2 === 0
            ? (await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: { ...bad, ...spoof } })).status
            : (await call(t.url, 'POST', '/graphql', { headers: { ...JSON_CT, ...bad, ...spoof }, body: gqlBody(LIST) })).status,
        );
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401]);

      const sixth = await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: { ...bad, 'x-forwarded-for': '203.0.113.9' } });
      expect(sixth.status).toBe(429);
      expect(sixth.json).toMatchObject({ code: 429, data: null });
      expect(sixth.json.message).toMatch(/too many/i);
      const retryAfter = Number(sixth.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // GraphQL is braked too, and so is this address's valid token (the brake is per address, not per token).
      expect((await call(t.url, 'POST', '/graphql', { headers: { ...JSON_CT, ...bad }, body: gqlBody(LIST) })).status).toBe(429);
      expect((await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: bearer(t.userToken) })).status).toBe(429);

      // Another client address (127.0.0.2) is unaffected: its valid token works, its bad token gets a plain 401.
      expect((await fromAddress(t.url, '127.0.0.2', `${REST_BASE}/clusters`, bearer(t.userToken))).status).toBe(200);
      expect((await fromAddress(t.url, '127.0.0.2', `${REST_BASE}/clusters`, bad)).status).toBe(401);
    });

    it('operational endpoints (/healthz, /readyz) are not braked by another client’s bad tokens', async ({ expect }) => {
      // The previous test left 127.0.0.1 braked; a probe from the same address (kubelet behind the same SNAT, a
      // sidecar, a load balancer) must still see the process as alive and ready.
      expect((await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: bearer('still-bad') })).status).toBe(429);
      expect((await call(t.url, 'GET', '/healthz')).status).toBe(200);
      expect((await call(t.url, 'GET', '/readyz')).status).toBe(200);
    });

    it('the brake lifts when its window ends (AuthFailureLimiter with a 300 ms window)', async ({ expect }) => {
      const app = express();
      app.use(new AuthFailureLimiter(2, 300).middleware());
      app.get('/', (req, res) => {
        res.status(req.headers.authorization === 'Bearer good' ? 200 : 401).json({ code: 0, message: '', data: null });
      });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      try {
        expect((await call(url, 'GET', '/')).status).toBe(401);
        expect((await call(url, 'GET', '/')).status).toBe(401);
        const braked = await call(url, 'GET', '/');
        expect(braked.status).toBe(429);
        expect(Number(braked.headers.get('retry-after'))).toBe(1);
        expect((await call(url, 'GET', '/', { headers: { authorization: 'Bearer good' } })).status).toBe(429);
        await new Promise((r) => setTimeout(r, 350));
        expect((await call(url, 'GET', '/', { headers: { authorization: 'Bearer good' } })).status).toBe(200);
        expect((await call(url, 'GET', '/')).status).toBe(401);
      } finally {
        await new Promise((r) => server.close(r));
      }
    });
  });
});
