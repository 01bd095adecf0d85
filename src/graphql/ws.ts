import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { bearerToken } from '../auth/bearer.js';
import { GraphQLError, type GraphQLSchema, parse, specifiedRules, validate, type ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Context } from 'graphql-ws';
import { CLUSTER_BOUND_TOKEN_REFUSED, isClusterBoundToken } from '../access/issued-token.js';
import { TokenError, TokenKeysUnavailableError, type TokenVerifier } from '../auth/jwt.js';
import type { Principal } from '../auth/principal.js';
import type { AuthFailureLimiter } from '../http/auth-failure-limiter.js';
import type { Logger } from '../logger.js';
import type { LiveContext, LiveSources } from '../resolvers/subscription.resolver.js';
import { formatGraphQLError, tagWithRequestId } from './errors.js';
import { PARSE_OPTIONS } from './limits.js';

export interface WebSocketOptions {
  verifier: TokenVerifier;
  live: LiveSources;
  logger: Logger;
  /** Largest accepted WebSocket message; subscriptions are small, so anything bigger is hostile. */
  maxPayloadBytes?: number;
  /** Extra validation rules (depth/complexity limits) applied to every operation, as on HTTP. */
  validationRules?: ValidationRule[];
  /** The HTTP 401 brake: bad tokens in `connection_init` count as failures, and a braked address cannot connect. */
  limiter?: AuthFailureLimiter;
  /** Most operations active at once on one socket (each holds its parsed document and a LiveHub subscriber). */
  maxSubscriptionsPerSocket?: number;
  /** Most operations active at once for one token subject across all its sockets on this replica. */
  maxSubscriptionsPerUser?: number;
}

export const DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET = 100;
export const DEFAULT_MAX_SUBSCRIPTIONS_PER_USER = 500;
/**
 * Close code for a connection refused because its address became braked between the upgrade and `connection_init`:
 * graphql-ws's Forbidden (its 4429 already means "too many connection_init messages").
 */
export const CLOSE_TOO_MANY_AUTH_FAILURES = 4403;
/**
 * Close code when a connection's token expires: "reconnect with a fresh token". graphql-ws clients treat 4401 (and the
 * other codes in their fatal list, 4400/4406/4409/4429/4500 and most of 1000–1999) as final, and retry every other
 * 4xxx close, calling a `connectionParams` function again, so a client that can refresh its token reconnects on its
 * own. 4440 after HTTP's 440 "Login Time-out". A token that is bad at connect time still gets the fatal 4401:
 * retrying it cannot succeed.
 */
export const CLOSE_TOKEN_EXPIRED = 4440;
/**
 * Close code when the token cannot be checked because the identity provider's keys are unreachable (JWT_JWKS_URL):
 * WebSocket's "Try Again Later", which graphql-ws clients retry, and not an auth failure for the brake.
 */
export const CLOSE_AUTH_UNAVAILABLE = 1013;

export interface GraphQLWebSocket {
  /** Takes over an upgrade request for `/graphql` (from any of the gateway's servers). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  connectionCount(): number;
  close(): Promise<void>;
}

/**
 * graphql-ws on the same server and path as HTTP GraphQL. The connection must present a valid token in
 * `connectionParams.Authorization`, or it is closed with 4401; when the token expires it is closed with
 * CLOSE_TOKEN_EXPIRED (4440), which graphql-ws clients retry with fresh `connectionParams`.
 * Bad tokens feed the same brake as HTTP 401s; a braked address gets 429 on the upgrade (close 4403 if braked meanwhile).
 * Active operations are capped per socket and per user: one more is refused with TOO_MANY_SUBSCRIPTIONS, and the
 * socket and its other operations carry on.
 */
export function attachGraphQLWebSocket(schema: GraphQLSchema, opts: WebSocketOptions): GraphQLWebSocket {
  const limiter = opts.limiter;
  /** The client address (TRUST_PROXY applies) the brake keys on and the audit log records. */
  const clientOf = (req: IncomingMessage) => (limiter ? limiter.clientOf(req) : req.socket.remoteAddress);
  // noServer: the HTTP layer's upgrade dispatcher (http/upgrades.ts) hands over only /graphql upgrades, so the
  // Kubernetes proxy's upgrades (exec, port-forward) on the same server are not refused by ws.
  const wss = new WebSocketServer({
    noServer: true,
    path: '/graphql',
    maxPayload: opts.maxPayloadBytes ?? 64 * 1024,
    verifyClient: (info, done) => {
      const retryAfterMs = limiter?.retryAfterMs(clientOf(info.req)) ?? 0;
      if (retryAfterMs <= 0) return done(true);
      done(false, 429, 'too many failed authentication attempts; retry later', { 'Retry-After': String(Math.ceil(retryAfterMs / 1000)) });
    },
  });
  const principals = new WeakMap<object, Principal>();
  const expiryTimers = new Set<LongTimer>();
  const format = formatGraphQLError(opts.logger);
  const perSocket = opts.maxSubscriptionsPerSocket ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET;
  const perUser = opts.maxSubscriptionsPerUser ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_USER;
  /** The live connections of each token subject, to count its operations across sockets. */
  const connectionsOf = new Map<string, Set<Context<Record<string, unknown>, unknown>>>();

  const tooMany = (message: string) => [new GraphQLError(message, { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } })];
  /** Refusal of one more operation, if a cap is reached. graphql-ws has already registered this one in `subscriptions`. */
  const overCap = (ctx: Context<Record<string, unknown>, unknown>, principal: Principal | undefined): GraphQLError[] | undefined => {
    if (Object.keys(ctx.subscriptions).length > perSocket)
      return tooMany(`at most ${perSocket} operations may be active on one connection; complete some first`);
    if (!principal) return undefined;
    let active = 0;
    for (const c of connectionsOf.get(principal.subject) ?? []) active += Object.keys(c.subscriptions).length;
    return active > perUser ? tooMany(`at most ${perUser} operations may be active for one user on this replica; complete some first`) : undefined;
  };

