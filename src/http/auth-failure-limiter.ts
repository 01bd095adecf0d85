import type { NextFunction, Request, Response } from 'express';

/**
 * Slows down token guessing: a client address that collects `maxFailures` 401s within a window gets 429 for the rest
 * of that window. In memory per replica on purpose: it is a brake, not an audit log, and must cost nothing on the
 * happy path.
 */
export class AuthFailureLimiter {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs = 60_000,
  ) {}

  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      if (this.maxFailures <= 0) return next();
      const key = req.socket.remoteAddress ?? 'unknown';
      const entry = this.failures.get(key);
      const now = Date.now();
      if (entry && entry.resetAt > now && entry.count >= this.maxFailures) {
        res.setHeader('Retry-After', String(Math.ceil((entry.resetAt - now) / 1000)));
        res.status(429).json({ code: 429, message: 'too many failed authentication attempts; retry later', data: null });
        return;
      }
      res.once('finish', () => {
        if (res.statusCode === 401) this.recordFailure(key);
      });
      next();
    };
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
