import { expect } from 'vitest';
import type { Driver } from './databases.js';
import { type TestGateway, uniqueName, useTestGateway } from './gateway.js';
import type { ReachableCluster } from './reachable.js';
import { useReachableCluster } from './suite-fixtures.js';

/** The GraphQL operations the registry suites (test/registry.graphql-*.test.ts) send, and their shared set-up. */

const CLUSTER_FIELDS = `id name isDefault enabled healthStatus healthMessage lastConnectedAt kubernetesVersion nodeCount readyNodeCount
  podCount prometheusUrl prometheusSource createdAt updatedAt`;
export const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

export const CREATE = `mutation Create($input: CreateClusterInput!) { createCluster(input: $input) { ${CLUSTER_FIELDS} kubeconfig } }`;
export const UPDATE = `mutation Update($id: ID!, $input: UpdateClusterInput!) { updateCluster(id: $id, input: $input) { ${CLUSTER_FIELDS} } }`;
export const DELETE = `mutation Delete($id: ID!) { deleteCluster(id: $id) }`;
export const GET = `query Get($id: ID!) { cluster(id: $id) { ${CLUSTER_FIELDS} kubeconfig } }`;
export const LIST = `{ clusters { total items { id name isDefault healthStatus prometheusSource kubeconfig } } }`;
export const CURRENT = `{ currentCluster { id name isDefault } }`;

/** A cluster as `createCluster` returns it. */
export type CreatedCluster = { id: string; name: string; isDefault: boolean; [k: string]: unknown };

export interface GraphqlRegistry {
  t: TestGateway;
  /** The live (simulated) cluster every created cluster points at. */
  cluster: ReachableCluster;
  /** Creates a cluster as admin through GraphQL and returns it (fails the test on errors). */
  create(input?: Record<string, unknown>): Promise<CreatedCluster>;
  /** The ids of the clusters marked default (one at most, when all is well). */
  defaults(): Promise<string[]>;
}

/** For the enclosing describe block: a gateway on `driver`, a reachable cluster, and helpers over both. */
export function useGraphqlRegistry(driver: Driver): GraphqlRegistry {
  const t = useTestGateway(driver);
  const cluster = useReachableCluster();
  const create = async (input: Record<string, unknown> = {}) => {
    const res = await t.gql(CREATE, { input: { name: uniqueName('gql'), kubeconfig: cluster.kubeconfigYaml, ...input } });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data.createCluster as CreatedCluster;
  };
  const defaults = async () => {
    const res = await t.gql(`{ clusters { items { id isDefault } } }`);
    return (res.data.clusters.items as { id: string; isDefault: boolean }[]).filter((c) => c.isDefault).map((c) => c.id);
  };
  return { t, cluster, create, defaults };
}