  const disposable = useServer<Record<string, unknown>>(
    {
      schema,
      connectionInitWaitTimeout: 5_000,
      onConnect: async (ctx) => {
        const address = clientOf(ctx.extra.request);
        if (limiter?.isBraked(address)) {
          ctx.extra.socket.close(CLOSE_TOO_MANY_AUTH_FAILURES, 'too many failed authentication attempts; retry later');
          return false;
        }
        const header = ctx.connectionParams?.Authorization ?? ctx.connectionParams?.authorization;
        const token = typeof header === 'string' ? bearerToken(header) : undefined;
        let principal: Principal;
        try {
          if (!token) throw new TokenError('connectionParams.Authorization must be "Bearer <token>"');
          if (isClusterBoundToken(token)) throw new TokenError(CLUSTER_BOUND_TOKEN_REFUSED);
          await opts.verifier.prepare?.(token).catch(() => {});
          principal = opts.verifier.verify(token);
          // Never acknowledge a connection whose token is already past its expiry, not even for a moment.
          if (principal.expiresAt !== undefined && principal.expiresAt <= Date.now()) throw new TokenError('token has expired');
        } catch (err) {
          if (err instanceof TokenKeysUnavailableError) {
            ctx.extra.socket.close(CLOSE_AUTH_UNAVAILABLE, 'identity provider keys unavailable; try again shortly');
            return false;
          }
          limiter?.recordFailureFrom(address);
          ctx.extra.socket.close(4401, `Unauthorized: ${err instanceof TokenError ? err.message : 'invalid token'}`.slice(0, 120));
          return false;
        }
        principals.set(ctx.extra.socket, principal);
        const mine = connectionsOf.get(principal.subject) ?? new Set();
        connectionsOf.set(principal.subject, mine.add(ctx));
        const timer = principal.expiresAt
          ? atTime(principal.expiresAt, () => ctx.extra.socket.close(CLOSE_TOKEN_EXPIRED, 'token has expired; reconnect with a fresh token'))
          : undefined;
        if (timer) expiryTimers.add(timer);
        ctx.extra.socket.once('close', () => {
          timer?.cancel();
          if (timer) expiryTimers.delete(timer);
          mine.delete(ctx);
          if (mine.size === 0 && connectionsOf.get(principal.subject) === mine) connectionsOf.delete(principal.subject);
        });
        return true;
      },
      // Parse and validate here (not in graphql-ws) so a bad document is an error message with a code on this
      // subscription, never a closed socket, and the same limits apply as on HTTP.
      onSubscribe: (ctx, _id, payload) => {
        const refusal = overCap(ctx, principals.get(ctx.extra.socket));
        if (refusal) return refusal;
        let document;
        try {
          document = parse(payload.query, PARSE_OPTIONS);
        } catch (err) {
          return [
            new GraphQLError(err instanceof GraphQLError ? err.message : 'invalid GraphQL document', {
              extensions: { code: 'GRAPHQL_PARSE_FAILED' },
            }),
          ];
        }
        const errors = validate(schema, document, [...specifiedRules, ...(opts.validationRules ?? [])]);
        if (errors.length)
          return errors.map(
            (e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...e.extensions } }),
          );
        const contextValue: LiveContext = {
          requestId: randomUUID(),
          principal: principals.get(ctx.extra.socket) ?? null,
          sourceIp: clientOf(ctx.extra.request),
          live: opts.live,
        };
        return { schema, document, variableValues: payload.variables ?? undefined, operationName: payload.operationName ?? undefined, contextValue };
      },
      onNext: (_ctx, _id, _payload, args, result) => {
        if (!result.errors?.length) return result;
        const requestId = (args.contextValue as LiveContext | undefined)?.requestId ?? 'ws';
        return {
          ...result,
          errors: result.errors.map((e) => {
            if (e instanceof GraphQLError) tagWithRequestId(e, requestId);
            return format(e instanceof GraphQLError ? e.toJSON() : (e as never), e);
          }),
        };
      },
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((e) => {
          const formatted = format(e.toJSON(), e);
          return new GraphQLError(formatted.message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...formatted.extensions } });
        }),
    },
    wss,
    15_000,
  );

  return {
    handleUpgrade: (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
    connectionCount: () => wss.clients.size,
    close: async () => {
      for (const t of expiryTimers) t.cancel();
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

interface LongTimer {
  cancel(): void;
}

/** Node's timers hold at most 2^31-1 ms (24.8 days); a longer delay fires at once. Longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `fn` at epoch ms `at`, however far away that is. */
export function atTime(at: number, fn: () => void): LongTimer {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const remaining = at - Date.now();
    timer = remaining > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, Math.max(0, remaining));
    timer.unref();
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}
