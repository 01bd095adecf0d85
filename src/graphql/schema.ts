import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray } from 'type-graphql';

/**
 * Builds the schema from resolver instances that the composition root constructed with their managers, so
 * TypeGraphQL needs no DI framework.
 */
export async function buildGatewaySchema(resolvers: object[]): Promise<GraphQLSchema> {
  const byClass = new Map<unknown, object>(resolvers.map((r) => [r.constructor, r]));
  return buildSchema({
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
}
