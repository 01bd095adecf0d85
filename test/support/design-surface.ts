import { type GraphQLSchema, isObjectType } from 'graphql';
import { expect } from 'vitest';

/**
 * DESIGN.md's GraphQL surface as data (its names are the public API), checked both on the schema the gateway builds
 * and on the one it serves (test/registry.graphql-schema.test.ts).
 */

/** DESIGN.md's GraphQL surface. Names in FUTURE are not built yet: allowed (with DESIGN's type), not required. */
export const DESIGN_OBJECTS: Record<string, Record<string, string>> = {
  Query: { clusters: 'ClusterList!', cluster: 'Cluster', currentCluster: 'Cluster' },
  Mutation: {
    createCluster: 'Cluster!',
    updateCluster: 'Cluster!',
    deleteCluster: 'Boolean!',
    testClusterConnection: 'ConnectionTestResult!',
    rediscoverPrometheus: 'DiscoveryStatus!',
  },
  Cluster: {
    id: 'ID!',
    name: 'String!',
    isDefault: 'Boolean!',
    enabled: 'Boolean!',
    healthStatus: 'HealthStatus!',
    healthMessage: 'String',
    lastConnectedAt: 'DateTime',
    kubernetesVersion: 'String',
    nodeCount: 'Int!',
    readyNodeCount: 'Int',
    podCount: 'Int!',
    prometheusUrl: 'String',
    prometheusSource: 'PrometheusSource!',
    discovery: 'DiscoveryStatus',
    kubeconfig: 'String',
    labels: '[ClusterLabel!]!',
    createdAt: 'DateTime!',
    updatedAt: 'DateTime!',
  },
  ClusterList: { items: '[Cluster!]!', total: 'Int!', pageInfo: 'PageInfo!' },
  ClusterLabel: { key: 'String!', value: 'String!' },
  PageInfo: { hasNextPage: 'Boolean!', endCursor: 'String' },
};
const FUTURE = new Set(['Mutation.testClusterConnection', 'Mutation.rediscoverPrometheus', 'Cluster.discovery']);

/** Object type → field → rendered type (`[Cluster!]!`). */
export type Surface = Map<string, Map<string, string>>;

export function surfaceOf(schema: GraphQLSchema): Surface {
  const surface: Surface = new Map();
  for (const type of Object.values(schema.getTypeMap())) {
    if (isObjectType(type)) surface.set(type.name, new Map(Object.values(type.getFields()).map((f) => [f.name, String(f.type)])));
  }
  return surface;
}

/** Every DESIGN.md field that exists today is present with DESIGN's type; nothing outside DESIGN.md is exposed. */
export function expectDesignSurface(surface: Surface): void {
  for (const [typeName, fields] of Object.entries(DESIGN_OBJECTS)) {
    const actual = surface.get(typeName);
    expect(actual, `object type ${typeName}`).toBeDefined();
    for (const name of actual!.keys()) expect(Object.keys(fields), `${typeName}.${name} is not in DESIGN.md`).toContain(name);
    for (const [name, typeString] of Object.entries(fields)) {
      if (FUTURE.has(`${typeName}.${name}`) && !actual!.has(name)) continue;
      expect(actual!.get(name), `${typeName}.${name}`).toBe(typeString);
    }
  }
}

/** Arguments of each root field, `name: Type` joined with ", " (order is not part of the API). */
export const DESIGN_ARGS: Record<string, string> = {
  'Query.cluster': 'id: ID!',
  'Query.clusters': 'filter: ClusterFilter, first: Int, after: String, orderBy: ClusterOrderBy',
  'Query.currentCluster': '',
  'Mutation.createCluster': 'input: CreateClusterInput!',
  'Mutation.updateCluster': 'id: ID!, input: UpdateClusterInput!',
  'Mutation.deleteCluster': 'id: ID!',
};
/** Input types: field → type. */
export const DESIGN_INPUTS: Record<string, Record<string, string>> = {
  CreateClusterInput: { name: 'String!', kubeconfig: 'String!', isDefault: 'Boolean', enabled: 'Boolean', skipConnectionTest: 'Boolean', labels: '[ClusterLabelInput!]' },
  UpdateClusterInput: { name: 'String', kubeconfig: 'String', isDefault: 'Boolean', enabled: 'Boolean', prometheusUrl: 'String', labels: '[ClusterLabelInput!]' },
  ClusterLabelInput: { key: 'String!', value: 'String!' },
  ClusterFilter: { search: 'String', healthStatus: '[HealthStatus!]', labelSelector: 'String', enabled: 'Boolean', prometheusSource: '[PrometheusSource!]' },
  ClusterOrderBy: { field: 'ClusterOrderField!', direction: 'OrderDirection!' },
};
/** Enum types: every value. */
export const DESIGN_ENUMS: Record<string, string[]> = {
  HealthStatus: ['UNKNOWN', 'HEALTHY', 'WARNING', 'ERROR', 'UNAVAILABLE'],
  PrometheusSource: ['NONE', 'AUTO', 'MANUAL'],
  ClusterOrderField: ['NAME', 'CREATED_AT', 'UPDATED_AT', 'HEALTH_STATUS'],
  OrderDirection: ['ASC', 'DESC'],
};
