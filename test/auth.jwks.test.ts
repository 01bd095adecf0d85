import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import { claimAt, JwtVerifier, TokenError, TokenKeysUnavailableError } from '../src/auth/jwt.js';
import { b64url, now } from './support/forged-tokens.js';
import { type JwksServer, providerKey, providerToken, startJwksServer } from './support/jwks-server.js';

/**
 * JWT_JWKS_URL against a real local JWKS endpoint: keys fetched on first use and cached, a rotated-in key found by its
 * kid, a removed key refused after the refresh, an unreachable provider never turning into "accept", algorithms
 * pinned by the key's type, and JWT_ROLE_CLAIM / JWT_GROUPS_CLAIM mapping the provider's claims.
 */

const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'dex|alice', ...extra });
const verifierFor = (url: string, opts: { minRefetchIntervalMs?: number; maxAgeMs?: number; role?: string; groups?: string } = {}) =>
  new JwtVerifier({
    keys: { algorithm: 'JWKS', jwksUrl: url },
    claims: { role: opts.role, groups: opts.groups },
    jwks: { minRefetchIntervalMs: opts.minRefetchIntervalMs ?? 0, maxAgeMs: opts.maxAgeMs, fetchTimeoutMs: 2_000 },
  });
/** What every transport does: let the verifier fetch, then verify. */
const check = async (v: JwtVerifier, token: string) => {
  await v.prepare(token);
  return v.verify(token);
};
const refusal = async (v: JwtVerifier, token: string) =>
  check(v, token).then(
    () => undefined,
    (err: Error) => err,
  );

describe('JWKS key rotation', () => {
  const k1 = providerKey('k1');
  const k2 = providerKey('k2', 'ec');
  let idp: JwksServer;
  beforeAll(async () => {
    idp = await startJwksServer([k1]);
  });
  afterAll(() => idp.close());

  it('fetches on first use, caches (one fetch for many verifications), finds a rotated-in key by kid, and refuses a removed key after the refresh', async () => {
    idp.publish([k1]);
    idp.fetches = 0;
    const v = verifierFor(idp.url, { minRefetchIntervalMs: 0 });
    const old = providerToken(k1, claims({ role: 'admin', groups: ['sre'] }));
    expect(await check(v, old)).toMatchObject({ subject: 'dex|alice', role: 'admin', groups: ['sre'] });
    for (let i = 0; i < 20; i++) await check(v, providerToken(k1, claims({ n: i })));
    expect(idp.fetches).toBe(1);

    // The provider rotates: k2 (an EC key) is published beside k1; a token signed by k2 verifies at once.
    idp.publish([k1, k2]);
    const rotated = providerToken(k2, claims());
    expect((await check(v, rotated)).subject).toBe('dex|alice');
    expect(idp.fetches).toBe(2);

    // k1 is withdrawn. The next fetch (here triggered by another unknown kid) replaces the set: k1's token, verified
    // and cached before, is refused from then on.
    idp.publish([k2]);
    expect(await refusal(v, providerToken(providerKey('k-unknown'), claims()))).toBeInstanceOf(TokenError);
    const err = await refusal(v, old);
    expect(err).toBeInstanceOf(TokenError);
    expect(err!.message).toMatch(/kid/);
    expect((await check(v, rotated)).subject).toBe('dex|alice');
  });

  it('keys older than their max age are fetched again in the background, so a withdrawn key stops without any new kid', async () => {
    idp.publish([k1]);
    const v = verifierFor(idp.url, { minRefetchIntervalMs: 0, maxAgeMs: 50 });
    const token = providerToken(k1, claims());
    await check(v, token);
    idp.publish([k2]);
    await new Promise((r) => setTimeout(r, 80));
    await v.prepare(token); // starts the background refresh; the cached key still answers meanwhile
    await expect.poll(() => refusal(v, token), { timeout: 5_000 }).toBeInstanceOf(TokenError);
  });

  it('an unknown kid fetches again at most once per interval (made-up kids cannot flood the provider)', async () => {
    idp.publish([k1]);
    idp.fetches = 0;
    const v = verifierFor(idp.url, { minRefetchIntervalMs: 60_000 });
    await check(v, providerToken(k1, claims()));
    const forged = await Promise.all(Array.from({ length: 30 }, (_, i) => refusal(v, providerToken(providerKey(`made-up-${i}`, 'ec'), claims()))));
    expect(forged.every((e) => e instanceof TokenError)).toBe(true);
    expect(idp.fetches).toBe(1);
  });
});

describe('an unreachable JWKS never means "accept"', () => {
  const k1 = providerKey('k1');
  let idp: JwksServer;
  beforeAll(async () => {
    idp = await startJwksServer([k1]);
  });
  afterAll(() => idp.close());

  it('down from the start: every token is refused as "keys unavailable" (503), including a perfectly signed one', async () => {
    idp.failing = true;
    const v = verifierFor(idp.url);
    const err = await refusal(v, providerToken(k1, claims({ role: 'admin' })));
    expect(err).toBeInstanceOf(TokenKeysUnavailableError);
    idp.failing = false;
    expect((await check(v, providerToken(k1, claims()))).subject).toBe('dex|alice'); // recovers once the provider answers
  });

  it('down later: cached keys keep verifying their tokens, an unknown kid is "unavailable", never accepted', async () => {
    idp.failing = false;
    const v = verifierFor(idp.url);
    const known = providerToken(k1, claims());
    await check(v, known);
    idp.failing = true;
    expect((await check(v, providerToken(k1, claims({ n: 2 })))).subject).toBe('dex|alice');
    expect(await refusal(v, providerToken(providerKey('k9'), claims()))).toBeInstanceOf(TokenKeysUnavailableError);
    idp.failing = false;
  });

  it('a closed port (connection refused) is "unavailable" too', async () => {
    const v = verifierFor('http://127.0.0.1:9/jwks');
    expect(await refusal(v, providerToken(k1, claims()))).toBeInstanceOf(TokenKeysUnavailableError);
  });
});

