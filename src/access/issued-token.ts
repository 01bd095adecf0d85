import { hkdfSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { UnauthenticatedError } from '../errors.js';

/**
 * Tokens the gateway issues inside kubeconfigs. They are JWTs signed (HS256) with a key of their own, derived from the
 * ENCRYPTION_KEY by HKDF: every replica derives the same key (ENCRYPTION_KEY is shared by all of them), nothing new has
 * to be configured or stored, and a user token verifier (JWT_SECRET / JWT_PUBLIC_KEY) can never accept one, nor this
 * verifier a user token. Rotating ENCRYPTION_KEY ends every issued token (they live at most 24 hours anyway).
 */

/** The claim that binds a token to one cluster; a token carrying it is refused everywhere but that cluster's proxy. */
export const CLUSTER_CLAIM = 'kgw_cluster';
const ISSUER = 'kube-gateway';
const AUDIENCE = 'kube-gateway-proxy';

export interface IssuedClaims {
  subject: string;
  groups: readonly string[];
  /** Global admin when issued (the role is re-evaluated per request through the access layer from this). */
  admin: boolean;
  clusterId: number;
  jti: string;
  /** Epoch ms. */
  expiresAt: number;
}

export class IssuedTokenSigner {
  private readonly key: Buffer;

  constructor(encryptionKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'kube-gateway issued kubeconfig tokens v1', 32));
  }

  sign(c: Omit<IssuedClaims, 'jti' | 'expiresAt'>, ttlSeconds: number): { token: string; jti: string; expiresAt: Date } {
    const jti = randomUUID();
    const token = jwt.sign(
      { sub: c.subject, groups: [...c.groups], ...(c.admin ? { role: 'admin' } : {}), [CLUSTER_CLAIM]: String(c.clusterId) },
      this.key,
      { algorithm: 'HS256', expiresIn: ttlSeconds, issuer: ISSUER, audience: AUDIENCE, jwtid: jti },
    );
    const { exp } = jwt.decode(token) as { exp: number };
    return { token, jti, expiresAt: new Date(exp * 1000) };
  }

  /** The claims of a token this gateway issued; UnauthenticatedError for anything else, expired ones included. */
  verify(token: string): IssuedClaims {
    let claims: jwt.JwtPayload;
    try {
      const decoded = jwt.verify(token, this.key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
      if (typeof decoded === 'string') throw new Error('not an object');
      claims = decoded;
    } catch (err) {
      throw new UnauthenticatedError(
        (err as Error).name === 'TokenExpiredError' ? 'the kubeconfig token has expired' : 'the kubeconfig token is invalid',
      );
    }
    const clusterId = Number(claims[CLUSTER_CLAIM]);
    if (typeof claims.sub !== 'string' || typeof claims.jti !== 'string' || !Number.isSafeInteger(clusterId) || typeof claims.exp !== 'number') {
      throw new UnauthenticatedError('the kubeconfig token is invalid');
    }
    const groups = Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === 'string') : [];
    return { subject: claims.sub, groups, admin: claims.role === 'admin', clusterId, jti: claims.jti, expiresAt: claims.exp * 1000 };
  }
}

/**
 * Whether a bearer token carries the cluster-binding claim, read without verifying it: such a token is refused on the
 * admin surface (REST, GraphQL, WebSocket) whoever signed it, and routed to the issued-token check on the proxy.
 */
export function isClusterBoundToken(token: string): boolean {
  if (token.length > MAX_REMEMBERED_TOKEN_CHARS) return readsClusterBound(token);
  let bound = boundByToken.get(token);
  if (bound === undefined) {
    bound = readsClusterBound(token);
    // Oldest first out; anyone may send tokens, so entries and their size are both bounded (≤ 4 MB of keys). A pure
    // function of the string: nothing here can go stale, and verification still happens per request.
    if (boundByToken.size >= MAX_REMEMBERED_TOKENS) boundByToken.delete(boundByToken.keys().next().value!);
    boundByToken.set(token, bound);
  }
  return bound;
}

/**
 * Every REST, GraphQL and WebSocket request asks this of its token before verifying it; decoding and parsing the
 * payload each time was a few per cent of a cheap read. Remembered per token string.
 */
const boundByToken = new Map<string, boolean>();
const MAX_REMEMBERED_TOKENS = 2_000;
const MAX_REMEMBERED_TOKEN_CHARS = 2_048;

function readsClusterBound(token: string): boolean {
  const payload = token.split('.')[1];
  if (!payload || payload.length > 8192) return false;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null && CLUSTER_CLAIM in claims;
  } catch {
    return false;
  }
}

export const CLUSTER_BOUND_TOKEN_REFUSED =
  "this token was issued for a kubeconfig and works only on its cluster's proxy (/api/v1/k8s/clusters/:id/proxy)";
