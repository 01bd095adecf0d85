import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { testDrivers } from './support/databases.js';
import { TEST_JWT_SECRET, useTestGateway } from './support/gateway.js';
import { adminClaims, b64url, hmacToken, hs, now, rsaKeyPair } from './support/forged-tokens.js';
import { bearer, call, gqlBody, JSON_CT, REST_BASE, wsAttempt } from './support/raw-requests.js';
import { AUTH_ATTACK_ENV, LIST, useVictimGateway } from './support/victim-gateway.js';

/**
 * Token attacks: forged, confused, expired and malformed tokens, tokens in any place but "Authorization: Bearer", on
 * HTTP and on subscriptions; and, on an RS256 gateway with issuer and audience, algorithm confusion, other keys and
 * algorithms, and wrong or missing issuer/audience. Each is refused with 401 / UNAUTHENTICATED (4401 on a socket).
 */

const ISSUER = 'https://issuer.example.test';
const AUDIENCE = 'kube-gateway-test';
/** The RS256 gateway's key pair, and an attacker's. */
const rsa = rsaKeyPair();
const attackerRsa = rsaKeyPair();

describe.each(testDrivers())('authentication and authorization attacks on %s', { concurrent: true }, (driver) => {
  describe('HS256 gateway', { concurrent: false }, () => {
    const { t, victim } = useVictimGateway(driver);

    const unauthorized = async (label: string, headers: Record<string, string>, path = `${REST_BASE}/clusters`) => {
      const rest = await call(t.url, 'GET', path, { headers });
      const gql = await call(t.url, 'POST', '/graphql', { headers: { ...JSON_CT, ...headers }, body: gqlBody(LIST) });
      return {
        label,
        rest: rest.status,
        restEnvelope: rest.json?.code === 401 && rest.json?.data === null && typeof rest.json?.message === 'string',
        wwwAuthenticate: rest.headers.get('www-authenticate'),
        gql: gql.json?.errors?.[0]?.extensions?.code,
        gqlData: gql.json?.data ?? null,
      };
    };

    it('positive control: valid user and admin tokens are accepted', async ({ expect }) => {
      for (const token of [t.userToken, t.adminToken]) {
        expect((await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: bearer(token) })).status).toBe(200);
        const gql = await call(t.url, 'POST', '/graphql', { headers: { ...JSON_CT, ...bearer(token) }, body: gqlBody(LIST) });
        expect(gql.json.errors).toBeUndefined();
        expect(gql.json.data.clusters.total).toBeGreaterThanOrEqual(1);
      }
    });

    it('forged, confused, expired and malformed tokens are refused with 401 / UNAUTHENTICATED', async ({ expect }) => {
      const valid = t.adminToken;
      const [vh, vp] = valid.split('.');
      const forged: Record<string, string> = {
        'alg none': `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(adminClaims())}.`,
        'alg None': `${b64url({ alg: 'None', typ: 'JWT' })}.${b64url(adminClaims())}.`,
        'alg NONE with a stolen signature': `${b64url({ alg: 'NONE', typ: 'JWT' })}.${b64url(adminClaims())}.${valid.split('.')[2]}`,
        'alg none, no trailing dot': `${b64url({ alg: 'none' })}.${b64url(adminClaims())}`,
        'wrong HMAC key': hmacToken({ alg: 'HS256', typ: 'JWT' }, adminClaims(), 'not-the-secret-' + randomBytes(8).toString('hex')),
        'empty HMAC key': hmacToken({ alg: 'HS256', typ: 'JWT' }, adminClaims(), ''),
        'HS384 with the right secret': hmacToken({ alg: 'HS384', typ: 'JWT' }, adminClaims(), TEST_JWT_SECRET, 'sha384'),
        'HS512 with the right secret': hmacToken({ alg: 'HS512', typ: 'JWT' }, adminClaims(), TEST_JWT_SECRET, 'sha512'),
        'RS256 with an attacker key': jwt.sign(adminClaims(), attackerRsa.privateKey, { algorithm: 'RS256' }),
        'payload swapped under a valid signature': `${vh}.${b64url(adminClaims({ sub: 'admin-alice' }))}.${valid.split('.')[2]}`,
        'user token re-labelled admin': (() => {
          const [h, , s] = t.userToken.split('.');
          const claims = JSON.parse(Buffer.from(t.userToken.split('.')[1]!, 'base64url').toString());
          return `${h}.${b64url({ ...claims, role: 'admin' })}.${s}`;
        })(),
        'expired an hour ago': hs({ sub: 'admin-alice', role: 'admin', exp: now() - 3600 }),
        'expired a minute ago': hs({ sub: 'admin-alice', role: 'admin', exp: now() - 60 }),
        'not valid for an hour (nbf)': hs({ sub: 'admin-alice', role: 'admin', nbf: now() + 3600, exp: now() + 7200 }),
        'no sub': hs({ role: 'admin' }, { expiresIn: '1h' }),
        'empty sub': hs({ sub: '', role: 'admin' }, { expiresIn: '1h' }),
        'numeric sub': hmacToken({ alg: 'HS256', typ: 'JWT' }, { sub: 42, role: 'admin', exp: now() + 3600 }, TEST_JWT_SECRET),
        'payload is a string': jwt.sign('admin', TEST_JWT_SECRET, { algorithm: 'HS256' }),
        'kid path traversal signed with an empty key': hmacToken({ alg: 'HS256', kid: '../../../../../dev/null' }, adminClaims(), ''),
        'jku pointing at an attacker': jwt.sign(adminClaims(), attackerRsa.privateKey, {
          algorithm: 'RS256',
          header: { alg: 'RS256', jku: 'https://attacker.example/jwks.json' },
        }),
        'two segments': `${vh}.${vp}`,
        garbage: 'not-a-jwt',
        'header only': `${vh}..`,
        'base64 padding in segments': `${vh}=.${vp}=.${valid.split('.')[2]}=`,
      };
      const results = [];
      for (const [label, token] of Object.entries(forged)) results.push(await unauthorized(label, bearer(token)));
      for (const r of results) {
        expect.soft(r, r.label).toMatchObject({ rest: 401, restEnvelope: true, wwwAuthenticate: 'Bearer', gql: 'UNAUTHENTICATED', gqlData: null });
      }
    });

    it('only "Authorization: Bearer" counts: Basic, other schemes, query strings, cookies and other headers are ignored', async ({ expect }) => {
      const admin = t.adminToken;
      const headerCases: [string, Record<string, string>][] = [
        ['Basic', { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }],
        ['Basic carrying the JWT', { authorization: `Basic ${admin}` }],
        ['Token scheme', { authorization: `Token ${admin}` }],
        ['JWT scheme', { authorization: `JWT ${admin}` }],
        ['bare token', { authorization: admin }],
        ['Bearer without token', { authorization: 'Bearer' }],
        ['Bearer with two tokens', { authorization: `Bearer ${admin} ${admin}` }],
        ['Bearer, comma-joined duplicate', { authorization: `Bearer ${admin}, Bearer ${admin}` }],
      ];
      for (const [label, headers] of headerCases) {
        const r = await unauthorized(label, headers);
        expect.soft(r, label).toMatchObject({ rest: 401, restEnvelope: true, gql: 'UNAUTHENTICATED' });
      }
      // Tokens anywhere else are not read at all: the request is anonymous (401 on REST, UNAUTHENTICATED in GraphQL).
      const elsewhere: [string, string, Record<string, string>][] = [
        ['?token=', `?token=${admin}`, {}],
        ['?access_token=', `?access_token=${admin}`, {}],
        ['?authorization=', `?authorization=${encodeURIComponent(`Bearer ${admin}`)}`, {}],
        ['cookie token', '', { cookie: `token=${admin}; access_token=${admin}` }],
        ['X-Access-Token', '', { 'x-access-token': admin }],
        ['X-Auth-Token', '', { 'x-auth-token': admin }],
        ['Proxy-Authorization', '', { 'proxy-authorization': `Bearer ${admin}` }],
        ['X-Forwarded-Authorization', '', { 'x-forwarded-authorization': `Bearer ${admin}` }],
      ];
      for (const [label, query, headers] of elsewhere) {
        const rest = await call(t.url, 'GET', `${REST_BASE}/clusters${query}`, { headers });
        expect.soft(rest.status, `REST ${label}`).toBe(401);
        const restC2 = await call(t.url, 'GET', `${REST_BASE}/clusters/${victim.id}${query}`, { headers });
        expect.soft(restC2.status, `REST C2 ${label}`).toBe(401);
        const gql = await call(t.url, 'POST', `/graphql${query}`, { headers: { ...JSON_CT, ...headers }, body: gqlBody(LIST) });
        expect.soft(gql.json?.errors?.[0]?.extensions?.code, `GraphQL ${label}`).toBe('UNAUTHENTICATED');
        expect.soft(gql.json?.data ?? null, `GraphQL ${label} data`).toBeNull();
      }
      // A token inside the GraphQL body is not a credential either.
      const inBody = await call(t.url, 'POST', '/graphql', {
        headers: JSON_CT,
        body: JSON.stringify({ query: LIST, token: admin, extensions: { authorization: `Bearer ${admin}` } }),
      });
      expect(inBody.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    });

    it('subscriptions without a token, with an expired, forged or misplaced token are closed with 4401', async ({ expect }) => {
      const cases: [string, Record<string, unknown> | undefined][] = [
        ['no connectionParams', undefined],
        ['empty connectionParams', {}],
        ['expired token', { Authorization: `Bearer ${hs({ sub: 'admin-alice', role: 'admin', exp: now() - 60 })}` }],
        ['alg none', { Authorization: `Bearer ${b64url({ alg: 'none' })}.${b64url(adminClaims())}.` }],
        ['wrong key', { Authorization: `Bearer ${hmacToken({ alg: 'HS256' }, adminClaims(), 'wrong')}` }],
        ['token without Bearer', { Authorization: t.adminToken }],
        ['token under another name', { token: t.adminToken, access_token: t.adminToken }],
        ['Authorization is an object', { Authorization: { Bearer: t.adminToken } }],
        ['not-yet-valid token', { Authorization: `Bearer ${hs({ sub: 'a', role: 'admin', nbf: now() + 3600, exp: now() + 7200 })}` }],
      ];
      for (const [label, params] of cases) {
        const out = await wsAttempt(t.url, params, { subscribe: { query: 'subscription { clusterHealth { id kubeconfig } }' } });
        expect.soft(out.closed?.code, label).toBe(4401);
        expect.soft(out.nexts, label).toEqual([]);
      }
      // Positive control: the same subscription with a valid token is served.
      const ok = await wsAttempt(
        t.url,
        { Authorization: `Bearer ${t.adminToken}` },
        { subscribe: { query: 'subscription { clusterHealth { id } }' } },
      );
      expect(ok.nexts.length).toBeGreaterThanOrEqual(1);
    });

    // Issue 17 changed this from 4401 (fatal for graphql-ws clients) to 4440, which they retry with fresh connectionParams.
    it('a subscription is closed with 4440 (reconnect with a fresh token) when its token expires', async ({ expect }) => {
      const shortLived = hs({ sub: 'user-bob', role: 'user', exp: now() + 2 });
      const started = Date.now();
      const out = await wsAttempt(
        t.url,
        { Authorization: `Bearer ${shortLived}` },
        { subscribe: { query: 'subscription { clusterHealth { id } }' }, untilNexts: 1_000, waitMs: 8_000 },
      );
      expect(out.nexts.length).toBeGreaterThanOrEqual(1); // it was accepted first
      expect(out.closed?.code).toBe(4440);
      expect(Date.now() - started).toBeLessThan(7_000);
    });
  });

  describe('RS256 gateway with JWT_ISSUER and JWT_AUDIENCE', { concurrent: false }, () => {
    // An empty JWT_SECRET means "unset" to the config model, so only the public key is configured.
    const t = useTestGateway(driver, {
      ...AUTH_ATTACK_ENV,
      JWT_SECRET: '',
      JWT_PUBLIC_KEY: rsa.publicKey,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
    });

    const rs = (claims: object, opts: jwt.SignOptions = {}, key = rsa.privateKey) =>
      jwt.sign(claims, key, { algorithm: 'RS256', expiresIn: '1h', ...opts });
    const statusWith = async (token: string) => {
      const rest = await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: bearer(token) });
      const gql = await call(t.url, 'POST', '/graphql', { headers: { ...JSON_CT, ...bearer(token) }, body: gqlBody(LIST) });
      return { rest: rest.status, gql: gql.json?.errors?.[0]?.extensions?.code ?? 'OK' };
    };

    it('positive control: a properly signed RS256 token with the right issuer and audience is accepted', async ({ expect }) => {
      expect(await statusWith(rs({ sub: 'admin-rs', role: 'admin' }, { issuer: ISSUER, audience: AUDIENCE }))).toEqual({ rest: 200, gql: 'OK' });
      expect(await statusWith(rs({ sub: 'user-rs' }, { issuer: ISSUER, audience: [AUDIENCE, 'other'] }))).toEqual({ rest: 200, gql: 'OK' });
    });

    it('HS256 signed with the RSA public key as the HMAC secret (algorithm confusion) is refused', async ({ expect }) => {
      const claims = { ...adminClaims(), iss: ISSUER, aud: AUDIENCE };
      const exported = rsa.publicKey; // what the gateway was given
      const variants = [exported, exported.trim(), exported.replace(/\n/g, '\r\n'), Buffer.from(exported), exported.replace(/\n/g, '\\n')];
      for (const [i, key] of variants.entries()) {
        expect
          .soft(await statusWith(hmacToken({ alg: 'HS256', typ: 'JWT' }, claims, key)), `variant ${i}`)
          .toEqual({ rest: 401, gql: 'UNAUTHENTICATED' });
      }
      // The same with the library, which must not be coaxed into HMAC with a PEM either.
      expect(await statusWith(hmacToken({ alg: 'HS512' }, claims, exported, 'sha512'))).toEqual({ rest: 401, gql: 'UNAUTHENTICATED' });
    });

    it('wrong key, other RSA algorithms, alg none, HS tokens, and wrong or missing issuer/audience are refused', async ({ expect }) => {
      const ok = { issuer: ISSUER, audience: AUDIENCE };
      const cases: Record<string, string> = {
        'signed by another RSA key': rs({ sub: 'a', role: 'admin' }, ok, attackerRsa.privateKey),
        'RS512 with the right key': jwt.sign({ sub: 'a', role: 'admin' }, rsa.privateKey, { algorithm: 'RS512', expiresIn: '1h', ...ok }),
        'PS256 with the right key': jwt.sign({ sub: 'a', role: 'admin' }, rsa.privateKey, { algorithm: 'PS256', expiresIn: '1h', ...ok }),
        'alg none': `${b64url({ alg: 'none' })}.${b64url({ ...adminClaims(), iss: ISSUER, aud: AUDIENCE })}.`,
        'HS256 token of the HS gateway': signToken(TEST_JWT_SECRET, { sub: 'admin-alice', role: 'admin' }, ok),
        'wrong issuer': rs({ sub: 'a', role: 'admin' }, { issuer: 'https://evil.example', audience: AUDIENCE }),
        'issuer differs by a trailing slash': rs({ sub: 'a', role: 'admin' }, { issuer: `${ISSUER}/`, audience: AUDIENCE }),
        'no issuer': rs({ sub: 'a', role: 'admin' }, { audience: AUDIENCE }),
        'wrong audience': rs({ sub: 'a', role: 'admin' }, { issuer: ISSUER, audience: 'someone-else' }),
        'no audience': rs({ sub: 'a', role: 'admin' }, { issuer: ISSUER }),
        'audience in the wrong case': rs({ sub: 'a', role: 'admin' }, { issuer: ISSUER, audience: AUDIENCE.toUpperCase() }),
        expired: jwt.sign({ sub: 'a', role: 'admin', exp: now() - 120 }, rsa.privateKey, { algorithm: 'RS256', ...ok }),
        'not yet valid': jwt.sign({ sub: 'a', role: 'admin', nbf: now() + 600 }, rsa.privateKey, { algorithm: 'RS256', expiresIn: '2h', ...ok }),
        'no sub': jwt.sign({ role: 'admin' }, rsa.privateKey, { algorithm: 'RS256', expiresIn: '1h', ...ok }),
      };
      for (const [label, token] of Object.entries(cases)) {
        expect.soft(await statusWith(token), label).toEqual({ rest: 401, gql: 'UNAUTHENTICATED' });
      }
      const ws = await wsAttempt(
        t.url,
        { Authorization: `Bearer ${cases['wrong audience']}` },
        { subscribe: { query: 'subscription { clusterHealth { id } }' } },
      );
      expect(ws.closed?.code).toBe(4401);
    });
  });
});