describe('algorithms stay pinned by the key type', () => {
  const rsa = providerKey('rsa-1');
  const ec = providerKey('ec-1', 'ec');
  let idp: JwksServer;
  let v: JwtVerifier;
  beforeAll(async () => {
    idp = await startJwksServer([rsa, ec]);
    v = verifierFor(idp.url);
    await check(v, providerToken(rsa, claims()));
  });
  afterAll(() => idp.close());

  it('HS256 signed with the published RSA public key as the secret (alg confusion) is refused', async () => {
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const forged = jwt.sign(claims({ role: 'admin' }), pem, { algorithm: 'HS256', keyid: 'rsa-1', allowInsecureKeySizes: true } as jwt.SignOptions);
    const err = await refusal(v, forged);
    expect(err).toBeInstanceOf(TokenError);
    expect(err!.message).toMatch(/algorithm/);
  });

  it('alg none, and an RS256 header naming the EC key, are refused; ES256 on the EC key verifies', async () => {
    const none = `${b64url({ alg: 'none', kid: 'rsa-1' })}.${b64url({ ...claims({ role: 'admin' }), exp: now() + 60 })}.`;
    expect(await refusal(v, none)).toBeInstanceOf(TokenError);
    const wrongKey = providerToken(rsa, claims(), { kid: 'ec-1' });
    expect(await refusal(v, wrongKey)).toBeInstanceOf(TokenError);
    expect((await check(v, providerToken(ec, claims()))).subject).toBe('dex|alice');
  });

  it('a token without kid is refused when the set holds several keys (no guessing)', async () => {
    expect(await refusal(v, providerToken(rsa, claims(), { kid: null }))).toBeInstanceOf(TokenError);
  });
});

describe('JWT_ROLE_CLAIM / JWT_GROUPS_CLAIM', () => {
  const k1 = providerKey('k1');
  let idp: JwksServer;
  beforeAll(async () => {
    idp = await startJwksServer([k1]);
  });
  afterAll(() => idp.close());

  it("Keycloak's nested realm_access.roles and a namespaced groups claim map to the admin role and groups", async () => {
    const v = verifierFor(idp.url, { role: 'realm_access.roles', groups: 'https://gateway.example.com/groups' });
    const keycloak = claims({ realm_access: { roles: ['offline_access', 'admin'] }, 'https://gateway.example.com/groups': ['sre', 'db'] });
    expect(await check(v, providerToken(k1, keycloak))).toMatchObject({ role: 'admin', groups: ['sre', 'db'] });
    // The default claims mean nothing under this mapping: `role: admin` alone is a user.
    expect(await check(v, providerToken(k1, claims({ role: 'admin', groups: ['x'] })))).toMatchObject({ role: 'user', groups: [] });
    expect(await check(v, providerToken(k1, claims({ realm_access: { roles: 'admin-ish' } })))).toMatchObject({ role: 'user' });
  });

  it('claim paths: a whole dotted name first, then nested objects; arrays and missing parts are "absent"', () => {
    expect(claimAt({ a: { b: ['x'] } }, 'a.b')).toEqual(['x']);
    expect(claimAt({ 'a.b': 1, a: { b: 2 } }, 'a.b')).toBe(1);
    expect(claimAt({ a: [{ b: 1 }] }, 'a.0.b')).toBeUndefined();
    expect(claimAt({ a: 'str' }, 'a.length')).toBeUndefined();
    expect(claimAt({}, 'constructor.name')).toBeUndefined();
    expect(claimAt({}, 'constructor')).toBeUndefined();
  });
});

describe('JWT_JWKS_URL configuration', () => {
  it('one key source only; http(s) URLs only; accepted with DATABASE_URL in place of a secret', async () => {
    const { ConfigError, loadConfig } = await import('../src/config.js');
    const jwks = 'https://idp.example.com/realms/main/protocol/openid-connect/certs';
    expect(() => loadConfig({ JWT_SECRET: 'x'.repeat(32), JWT_JWKS_URL: jwks })).toThrow(/not both JWT_SECRET and JWT_JWKS_URL/);
    expect(() => loadConfig({ JWT_JWKS_URL: 'file:///etc/keys.json' })).toThrow(ConfigError);
    expect(() => loadConfig({ JWT_JWKS_URL: 'file:///etc/keys.json' })).toThrow(/JWT_JWKS_URL/);
    const config = loadConfig({
      DATABASE_URL: 'postgres://db/x',
      ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
      JWT_JWKS_URL: jwks,
      JWT_ROLE_CLAIM: 'realm_access.roles',
    });
    expect(config.jwt.jwksUrl).toBe(jwks);
    expect(config.jwtClaims).toEqual({ role: 'realm_access.roles', groups: 'groups' });
  });
});
