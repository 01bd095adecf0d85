import { AuthenticationUnavailableError, ForbiddenError, UnauthenticatedError } from '../errors.js';

export type Role = 'admin' | 'user';

/**
 * Who is calling. Global admins (`role`) may do everything; everyone else holds a role per cluster (access/roles.ts),
 * from grants to their `subject` or to one of their `groups`, else DEFAULT_CLUSTER_ROLE.
 */
export interface Principal {
  subject: string;
  role: Role;
  /** The token's `groups` claim (strings only; any other shape is no groups at all). */
  groups: readonly string[];
  /** Epoch ms when the token stops being valid (long-lived WebSocket connections are closed then). */
  expiresAt?: number;
}

/** Per-request context shared by GraphQL, REST and WebSocket transports. */
export interface RequestContext {
  requestId: string;
  principal: Principal | null;
  /** Why a presented token was rejected, so the error names the real cause instead of "missing token". */
  authError?: string;
  /** The token could not be checked at all (JWKS unreachable): requests needing a principal get 503, not 401. */
  authUnavailable?: boolean;
  /** Cluster selected by the `X-Cluster-Name` / `X-Cluster-ID` headers, for `currentCluster`. */
  clusterSelector?: { name?: string; id?: string };
  /** The peer address of the connection (the audit log's source address; X-Forwarded-For is not trusted here). */
  sourceIp?: string;
  /** What the request acts on, for the audit log: `POST /api/v1/k8s/clusters/5` or `mutation updateCluster`. */
  target?: string;
}

/**
 * Who a manager acts for: what every transport (GraphQL, REST, WebSocket) builds per request. Managers take it first
 * and authorize with the helpers below.
 */
export type Caller = Pick<RequestContext, 'principal' | 'authError' | 'authUnavailable'>;

export function requireUser(ctx: Caller): Principal {
  if (!ctx.principal) {
    throw ctx.authUnavailable
      ? new AuthenticationUnavailableError(ctx.authError ?? 'authentication is unavailable')
      : new UnauthenticatedError(ctx.authError ?? undefined);
  }
  return ctx.principal;
}

export function requireAdmin(ctx: Caller): Principal {
  const principal = requireUser(ctx);
  if (principal.role !== 'admin') throw new ForbiddenError();
  return principal;
}

export function isAdmin(ctx: Caller): boolean {
  return ctx.principal?.role === 'admin';
}
