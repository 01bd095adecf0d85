import 'reflect-metadata';
import { defaultFieldResolver, type GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray } from 'type-graphql';

/**
 * Builds the schema from resolver instances that the composition root constructed with their managers, so
 * TypeGraphQL needs no DI framework.
 */
export async function buildGatewaySchema(resolvers: object[]): Promise<GraphQLSchema> {
  const byClass = new Map<unknown, object>(resolvers.map((r) => [r.constructor, r]));
  const schema = await buildSchema({
    // biome-ignore lint/complexity/noBannedTypes: type-graphql's own signature takes resolver classes as `Function`.
    resolvers: resolvers.map((r) => r.constructor) as unknown as NonEmptyArray<Function>,
    container: {
      get: (cls: unknown) => {
        const instance = byClass.get(cls);
        if (!instance) throw new Error(`no resolver instance registered for ${String((cls as { name?: string }).name)}`);
        return instance;
      },
    },
    validate: false,
    // Every subscription supplies its own `subscribe` (fed by LiveHub); TypeGraphQL still insists on a PubSub.
    pubSub: {
      publish: () => {
        throw new Error('publish through the EventBus, not TypeGraphQL');
      },
      subscribe: () => {
        throw new Error('subscriptions use their own subscribe functions');
      },
    },
  });
  nameMutationTargets(schema);
  describeRootTypes(schema);
  return schema;
}

/**
 * TypeGraphQL has no decorator for the root types themselves; their descriptions are what GraphiQL's docs pane opens
 * with, so they are set here.
 */
function describeRootTypes(schema: GraphQLSchema): void {
  const query = schema.getQueryType();
  const mutation = schema.getMutationType();
  const subscription = schema.getSubscriptionType();
  if (query) query.description = 'Reads: clusters with their health, metrics, history and grants; the audit log; webhooks; issued tokens.';
  if (mutation)
    mutation.description =
      'Writes: register, change and delete clusters, test them, grant access, import kubeconfigs, manage webhooks and tokens. POST only.';
  if (subscription)
    subscription.description = 'Live updates over WebSocket (graphql-ws) at this same path; the token goes in connectionParams.Authorization.';
}

/**
 * Every mutation field sees a context whose `target` names that field (`mutation updateCluster`), so the audit log
 * records which GraphQL write ran, not just `POST /graphql`. A copy per field: one document may hold several
 * mutations, and the request's own context object stays untouched.
 */
function nameMutationTargets(schema: GraphQLSchema): void {
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = (root, args, ctx, info) => resolve(root, args, { ...ctx, target: `mutation ${info.fieldName}` }, info);
  }
}
