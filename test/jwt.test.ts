import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JwtVerifier, signToken, TokenError } from '../src/auth/jwt.js';

const SECRET = 'jwt-test-secret-' + randomBytes(16).toString('hex');
const hs = (opts: { issuer?: string; audience?: string } = {}) => new JwtVerifier({ keys: { algorithm: 'HS256', secret: SECRET }, ...opts });
const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function rejects(verifier: JwtVerifier, token: string): TokenError {
  let caught: unknown;
  try {
    verifier.verify(token);
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a TokenError').toBeInstanceOf(TokenError);
  return caught as TokenError;
}

function rsaPair() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
}
function ecPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('JwtVerifier HS256', () => {
  it('accepts a token signed with the configured secret', () => {
    expect(hs().verify(signToken(SECRET, { sub: 'alice', role: 'admin' }))).toMatchObject({ subject: 'alice', role: 'admin' });
    expect(hs().verify(signToken(SECRET, { sub: 'bob' }))).toMatchObject({ subject: 'bob', role: 'user' });
  });

  it('reports when the token expires', () => {
    const exp = now() + 3600;
    const token = jwt.sign({ sub: 'alice', exp }, SECRET, { algorithm: 'HS256' });
    expect(hs().verify(token).expiresAt).toBe(exp * 1000);
  });

  it('rejects a token signed with another secret, and a tampered payload', () => {
    rejects(hs(), signToken('another-secret-that-is-long-enough-1234', { sub: 'alice', role: 'admin' }));
    const [h, , s] = signToken(SECRET, { sub: 'bob', role: 'user' }).split('.');
    const forged = `${h}.${b64url({ sub: 'bob', role: 'admin', exp: now() + 600 })}.${s}`;
    expect(rejects(hs(), forged).message).toMatch(/signature/);
  });

  it('rejects an unsigned "alg: none" token', () => {
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'mallory', role: 'admin', exp: now() + 600 })}.`;
    rejects(hs(), none);
    // Also with a bogus signature part.
    rejects(hs(), none + 'AAAA');
  });

  it('rejects a token signed with a different HMAC algorithm (HS512)', () => {
    const token = jwt.sign({ sub: 'alice', role: 'admin' }, SECRET, { algorithm: 'HS512', expiresIn: '1h' });
    expect(rejects(hs(), token).message).toMatch(/algorithm/);
  });

  it('rejects garbage', () => {
    for (const token of ['garbage', 'a.b.c', '', '...']) rejects(hs(), token);
  });

  it('rejects an expired token', () => {
    const token = signToken(SECRET, { sub: 'alice', role: 'admin' }, { expiresIn: '-1m' });
    expect(rejects(hs(), token).message).toMatch(/expired/);
  });

  it('rejects a token whose nbf is in the future', () => {
    const token = jwt.sign({ sub: 'alice', nbf: now() + 3600, exp: now() + 7200 }, SECRET, { algorithm: 'HS256' });
    expect(rejects(hs(), token).message).toMatch(/not valid yet/);
  });

  it('does not keep accepting a cached token after it expires', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const verifier = hs();
    const token = signToken(SECRET, { sub: 'alice', role: 'admin' }, { expiresIn: '60s' });
    expect(verifier.verify(token).subject).toBe('alice');
    expect(verifier.verify(token).subject).toBe('alice');
    vi.setSystemTime(new Date('2030-01-01T00:02:00Z'));
    expect(rejects(verifier, token).message).toMatch(/expired/);
  });
});

describe('JwtVerifier issuer and audience', () => {
  const verifier = hs({ issuer: 'https://issuer.example.com', audience: 'kube-gateway' });

  it('accepts the configured issuer and audience', () => {
    const token = signToken(SECRET, { sub: 'alice' }, { issuer: 'https://issuer.example.com', audience: 'kube-gateway' });
    expect(verifier.verify(token).subject).toBe('alice');
  });

  it('rejects another issuer, or none', () => {
    expect(rejects(verifier, signToken(SECRET, { sub: 'a' }, { issuer: 'https://evil.example.com', audience: 'kube-gateway' })).message).toMatch(
      /issuer/,
    );
    rejects(verifier, signToken(SECRET, { sub: 'a' }, { audience: 'kube-gateway' }));
  });

  it('rejects another audience, or none', () => {
    expect(rejects(verifier, signToken(SECRET, { sub: 'a' }, { issuer: 'https://issuer.example.com', audience: 'other' })).message).toMatch(
      /audience/,
    );
    rejects(verifier, signToken(SECRET, { sub: 'a' }, { issuer: 'https://issuer.example.com' }));
  });

  it('ignores iss/aud when none is configured', () => {
    expect(hs().verify(signToken(SECRET, { sub: 'a' }, { issuer: 'whoever', audience: 'whatever' })).subject).toBe('a');
  });
});

describe('JwtVerifier RS256 / ES256', () => {
  it('RS256: accepts a token signed by the private key, rejects one signed by another key', () => {
    const pair = rsaPair();
    const verifier = new JwtVerifier({ keys: { algorithm: 'RS256', publicKeyPem: pair.publicPem } });
    const good = jwt.sign({ sub: 'alice', roles: ['admin'] }, pair.privateKey, { algorithm: 'RS256', expiresIn: '1h' });
    expect(verifier.verify(good)).toMatchObject({ subject: 'alice', role: 'admin' });
    const other = jwt.sign({ sub: 'alice', roles: ['admin'] }, rsaPair().privateKey, { algorithm: 'RS256', expiresIn: '1h' });
    rejects(verifier, other);
  });

  it('ES256: accepts a token signed by the private key, rejects one signed by another key', () => {
    const pair = ecPair();
    const verifier = new JwtVerifier({ keys: { algorithm: 'ES256', publicKeyPem: pair.publicPem } });
    const good = jwt.sign({ sub: 'carol', role: 'admin' }, pair.privateKey, { algorithm: 'ES256', expiresIn: '1h' });
    expect(verifier.verify(good)).toMatchObject({ subject: 'carol', role: 'admin' });
    rejects(verifier, jwt.sign({ sub: 'carol' }, ecPair().privateKey, { algorithm: 'ES256', expiresIn: '1h' }));
  });

  it('RS256: rejects an HS256 token whose HMAC key is the RSA public key PEM (algorithm confusion)', () => {
    const pair = rsaPair();
    const verifier = new JwtVerifier({ keys: { algorithm: 'RS256', publicKeyPem: pair.publicPem } });
    const header = b64url({ alg: 'HS256', typ: 'JWT' });
    const payload = b64url({ sub: 'mallory', role: 'admin', iat: now(), exp: now() + 600 });
    const signature = createHmac('sha256', pair.publicPem).update(`${header}.${payload}`).digest('base64url');
    rejects(verifier, `${header}.${payload}.${signature}`);
  });

  it('ES256: rejects an HS256 token whose HMAC key is the EC public key PEM', () => {
    const pair = ecPair();
    const verifier = new JwtVerifier({ keys: { algorithm: 'ES256', publicKeyPem: pair.publicPem } });
    const header = b64url({ alg: 'HS256', typ: 'JWT' });
    const payload = b64url({ sub: 'mallory', role: 'admin', exp: now() + 600 });
    const signature = createHmac('sha256', pair.publicPem).update(`${header}.${payload}`).digest('base64url');
    rejects(verifier, `${header}.${payload}.${signature}`);
  });

  it('RS256 verifier rejects an RS-signed token when configured for ES256 and vice versa', () => {
    const rsa = rsaPair();
    const es = new JwtVerifier({ keys: { algorithm: 'ES256', publicKeyPem: ecPair().publicPem } });
    rejects(es, jwt.sign({ sub: 'a' }, rsa.privateKey, { algorithm: 'RS256', expiresIn: '1h' }));
    const rs = new JwtVerifier({ keys: { algorithm: 'RS256', publicKeyPem: rsa.publicPem } });
    rejects(rs, jwt.sign({ sub: 'a' }, ecPair().privateKey, { algorithm: 'ES256', expiresIn: '1h' }));
  });
});

describe('JwtVerifier roles and subject', () => {
  it.each([
    [{ role: 'admin' }, 'admin'],
    [{ roles: ['viewer', 'admin'] }, 'admin'],
    [{ role: 'user', roles: ['admin'] }, 'admin'],
    [{}, 'user'],
    [{ role: 'user' }, 'user'],
    [{ role: 'Admin' }, 'user'],
    [{ role: 'administrator' }, 'user'],
    [{ role: ['admin'] }, 'user'],
    [{ roles: 'admin' }, 'user'],
    [{ roles: ['ADMIN', 'viewer'] }, 'user'],
  ] as [Record<string, unknown>, string][])('claims %j → %s', (claims, role) => {
    const token = jwt.sign({ sub: 'someone', ...claims }, SECRET, { algorithm: 'HS256', expiresIn: '1h' });
    expect(hs().verify(token).role).toBe(role);
  });

  it('rejects a token without sub, or with an empty or non-string sub', () => {
    for (const claims of [{ role: 'admin' }, { sub: '', role: 'admin' }, { sub: 42, role: 'admin' }]) {
      const token = jwt.sign(claims, SECRET, { algorithm: 'HS256', expiresIn: '1h' });
      expect(rejects(hs(), token).message).toMatch(/sub/);
    }
  });
});
