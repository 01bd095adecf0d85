import type { RequestHandler } from 'express';
import helmet from 'helmet';

export type HeaderList = readonly (readonly [string, string])[];

/**
 * Helmet's response headers for the gateway's settings, worked out once. With these settings every header is the same
 * on every response, so replaying the recorded list is exact, and much cheaper than running helmet's dozen
 * middleware per request. The GraphiQL page sets its own, stricter-where-possible CSP on top.
 */
export function securityHeaders(): HeaderList {
  const recorded = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: unknown) {
      recorded.set(name, String(value));
    },
    removeHeader(name: string) {
      recorded.delete(name);
    },
  };
  let finished = false;
  helmet({ frameguard: { action: 'deny' }, referrerPolicy: { policy: 'no-referrer' } })(
    {} as never,
    recorder as never,
    () => (finished = true),
  );
  // Helmet is synchronous today; should a version ever defer or skip `next`, fail at start-up, not per request.
  if (!finished || recorded.size === 0) throw new Error('helmet did not produce its headers synchronously');
  return [...recorded];
}

/** Express middleware that sets the recorded headers. */
export function securityHeadersMiddleware(headers: HeaderList): RequestHandler {
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
