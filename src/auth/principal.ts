import { ForbiddenError, UnauthenticatedError } from '../errors.js';

export type Role = 'admin' | 'user';

/** Who is calling. Admins change things; users read. */
export interface Principal {
  subject: string;
  role: Role;
  /** Epoch ms when the token stops being valid (long-lived WebSocket connections are closed then). */
  expiresAt?: number;
  /**
   * The token's groups (impersonated on clusters with `impersonate` on). Lead: the access branch makes this required
   * (`groups: readonly string[]`, from JWT_GROUPS_CLAIM); take that definition at merge.
   */
  groups?: readonly string[];
}

/** Per-request context shared by GraphQL, REST and WebSocket transports. */
export interface RequestContext {
  requestId: string;
  principal: Principal | null;
  /** Why a presented token was rejected, so the error names the real cause instead of "missing token". */
  authError?: string;
  /** Cluster selected by the `X-Cluster-Name` / `X-Cluster-ID` headers, for `currentCluster`. */
  clusterSelector?: { name?: string; id?: string };
}

/**
 * Who a manager acts for: what every transport (GraphQL, REST, WebSocket) builds per request. Managers take it first
 * and authorize with the helpers below.
 */
export type Caller = Pick<RequestContext, 'principal' | 'authError'>;

export function requireUser(ctx: Caller): Principal {
  if (!ctx.principal) throw new UnauthenticatedError(ctx.authError ?? undefined);
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
