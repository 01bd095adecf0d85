import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { ClientAddresses, type TrustProxy } from './client-address.js';

/**
 * A braked address's request; each path renders it in its own shape (REST envelope, GraphQL `errors`), as 429.
 * `status` and `expose` as http-errors has them, so Express's own final handler answers 429 too.
 */
export class TooManyAuthFailuresError extends Error {
  readonly status = 429;
  readonly expose = true;
  constructor() {
    super('too many failed authentication attempts; retry later');
    this.name = 'TooManyAuthFailuresError';
  }
}

/**
 * Slows down token guessing: a client address that collects `maxFailures` 401s within a window gets 429 for the rest
 * of that window. WebSocket authentication failures count too, and a braked address cannot open a WebSocket
 * (graphql/ws.ts). In memory per replica on purpose: it is a brake, not an audit log, and must cost nothing on the
 * happy path. It keys on the client address (`clientOf`: the socket's peer, or X-Forwarded-For through TRUST_PROXY's
 * hops), which every transport also uses for its logs and audit entries.
 */
export class AuthFailureLimiter {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();
  private readonly clients: ClientAddresses;

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs = 60_000,
    trustProxy?: TrustProxy,
  ) {
    this.clients = new ClientAddresses(trustProxy);
  }

  /** The address this request is braked, logged and audited under. */
  clientOf(req: IncomingMessage): string | undefined {
    return this.clients.of(req);
  }

  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      if (this.maxFailures <= 0) return next();
      const key = keyOf(this.clientOf(req));
      const retryAfterMs = this.brakedFor(key);
      if (retryAfterMs > 0) {
        res.setHeader('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
        return next(new TooManyAuthFailuresError());
      }
      res.once('finish', () => {
        if (res.statusCode === 401) this.recordFailure(key);
      });
      next();
    };
  }

  /** Whether requests from this address are being answered with 429 right now. */
  isBraked(address: string | undefined): boolean {
    return this.retryAfterMs(address) > 0;
  }

  /** How long this address stays braked (0: not braked). */
  retryAfterMs(address: string | undefined): number {
    return this.maxFailures > 0 ? this.brakedFor(keyOf(address)) : 0;
  }

  /** A failed authentication that did not go through `middleware` (a WebSocket `connection_init` with a bad token). */
  recordFailureFrom(address: string | undefined): void {
    if (this.maxFailures > 0) this.recordFailure(keyOf(address));
  }

  private brakedFor(key: string): number {
    const entry = this.failures.get(key);
    if (!entry || entry.count < this.maxFailures) return 0;
    return Math.max(0, entry.resetAt - Date.now());
  }

  recordFailure(key: string): void {
    const now = Date.now();
    const entry = this.failures.get(key);
    if (!entry || entry.resetAt <= now) {
      if (this.failures.size > 10_000) this.prune(now);
      this.failures.set(key, { count: 1, resetAt: now + this.windowMs });
    } else {
      entry.count++;
    }
  }

  private prune(now: number): void {
    for (const [k, v] of this.failures) if (v.resetAt <= now) this.failures.delete(k);
  }
}

const keyOf = (address: string | undefined) => address ?? 'unknown';
