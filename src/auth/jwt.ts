import jwt from 'jsonwebtoken';
import type { ResolvedSecrets } from '../secrets.js';
import type { Principal } from './principal.js';

/** Turns a bearer token into a principal, or says why not. Algorithms are pinned: the token's header never chooses. */
export interface TokenVerifier {
  verify(token: string): Principal;
}

export class TokenError extends Error {}

/**
 * The clock rule: `exp` is exact (no tolerance: a token is refused from its expiry second on, and the WebSocket closes
 * then, never a few seconds later); `nbf` may lie up to this many seconds ahead of this clock, so a token used at once
 * after an issuer with a slightly fast clock issued it is not refused as "not valid yet".
 */
export const NOT_BEFORE_TOLERANCE_SECONDS = 5;

export interface JwtOptions {
  keys: ResolvedSecrets['jwt'];
  issuer?: string;
  audience?: string;
}

/**
 * Verification is memoised per token string until shortly before its `exp`: an HMAC or RSA check per request is the
 * largest fixed cost of a cheap read, and a token's validity cannot change before it expires.
 */
export class JwtVerifier implements TokenVerifier {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  private readonly key: string | Buffer;
  private readonly algorithms: jwt.Algorithm[];

  constructor(private readonly opts: JwtOptions, private readonly cacheSize = 10_000) {
    this.key = opts.keys.algorithm === 'HS256' ? opts.keys.secret : opts.keys.publicKeyPem;
    this.algorithms = [opts.keys.algorithm];
  }

  verify(token: string): Principal {
    const now = Date.now();
    const hit = this.cache.get(token);
    if (hit && hit.until > now) return hit.principal;
    if (hit) this.cache.delete(token);

    let claims: jwt.JwtPayload;
    try {
      const decoded = jwt.verify(token, this.key, {
        algorithms: this.algorithms,
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        // nbf is checked below with its tolerance; jsonwebtoken's clockTolerance would apply to exp too.
        ignoreNotBefore: true,
      });
      if (typeof decoded === 'string') throw new TokenError('token payload must be a JSON object');
      claims = decoded;
      if (claims.nbf !== undefined) {
        if (typeof claims.nbf !== 'number' || !Number.isFinite(claims.nbf)) throw new TokenError('token is malformed');
        if (claims.nbf > Math.floor(now / 1000) + NOT_BEFORE_TOLERANCE_SECONDS) throw new TokenError('token is not valid yet');
      }
    } catch (err) {
      if (err instanceof TokenError) throw err;
      throw new TokenError(describeJwtError(err as Error));
    }
    if (typeof claims.sub !== 'string' || claims.sub === '') throw new TokenError('token has no subject (sub)');
    const principal: Principal = { subject: claims.sub, role: isAdmin(claims) ? 'admin' : 'user', groups: groupsOf(claims), expiresAt: claims.exp ? claims.exp * 1000 : undefined };

    // Tokens without exp are cached briefly only, so a key rotation takes effect soon.
    const until = Math.min(claims.exp ? claims.exp * 1000 : now + 60_000, now + 5 * 60_000);
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(token, { principal, until });
    return principal;
  }
}

function isAdmin(claims: jwt.JwtPayload): boolean {
  return claims.role === 'admin' || (Array.isArray(claims.roles) && claims.roles.includes('admin'));
}

/** Grants name groups exactly, so only a plain array of non-empty strings counts; anything else is no groups. */
function groupsOf(claims: jwt.JwtPayload): readonly string[] {
  const groups: unknown = claims.groups;
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string' && g !== '')) return [];
  return Object.freeze([...new Set(groups as string[])]);
}

function describeJwtError(err: Error): string {
  if (err.name === 'TokenExpiredError') return 'token has expired';
  if (err.name === 'NotBeforeError') return 'token is not valid yet';
  const msg = err.message;
  if (/invalid algorithm/.test(msg)) return 'token is signed with an algorithm this gateway does not accept';
  if (/audience/.test(msg)) return 'token audience is not accepted';
  if (/issuer/.test(msg)) return 'token issuer is not accepted';
  if (/signature/.test(msg)) return 'token signature is invalid';
  return 'token is malformed';
}

/** Signs a token with an HS256 secret (used by `npm run token` and tests). */
export function signToken(secret: string, claims: { sub: string; role?: string; roles?: string[]; groups?: string[] }, opts: { expiresIn?: string; issuer?: string; audience?: string } = {}): string {
  return jwt.sign(claims, secret, {
    algorithm: 'HS256',
    expiresIn: (opts.expiresIn ?? '12h') as jwt.SignOptions['expiresIn'],
    ...(opts.issuer ? { issuer: opts.issuer } : {}),
    ...(opts.audience ? { audience: opts.audience } : {}),
  });
}
