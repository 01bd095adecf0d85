import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { RequestContext } from '../auth/principal.js';
import type { Logger } from '../logger.js';
import { NO_STORE } from '../rest/responses.js';
import { formatGraphQLError, tagWithRequestId } from './errors.js';
import { PARSE_OPTIONS, queryLimitsRule } from './limits.js';

/**
 * Compact JSON: Apollo pretty-prints by default, which costs time and a third more bytes on every response. Shared with
 * the list response cache, whose stored answers must be the very bytes Apollo sends.
 */
export const stringifyResult = (value: unknown): string => JSON.stringify(value);

/** The validation rules beyond graphql's own, for Apollo and for the compiled-operation lane alike. */
export const gatewayValidationRules = () => [queryLimitsRule()];

/** Apollo over the TypeGraphQL schema. GraphiQL is served by the gateway itself (no CDN landing page). */
export async function startApollo(
  schema: GraphQLSchema,
  logger: Logger,
  plugins: ApolloServerPlugin<RequestContext>[] = [],
): Promise<ApolloServer<RequestContext>> {
  const server = new ApolloServer<RequestContext>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: formatGraphQLError(logger),
    stringifyResult,
    validationRules: gatewayValidationRules(),
    parseOptions: PARSE_OPTIONS,
    // Automatic persisted queries are not offered: nothing here needs them, and they add a cache to attack.
    persistedQueries: false,
    // CSRF rides on credentials a browser adds by itself (cookies); this gateway has none, every caller sends
    // `Authorization`, which no cross-site form, link or image can set and which forces a CORS preflight. So a request
    // carrying it is accepted whatever its Content-Type, and urql's default GET queries work. Without it a GET query
    // still needs a preflight-forcing header; mutations over GET stay refused (405, Allow: POST) by Apollo.
    csrfPrevention: { requestHeaders: ['authorization', 'x-apollo-operation-name', 'apollo-require-preflight'] },
    // Cache-control hints wrap every field resolver; nothing here uses them.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      requestIdPlugin(),
      noSubscriptionsOverHttp(),
      noStore(),
      ...plugins,
    ],
  });
  await server.start();
  return server;
}

/** Subscriptions live on the WebSocket at the same path; over plain HTTP they are a client mistake (400), not a crash. */
function noSubscriptionsOverHttp(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === 'subscription') {
            throw new GraphQLError('subscriptions are served over WebSocket (graphql-ws) at this path, not over HTTP', {
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

/** Answers are per caller and may carry a kubeconfig (`cluster { kubeconfig }`): no cache may keep any of them. */
function noStore(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          response.http.headers.set('cache-control', NO_STORE);
        },
      };
    },
  };
}

/** Tags every error with the request id so masked messages and logs can be matched up. */
function requestIdPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) tagWithRequestId(error, contextValue.requestId);
        },
      };
    },
  };
}
