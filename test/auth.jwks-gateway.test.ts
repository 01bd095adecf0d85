import { describe, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { startTestGateway } from './support/gateway.js';
import { providerKey, providerToken, startJwksServer } from './support/jwks-server.js';
import { bearer, call, gqlBody, JSON_CT, REST_BASE, wsAttempt } from './support/raw-requests.js';
import { perSuite } from './support/suite-fixtures.js';

/**
 * A gateway configured with JWT_JWKS_URL (and Keycloak-style claim names) accepts its provider's tokens on REST,
 * GraphQL and WebSocket, and answers 503 (never "accepted", never a brake-feeding 401) while the provider's keys
 * cannot be fetched.
 */

const key = providerKey('kc-1');
const LIST = '{ clusters { total } }';
const keycloakAdmin = () => providerToken(key, { sub: 'kc|root', realm_access: { roles: ['admin'] }, grp: ['ops'] });
const keycloakUser = () => providerToken(key, { sub: 'kc|bob', realm_access: { roles: ['viewer'] } });

describe.each(testDrivers())('JWT_JWKS_URL on %s', { concurrent: true }, (driver) => {
  describe('provider up', () => {
    const idp = perSuite(
      'the JWKS server',
      () => startJwksServer([key]),
      (s) => s.close(),
    );
    const t = perSuite(
      'the JWKS gateway',
      () =>
        startTestGateway(
          driver,
          { JWT_SECRET: '', JWT_JWKS_URL: idp.url, JWT_ROLE_CLAIM: 'realm_access.roles', JWT_GROUPS_CLAIM: 'grp' },
          { healthMonitor: false },
        ),
      (g) => g.close(),
    );

    it("the provider's tokens work on REST, GraphQL and WebSocket; the role claim decides who is admin", async ({ expect }) => {
      expect((await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: bearer(keycloakUser()) })).status).toBe(200);
      const me = await call(t.url, 'POST', '/graphql', { headers: { ...JSON_CT, ...bearer(keycloakAdmin()) }, body: gqlBody(LIST) });
      expect(me.json).toEqual({ data: { clusters: { total: 0 } } });
      // Only admins may read the whole audit log: the mapped role is what counts.
      expect((await call(t.url, 'GET', `${REST_BASE}/audit`, { headers: bearer(keycloakAdmin()) })).status).toBe(200);
      expect((await call(t.url, 'GET', `${REST_BASE}/audit`, { headers: bearer(keycloakUser()) })).status).toBe(403);
      const ws = await wsAttempt(
        t.url,
        { Authorization: `Bearer ${keycloakUser()}` },
        { subscribe: { query: 'subscription { clusterHealth { id } }' }, waitMs: 1_000 },
      );
      expect(ws.messages.some((m) => (m as { type?: string }).type === 'connection_ack')).toBe(true);
      // A token of another signer (the gateway's old HS256 world) is a plain 401.
      expect((await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: bearer(providerToken(providerKey('other'), { sub: 'x' })) })).status).toBe(
        401,
      );
    });
  });

  describe('provider unreachable (AUTH_FAILURE_LIMIT=3)', () => {
    const idp = perSuite(
      'the failing JWKS server',
      async () => Object.assign(await startJwksServer([key]), { failing: true }),
      (s) => s.close(),
    );
    const t = perSuite(
      'the JWKS gateway',
      () => startTestGateway(driver, { JWT_SECRET: '', JWT_JWKS_URL: idp.url, AUTH_FAILURE_LIMIT: '3' }, { healthMonitor: false }),
      (g) => g.close(),
    );

    it('503 on REST and GraphQL, 1013 (try again later) on WebSocket, and no brake however many requests', async ({ expect }) => {
      for (let i = 0; i < 5; i++) {
        const rest = await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: bearer(keycloakAdmin()) });
        expect(rest.status).toBe(503);
        expect(rest.json).toMatchObject({ code: 503, data: null });
        expect(rest.json.message).toMatch(/JWT_JWKS_URL|signing keys/);
      }
      const gql = await call(t.url, 'POST', '/graphql', { headers: { ...JSON_CT, ...bearer(keycloakAdmin()) }, body: gqlBody(LIST) });
      expect(gql.status).toBe(503);
      expect(gql.json.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
      expect(gql.json.data ?? null).toBeNull();
      const ws = await wsAttempt(t.url, { Authorization: `Bearer ${keycloakAdmin()}` }, { waitMs: 3_000 });
      expect(ws.closed?.code).toBe(1013);
      // Not 429: an outage of the provider is nobody's failed login.
      expect((await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: bearer(keycloakAdmin()) })).status).toBe(503);
    });
  });
});
