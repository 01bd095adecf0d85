import { ForbiddenError, UnauthenticatedError } from '../errors.js';

export type Role = 'admin' | 'user';

/** Who is calling. Admins change things; users read. */
export interface Principal {
  subject: string;
  role: Role;
  /** Epoch ms when the token stops being valid (long-lived WebSocket connections are closed then). */
  expiresAt?: number;
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

export function requireUser(ctx: RequestContext): Principal {
  if (!ctx.principal) throw new UnauthenticatedError(ctx.authError ?? undefined);
  return ctx.principal;
}

export function requireAdmin(ctx: RequestContext): Principal {
  const principal = requireUser(ctx);
  if (principal.role !== 'admin') throw new ForbiddenError();
  return principal;
}

export function isAdmin(ctx: RequestContext): boolean {
  return ctx.principal?.role === 'admin';
}
