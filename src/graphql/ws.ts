import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { GraphQLError, type GraphQLSchema, parse, specifiedRules, validate, type ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { TokenError, type TokenVerifier } from '../auth/jwt.js';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../logger.js';
import type { LiveContext, LiveSources } from '../resolvers/subscription.resolver.js';
import { formatGraphQLError, tagWithRequestId } from './errors.js';

export interface WebSocketOptions {
  verifier: TokenVerifier;
  live: LiveSources;
  logger: Logger;
  /** Largest accepted WebSocket message; subscriptions are small, so anything bigger is hostile. */
  maxPayloadBytes?: number;
  /** Extra validation rules (depth/complexity limits) applied to every operation, as on HTTP. */
  validationRules?: ValidationRule[];
}

export interface GraphQLWebSocket {
  connectionCount(): number;
  close(): Promise<void>;
}

/**
 * graphql-ws on the same server and path as HTTP GraphQL. The connection must present a valid token in
 * `connectionParams.Authorization`, or it is closed with 4401; it is closed again with 4401 when the token expires.
 */
export function attachGraphQLWebSocket(server: Server, schema: GraphQLSchema, opts: WebSocketOptions): GraphQLWebSocket {
  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: opts.maxPayloadBytes ?? 64 * 1024 });
  const principals = new WeakMap<object, Principal>();
  const expiryTimers = new Set<NodeJS.Timeout>();
  const format = formatGraphQLError(opts.logger);

  const disposable = useServer<Record<string, unknown>>(
    {
      schema,
      connectionInitWaitTimeout: 5_000,
      onConnect: (ctx) => {
        const header = ctx.connectionParams?.Authorization ?? ctx.connectionParams?.authorization;
        const token = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header.trim())?.[1] : undefined;
        let principal: Principal;
        try {
          if (!token) throw new TokenError('connectionParams.Authorization must be "Bearer <token>"');
          principal = opts.verifier.verify(token);
          // Never acknowledge a connection whose token is already past its expiry, not even for a moment.
          if (principal.expiresAt !== undefined && principal.expiresAt <= Date.now()) throw new TokenError('token has expired');
        } catch (err) {
          ctx.extra.socket.close(4401, `Unauthorized: ${err instanceof TokenError ? err.message : 'invalid token'}`.slice(0, 120));
          return false;
        }
        principals.set(ctx.extra.socket, principal);
        if (principal.expiresAt) {
          const timer = setTimeout(() => ctx.extra.socket.close(4401, 'Unauthorized: token has expired'), Math.max(0, principal.expiresAt - Date.now()));
          timer.unref();
          expiryTimers.add(timer);
          ctx.extra.socket.once('close', () => {
            clearTimeout(timer);
            expiryTimers.delete(timer);
          });
        }
        return true;
      },
      // Parse and validate here (not in graphql-ws) so a bad document is an error message with a code on this
      // subscription, never a closed socket, and the same limits apply as on HTTP.
      onSubscribe: (ctx, _id, payload) => {
        let document;
        try {
          document = parse(payload.query, { maxTokens: 10_000 });
        } catch (err) {
          return [new GraphQLError(err instanceof GraphQLError ? err.message : 'invalid GraphQL document', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        const errors = validate(schema, document, [...specifiedRules, ...(opts.validationRules ?? [])]);
        if (errors.length) return errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...e.extensions } }));
        const contextValue: LiveContext = { requestId: randomUUID(), principal: principals.get(ctx.extra.socket) ?? null, live: opts.live };
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
    connectionCount: () => wss.clients.size,
    close: async () => {
      for (const t of expiryTimers) clearTimeout(t);
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
