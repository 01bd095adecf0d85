import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import type { RequestContext } from '../auth/principal.js';
import type { Logger } from '../logger.js';
import { formatGraphQLError, tagWithRequestId } from './errors.js';
import { queryLimitsRule } from './limits.js';

/** Apollo over the TypeGraphQL schema. GraphiQL is served by the gateway itself (no CDN landing page). */
export async function startApollo(schema: GraphQLSchema, logger: Logger, plugins: ApolloServerPlugin<RequestContext>[] = []): Promise<ApolloServer<RequestContext>> {
  const server = new ApolloServer<RequestContext>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: formatGraphQLError(logger),
    // Compact JSON: Apollo pretty-prints by default, which costs time and a third more bytes on every response.
    stringifyResult: (value) => JSON.stringify(value),
    validationRules: [queryLimitsRule()],
    // Cache-control hints wrap every field resolver; nothing here uses them.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled(), requestIdPlugin(), ...plugins],
  });
  await server.start();
  return server;
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
