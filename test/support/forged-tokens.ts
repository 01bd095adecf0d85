import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TEST_JWT_SECRET } from './gateway.js';

/** Tokens made by an attacker: signed by hand, with any header, any claims and any key. */

export const now = () => Math.floor(Date.now() / 1000);
export const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A JWT signed by hand with HMAC (any algorithm name in the header, any key), so no library refuses to forge it. */
export function hmacToken(header: Record<string, unknown>, payload: Record<string, unknown>, key: string | Buffer, hash = 'sha256'): string {
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  return `${signingInput}.${createHmac(hash, key).update(signingInput).digest('base64url')}`;
}

/** Claims of an admin that does not exist, valid for an hour. */
export const adminClaims = (extra: Record<string, unknown> = {}) => ({ sub: 'mallory', role: 'admin', iat: now(), exp: now() + 3600, ...extra });

/** An HS256 token signed with the test gateways' secret unless told otherwise. */
export const hs = (claims: object, opts: jwt.SignOptions = {}, secret = TEST_JWT_SECRET) => jwt.sign(claims, secret, { algorithm: 'HS256', ...opts });

/** A fresh 2048-bit RSA key pair as PEM strings. */
export const rsaKeyPair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
