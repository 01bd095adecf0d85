import type { RequestListener } from 'node:http';
import express, { type Express, type Request } from 'express';
import { expressMiddleware } from '@as-integrations/express5';
import type { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { TokenVerifier } from '../auth/jwt.js';
import type { RequestContext } from '../auth/principal.js';
import type { Logger } from '../logger.js';
import type { CompiledQueries } from '../graphql/compiled-queries.js';
import type { ListResponseCache } from '../graphql/list-response-cache.js';
import { auditRouter } from '../rest/audit.routes.js';
import type { TokenManager } from '../access/token.manager.js';
import type { KubeProxy } from '../proxy/kube-proxy.js';
import { isProxyUrl } from '../proxy/proxy-path.js';
import { accessTokenRouter } from '../rest/access-token.routes.js';
import { clusterDetailBody, clusterListBody } from '../rest/cluster.rest.js';
import { restErrorHandler, sendError } from '../rest/envelope.js';
import { clusterMetricsRouter } from '../rest/cluster-metrics.routes.js';
import { openApiDocument } from '../rest/openapi.js';
import { methodNotAllowed } from '../rest/method-not-allowed.js';
import { accessRouter } from '../rest/access.routes.js';
import { BASE, clusterRouter, type RestManagers } from '../rest/router.js';
import { clusterImportRouter } from '../rest/cluster-import.routes.js';
import { healthHistoryRouter } from '../rest/health-history.routes.js';
import { webhookRouter } from '../rest/webhook.routes.js';
import type { AuthFailureLimiter } from './auth-failure-limiter.js';
import { graphqlHttpErrorHandler, requireGraphQLJson } from '../graphql/http-errors.js';
import { cachedReads } from './cached-reads.js';
import { dashboardRouter } from './dashboard.js';
import { graphiqlHandler } from './graphiql.js';
import { MAX_JSON_BODY_BYTES, preReadJsonBody } from './json-body.js';
import type { GatewayMetrics } from './metrics.js';
import { RequestRecorder } from './request-recorder.js';
import { contextFromHeaders, prepareToken, requestIdFrom, restTarget } from './request-context.js';
import { type HeaderList, securityHeaders, securityHeadersMiddleware } from './security-headers.js';

export interface AppDeps {
  logger: Logger;
  verifier: TokenVerifier;
  apollo: ApolloServer<RequestContext>;
  /** Rendered GraphQL list answers (filled by its Apollo plugin), served by the cached-read lane. */
  graphqlResponses: ListResponseCache;
  /** Queries executed ahead of Apollo when no rendered answer is kept; absent, Apollo executes every query. */
  compiledQueries?: CompiledQueries;
  /** The domain managers REST (and the cached-read lane's C1) call. */
  managers: RestManagers;
  metrics: GatewayMetrics;
  /** The 401 brake, shared with the WebSocket endpoint. */
  authFailures: AuthFailureLimiter;
  /** Issued kubeconfigs and their tokens (REST routes beside C1–C7). */
  tokens: TokenManager;
  /** The Kubernetes API proxy: its paths are served on node:http directly (bodies and answers stream through). */
  proxy: KubeProxy;
  /** Database reachable and migrated. */
  ready(): Promise<boolean>;
}

const GRAPHQL_PATH = '/graphql';

/** Pieces both request paths share, so the cached-read lane and Express leave the same traces. */
interface Shared {
  recorder: RequestRecorder;
  limiter: AuthFailureLimiter;
  headers: HeaderList;
}

/** The gateway's HTTP handler: the cached-read lane for repeated list reads, Express for everything else. */
export function createRequestListener(deps: AppDeps): RequestListener {
  const shared: Shared = {
    recorder: new RequestRecorder(deps.logger, deps.metrics, (req) => deps.authFailures.clientOf(req)),
    limiter: deps.authFailures,
    headers: securityHeaders(),
  };
  const app = createApp(deps, shared);
  const rest = cachedReads(
    {
      verifier: deps.verifier,
      recorder: shared.recorder,
      limiter: shared.limiter,
      securityHeaders: shared.headers,
      restListPath: `${BASE}/clusters`,
      restListBody: async (ctx) => clusterListBody(await deps.managers.clusters.list(ctx)),
      restDetailBody: (ctx, rawId) => clusterDetailBody(deps.managers.clusters, ctx, rawId),
      graphqlPath: GRAPHQL_PATH,
      graphqlResponses: deps.graphqlResponses,
      compiledQueries: deps.compiledQueries,
    },
    app,
  );
  // Proxy paths go around Express: its body parsers must never read (buffer) a Kubernetes request body.
  return (req, res) => (isProxyUrl(req.url ?? '') ? deps.proxy.handle(req, res) : rest(req, res));
}

/** The Express application: request ids and security headers, operational endpoints, REST C1–C7, GraphQL. */
function createApp(deps: AppDeps, shared: Shared): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(shared.recorder.middleware());
  // Security headers; the GraphiQL page sets its own, stricter-where-possible CSP.
  app.use(securityHeadersMiddleware(shared.headers));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/metrics', deps.metrics.handler());
  app.get('/readyz', async (_req, res) => {
    const ok = await deps.ready().catch(() => false);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready' });
  });

  // After the operational endpoints: probes and scrapes must never be braked by someone else's bad tokens.
  app.use(shared.limiter.middleware());
  // Keys a token needs (JWKS, new kid) are fetched here, so every route below can verify synchronously.
  app.use((req, _res, next) => void prepareToken(req.headers, deps.verifier).then(() => next()));

  const context = (req: Request): RequestContext => ({
    ...contextFromHeaders(req.headers, deps.verifier, String(req.res?.locals.requestId ?? requestIdFrom(req.headers)), shared.limiter.clientOf(req)),
    target: restTarget(req.method, req.originalUrl),
  });

  app.use(BASE, express.json({ limit: MAX_JSON_BODY_BYTES, strict: true }));
  app.use(clusterRouter({ ...deps.managers, context }));
  app.use(clusterMetricsRouter({ clusterMetrics: deps.managers.clusterMetrics, context }));
  app.use(accessRouter({ ...deps.managers, context }));
  app.use(auditRouter({ audit: deps.managers.audit, context }));
  app.use(healthHistoryRouter({ history: deps.managers.history, context }));
  app.use(clusterImportRouter({ imports: deps.managers.imports, context }));
  app.use(webhookRouter({ webhooks: deps.managers.webhooks, context }));
  app.use(accessTokenRouter({ tokens: deps.tokens, context }));
  const openApi = JSON.stringify(openApiDocument());
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.type('application/json').send(openApi);
  });
  app.use(methodNotAllowed());
  app.use('/api/v1', (_req, res) => sendError(res, 404, 'no such endpoint'));

  app.get(GRAPHQL_PATH, graphiqlHandler());
  app.use(dashboardRouter());
  app.use(
    GRAPHQL_PATH,
    requireGraphQLJson,
    preReadJsonBody(),
    express.json({ limit: MAX_JSON_BODY_BYTES }),
    expressMiddleware(deps.apollo, {
      context: async ({ req }) => {
        const ctx = context(req);
        // A token that was presented but is bad fails the whole request with 401; no token at all is left to the
        // resolvers, so anonymous introspection (schema docs) still works.
        if (ctx.authUnavailable) {
          throw new GraphQLError(ctx.authError!, { extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } } });
        }
        if (ctx.authError) {
          throw new GraphQLError(ctx.authError, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
        }
        return ctx;
      },
    }),
  );

  app.use(GRAPHQL_PATH, graphqlHttpErrorHandler(deps.logger));
  app.use(restErrorHandler(deps.logger));
  return app;
}
