import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { ClusterResolver } from '../resolvers/cluster.resolver.js';

/** Resolver instances, constructed by the composition root with their services. */
export interface ResolverInstances {
  clusterResolver: ClusterResolver;
}

export async function buildGatewaySchema(resolvers: ResolverInstances): Promise<GraphQLSchema> {
  const byClass = new Map<unknown, unknown>([[ClusterResolver, resolvers.clusterResolver]]);
  return buildSchema({
    resolvers: [ClusterResolver],
    container: {
      get: (cls: unknown) => {
        const instance = byClass.get(cls);
        if (!instance) throw new Error(`no resolver instance registered for ${String((cls as { name?: string }).name)}`);
        return instance;
      },
    },
    validate: false,
  });
}
