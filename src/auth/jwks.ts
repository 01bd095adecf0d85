import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

/** A verification key from the JWKS, with the one algorithm its type allows (never the token's choice). */
export interface JwksKey {
  key: KeyObject;
  algorithm: 'RS256' | 'ES256';
}

/** What the key set says about a token's `kid`. */
export type KeyLookup = JwksKey | 'unknown' | 'unavailable';

export interface JwksOptions {
  /** Keys are fetched again after this long, in the background while the cached ones keep serving. */
  maxAgeMs?: number;
  /** An unknown `kid` fetches the set again at most this often (a stream of made-up kids must not flood the IdP). */
  minRefetchIntervalMs?: number;
  fetchTimeoutMs?: number;
}

const MAX_JWKS_BYTES = 512 * 1024;

/**
 * The identity provider's signing keys (JWT_JWKS_URL), fetched on first use, cached, and fetched again when they are
 * old or when a token names a `kid` the cache does not have (the provider rotated), at most once per
 * `minRefetchIntervalMs`. Every successful fetch replaces the whole set, so a key the provider removed stops
 * verifying. A failed fetch never widens anything: a `kid` that cannot be looked up is `unavailable` (503), not
 * accepted; keys from the last good fetch keep verifying until a fetch replaces them.
 */
export class JwksKeySet {
  private keys = new Map<string, JwksKey>();
  /** Changes whenever the set is replaced, so verifications cached under an older set are made again. */
  generation = 0;
  private fetchedAt = 0;
  private attemptedAt = 0;
  private lastFetchFailed = false;
  private inFlight?: Promise<void>;
  private readonly maxAgeMs: number;
  private readonly minRefetchIntervalMs: number;
  private readonly fetchTimeoutMs: number;

  constructor(
    private readonly url: string,
    opts: JwksOptions = {},
    private readonly onFetchError: (err: Error) => void = () => {},
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 10 * 60_000;
    this.minRefetchIntervalMs = opts.minRefetchIntervalMs ?? 30_000;
    this.fetchTimeoutMs = opts.fetchTimeoutMs ?? 5_000;
  }

  /** Makes sure the set is as fresh as the rules allow for this `kid`; waits only when the answer depends on it. */
  async refreshFor(kid: string | undefined): Promise<void> {
    const known = typeof this.lookup(kid) === 'object';
    // A fetch under way: wait for it only if this token's answer depends on it.
    if (this.inFlight) return known ? undefined : this.inFlight;
    const now = Date.now();
    if (now - this.attemptedAt < this.minRefetchIntervalMs) return;
    if (!known) return this.refresh();
    if (now - this.fetchedAt >= this.maxAgeMs) void this.refresh();
  }

  lookup(kid: string | undefined): KeyLookup {
    const key = kid === undefined ? this.onlyKey() : this.keys.get(kid);
    if (key) return key;
    // Never fetched, or the last fetch failed: whether this kid is the provider's cannot be told.
    return this.fetchedAt === 0 || this.lastFetchFailed ? 'unavailable' : 'unknown';
  }

  /** A token without `kid` is matched only when the set holds a single key: no guessing among several. */
  private onlyKey(): JwksKey | undefined {
    return this.keys.size === 1 ? this.keys.values().next().value : undefined;
  }

  private refresh(): Promise<void> {
    this.inFlight ??= this.fetchKeys()
      .then(
        (keys) => {
          this.keys = keys;
          this.generation++;
          this.fetchedAt = Date.now();
          this.lastFetchFailed = false;
        },
        (err: Error) => {
          this.lastFetchFailed = true;
          this.onFetchError(err);
        },
      )
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<Map<string, JwksKey>> {
    this.attemptedAt = Date.now();
    const res = await fetch(this.url, {
      signal: AbortSignal.timeout(this.fetchTimeoutMs),
      headers: { accept: 'application/json' },
      redirect: 'error',
    });
    if (!res.ok) throw new Error(`JWKS ${this.url} answered ${res.status}`);
    const text = await res.text();
    if (text.length > MAX_JWKS_BYTES) throw new Error(`JWKS ${this.url} is larger than ${MAX_JWKS_BYTES} bytes`);
    const body = JSON.parse(text) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error(`JWKS ${this.url} has no "keys" array`);
    const keys = new Map<string, JwksKey>();
    for (const jwk of body.keys as JsonWebKey[]) {
      const key = verificationKey(jwk);
      if (key) keys.set(typeof jwk.kid === 'string' ? jwk.kid : '', key);
    }
    if (keys.size === 0) throw new Error(`JWKS ${this.url} holds no RS256 or ES256 signing key`);
    return keys;
  }
}

/**
 * A signing key the gateway accepts, or undefined: RSA (≥ 2048 bits) → RS256, EC P-256 → ES256. A key marked for
 * encryption, or whose `alg` says otherwise, is skipped; the algorithm comes from the key, never from the token.
 */
function verificationKey(jwk: JsonWebKey): JwksKey | undefined {
  if (typeof jwk !== 'object' || jwk === null || (jwk.use !== undefined && jwk.use !== 'sig')) return undefined;
  const algorithm = jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined;
  if (!algorithm || (jwk.alg !== undefined && jwk.alg !== algorithm)) return undefined;
  try {
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    if (algorithm === 'RS256' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return undefined;
    return { key, algorithm };
  } catch {
    return undefined; // a malformed entry does not spoil the others
  }
}
