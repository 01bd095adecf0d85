import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { CLUSTER_BOUND_TOKEN_REFUSED, isClusterBoundToken } from '../access/issued-token.js';
import { bearerToken } from '../auth/bearer.js';
import { TokenError, TokenKeysUnavailableError, type TokenVerifier } from '../auth/jwt.js';
import type { RequestContext } from '../auth/principal.js';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A caller-supplied request id is kept if harmless (for tracing across services), else a fresh one is made. */
export function requestIdFrom(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id'];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Lets the verifier fetch what this request's token needs (JWKS keys for a new `kid`) before `contextFromHeaders`
 * verifies it synchronously. Never throws: a failed fetch shows up in the verification.
 */
export async function prepareToken(headers: IncomingHttpHeaders, verifier: TokenVerifier): Promise<void> {
  const token = headers.authorization === undefined || !verifier.prepare ? undefined : bearerToken(headers.authorization);
  if (token && !isClusterBoundToken(token)) await verifier.prepare!(token).catch(() => {});
}

/**
 * Builds the per-request context from headers, for every transport. It never throws: a missing token leaves
 * `principal` null and a bad one records why in `authError`; the managers decide what needs authentication.
 * Tokens are accepted only in the Authorization header, never from a query string (they would end up in logs).
 */
export function contextFromHeaders(headers: IncomingHttpHeaders, verifier: TokenVerifier, requestId: string, sourceIp?: string): RequestContext {
  const ctx: RequestContext = { requestId, principal: null, sourceIp };
  const auth = headers.authorization;
  if (auth !== undefined) {
    const token = bearerToken(auth);
    if (token === undefined) ctx.authError = 'the Authorization header must be "Bearer <token>"';
    // Kubeconfig tokens are for their cluster's proxy only: never on REST, GraphQL or the WebSocket (DESIGN, Issued
    // kubeconfigs), whoever signed them.
    else if (isClusterBoundToken(token)) ctx.authError = CLUSTER_BOUND_TOKEN_REFUSED;
    else {
      try {
        ctx.principal = verifier.verify(token);
      } catch (err) {
        ctx.authError = err instanceof TokenError || err instanceof TokenKeysUnavailableError ? err.message : 'token is invalid';
        if (err instanceof TokenKeysUnavailableError) ctx.authUnavailable = true;
      }
    }
  }
  const name = headers['x-cluster-name'];
  const id = headers['x-cluster-id'];
  if (typeof id === 'string' && id !== '') ctx.clusterSelector = { id };
  else if (typeof name === 'string' && name !== '') ctx.clusterSelector = { name: decodeURIComponentSafe(name) };
  return ctx;
}

const MAX_TARGET = 512;

/** A REST request's audit target: method and path, never the query string (it may carry filters, not for the log). */
export function restTarget(method: string, originalUrl: string): string {
  const path = originalUrl.split('?')[0]!;
  return `${method} ${path}`.slice(0, MAX_TARGET);
}

// Header values are Latin-1; non-ASCII cluster names arrive percent-encoded.
function decodeURIComponentSafe(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
