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
  helmet({ frameguard: { action: 'deny' }, referrerPolicy: { policy: 'no-referrer' } })({} as never, recorder as never, () => (finished = true));
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

/** Host names safe to repeat inside a CSP header; anything else falls back to scheme-wide ws:/wss:. */
const SAFE_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * The WebSocket sources of a page served on `host`: CSP 'self' does not match ws: in every browser, so the page's own
 * host is named for both schemes (wss: behind a TLS-terminating proxy). A Host header that could break out of the
 * header value falls back to the schemes alone.
 */
export function sameHostWebSockets(host: string | undefined): string {
  return host && SAFE_HOST.test(host) ? `ws://${host} wss://${host}` : 'ws: wss:';
}

/**
 * The dashboard's policy: its own files only (no inline script or style, no style attributes, no eval), requests to
 * its own origin and WebSocket, and Trusted Types with no policy, so no string can ever reach an HTML or script sink
 * (the page builds every node with DOM calls).
 */
export function dashboardContentSecurityPolicy(host: string | undefined): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${sameHostWebSockets(host)}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}
