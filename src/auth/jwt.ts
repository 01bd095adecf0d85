import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { ResolvedSecrets } from '../secrets.js';
import { type JwksOptions, JwksKeySet } from './jwks.js';
import type { Principal } from './principal.js';

/** Turns a bearer token into a principal, or says why not. Algorithms are pinned: the token's header never chooses. */
export interface TokenVerifier {
  verify(token: string): Principal;
  /**
   * Fetches what `verify` needs for this token and cannot get synchronously (JWKS keys for a new `kid`). Every
   * transport awaits it before verifying; without it a new key is merely refused (401 or 503), never accepted.
   */
  prepare?(token: string): Promise<void>;
}

export class TokenError extends Error {}

/** The token may be fine, but the keys to check it could not be fetched (JWKS unreachable): 503, not 401. */
export class TokenKeysUnavailableError extends Error {
  constructor() {
    super("the identity provider's signing keys (JWT_JWKS_URL) cannot be fetched; try again shortly");
    this.name = 'TokenKeysUnavailableError';
  }
}

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
  /** Claims naming the admin role and the groups (JWT_ROLE_CLAIM / JWT_GROUPS_CLAIM); default `role` / `groups`. */
  claims?: { role?: string; groups?: string };
  /** JWKS refresh timings (tests shorten them). */
  jwks?: JwksOptions;
  /** Told when a JWKS fetch fails (the gateway logs it). */
  onJwksError?: (err: Error) => void;
}

/**
 * Verification is memoised per token string until shortly before its `exp`: an HMAC or RSA check per request is the
 * largest fixed cost of a cheap read, and a token's validity cannot change before it expires.
 */
export class JwtVerifier implements TokenVerifier {
  private readonly cache = new Map<string, { principal: Principal; until: number; generation: number }>();
  /** A configured key (JWT_SECRET, JWT_PUBLIC_KEY), or the provider's key set (JWT_JWKS_URL). */
  private readonly keys: { key: string | Buffer; algorithm: jwt.Algorithm } | JwksKeySet;
  private readonly claimNames: { role: string; groups: string };

  constructor(
    private readonly opts: JwtOptions,
    private readonly cacheSize = 10_000,
  ) {
    const k = opts.keys;
    this.keys =
      k.algorithm === 'JWKS'
        ? new JwksKeySet(k.jwksUrl, opts.jwks, opts.onJwksError)
        : { key: k.algorithm === 'HS256' ? k.secret : k.publicKeyPem, algorithm: k.algorithm };
    this.claimNames = { role: opts.claims?.role ?? 'role', groups: opts.claims?.groups ?? 'groups' };
  }

  async prepare(token: string): Promise<void> {
    if (this.keys instanceof JwksKeySet) await this.keys.refreshFor(kidOf(token));
  }

  verify(token: string): Principal {
    const now = Date.now();
    const generation = this.keys instanceof JwksKeySet ? this.keys.generation : 0;
    const hit = this.cache.get(token);
    // A verification made under a key set since replaced is made again: a removed key stops working at once.
    if (hit && hit.until > now && hit.generation === generation) return hit.principal;
    if (hit) this.cache.delete(token);

    const { key, algorithm } = this.keyFor(token);
    let claims: jwt.JwtPayload;
    try {
      const decoded = jwt.verify(token, key, {
        algorithms: [algorithm],
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
    const principal: Principal = {
      subject: claims.sub,
      role: isAdmin(claims, this.claimNames.role) ? 'admin' : 'user',
      groups: groupsOf(claimAt(claims, this.claimNames.groups)),
      expiresAt: claims.exp ? claims.exp * 1000 : undefined,
    };

    // Tokens without exp are cached briefly only, so a key rotation takes effect soon.
    const until = Math.min(claims.exp ? claims.exp * 1000 : now + 60_000, now + 5 * 60_000);
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(token, { principal, until, generation });
    return principal;
  }

  /** The key and the one algorithm allowed for this token; with JWKS, the key its `kid` names. */
  private keyFor(token: string): { key: string | Buffer | KeyObject; algorithm: jwt.Algorithm } {
    if (!(this.keys instanceof JwksKeySet)) return this.keys;
    const found = this.keys.lookup(kidOf(token));
    if (found === 'unavailable') throw new TokenKeysUnavailableError();
    if (found === 'unknown') throw new TokenError('token is signed by a key the identity provider does not publish (kid)');
    return found;
  }
}

/** The `kid` of a token's header, read without trusting it: it only picks among keys the provider published. */
function kidOf(token: string): string | undefined {
  const header = jwt.decode(token, { complete: true })?.header;
  return typeof header?.kid === 'string' ? header.kid : undefined;
}

/**
 * A claim by name, or by dotted path into nested objects (`realm_access.roles`, Keycloak's). A claim whose own name
 * contains dots (`https://example.com/roles`, Auth0's namespaced claims) is found by its whole name first.
 */
export function claimAt(claims: jwt.JwtPayload, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * The default claims keep DESIGN's rule: `role` is the string `admin`, or the `roles` array holds `admin`. A configured
 * claim (JWT_ROLE_CLAIM) makes an admin when it is `admin` or an array holding `admin` (providers list roles).
 */
function isAdmin(claims: jwt.JwtPayload, roleClaim: string): boolean {
  if (roleClaim === 'role') return claims.role === 'admin' || (Array.isArray(claims.roles) && claims.roles.includes('admin'));
  const value = claimAt(claims, roleClaim);
  return value === 'admin' || (Array.isArray(value) && value.includes('admin'));
}

/** Grants name groups exactly, so only a plain array of non-empty strings counts; anything else is no groups. */
function groupsOf(groups: unknown): readonly string[] {
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
export function signToken(
  secret: string,
  claims: { sub: string; role?: string; roles?: string[]; groups?: string[] },
  opts: { expiresIn?: string; issuer?: string; audience?: string } = {},
): string {
  return jwt.sign(claims, secret, {
    algorithm: 'HS256',
    expiresIn: (opts.expiresIn ?? '12h') as jwt.SignOptions['expiresIn'],
    ...(opts.issuer ? { issuer: opts.issuer } : {}),
    ...(opts.audience ? { audience: opts.audience } : {}),
  });
}
