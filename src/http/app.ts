import express, { type Express, type Request } from 'express';
import helmet from 'helmet';
import { expressMiddleware } from '@as-integrations/express5';
import type { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { TokenVerifier } from '../auth/jwt.js';
import type { RequestContext } from '../auth/principal.js';
import type { Logger } from '../logger.js';
import { restErrorHandler } from '../rest/envelope.js';
import { openApiDocument } from '../rest/openapi.js';
import { BASE, clusterRouter, type RestDeps } from '../rest/router.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { graphiqlHandler } from './graphiql.js';
import type { GatewayMetrics } from './metrics.js';
import { routeOf } from './route-of.js';
import { contextFromHeaders, requestIdFrom } from './request-context.js';

export interface AppDeps {
  logger: Logger;
  verifier: TokenVerifier;
  apollo: ApolloServer<RequestContext>;
  rest: Omit<RestDeps, 'context'>;
  metrics: GatewayMetrics;
  authFailureLimitPerMinute: number;
  /** Database reachable and migrated. */
  ready(): Promise<boolean>;
}

const BODY_LIMIT = '1mb';

/** The Express application: request ids and security headers, operational endpoints, REST C1–C7, GraphQL. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    const requestId = requestIdFrom(req.headers);
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    const started = performance.now();
    res.once('finish', () => {
      // Route templates, not raw paths or headers: an access log must never carry a token.
      deps.logger.info(
        { requestId, method: req.method, path: routeOf(req), status: res.statusCode, ms: Math.round(performance.now() - started) },
        'request',
      );
    });
    next();
  });
  app.use(deps.metrics.middleware());
  // Security headers; the GraphiQL page sets its own, stricter-where-possible CSP.
  app.use(helmet({ frameguard: { action: 'deny' }, referrerPolicy: { policy: 'no-referrer' } }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/metrics', deps.metrics.handler());
  app.get('/readyz', async (_req, res) => {
    const ok = await deps.ready().catch(() => false);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready' });
  });

  // After the operational endpoints: probes and scrapes must never be braked by someone else's bad tokens.
  app.use(new AuthFailureLimiter(deps.authFailureLimitPerMinute).middleware());

  const context = (req: Request): RequestContext => contextFromHeaders(req.headers, deps.verifier, String(req.res?.locals.requestId ?? requestIdFrom(req.headers)));

  app.use(BASE, express.json({ limit: BODY_LIMIT, strict: true }));
  app.use(clusterRouter({ ...deps.rest, context }));
  const openApi = JSON.stringify(openApiDocument());
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.type('application/json').send(openApi);
  });
  app.use('/api/v1', (_req, res) => {
    res.status(404).json({ code: 404, message: 'no such endpoint', data: null });
  });

  app.get('/graphql', graphiqlHandler());
  app.use(
    '/graphql',
    express.json({ limit: BODY_LIMIT }),
    expressMiddleware(deps.apollo, {
      context: async ({ req }) => {
        const ctx = context(req);
        // A token that was presented but is bad fails the whole request with 401; no token at all is left to the
        // resolvers, so anonymous introspection (schema docs) still works.
        if (ctx.authError) {
          throw new GraphQLError(ctx.authError, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
        }
        return ctx;
      },
    }),
  );

  app.use(restErrorHandler(deps.logger));
  return app;
}
