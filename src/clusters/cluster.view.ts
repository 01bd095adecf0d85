import type { ClusterRow, HealthStatusValue, PrometheusSourceValue } from '../db/schema.js';

/** A cluster as every transport sees it. Carries no credential: the kubeconfig is fetched separately, by admins. */
export interface ClusterView {
  id: number;
  name: string;
  isDefault: boolean;
  enabled: boolean;
  healthStatus: HealthStatusValue;
  healthMessage: string | null;
  lastConnectedAt: Date | null;
  kubernetesVersion: string | null;
  nodeCount: number;
  readyNodeCount: number | null;
  podCount: number;
  prometheusUrl: string | null;
  prometheusSource: PrometheusSourceValue;
  createdAt: Date;
  updatedAt: Date;
}

/** Columns selected for views: everything but the ciphertext and bookkeeping, so lists never read credentials. */
export function toClusterView(row: Pick<ClusterRow, keyof ClusterView>): ClusterView {
  return {
    id: row.id,
    name: row.name,
    isDefault: row.isDefault,
    enabled: row.enabled,
    healthStatus: row.healthStatus,
    healthMessage: row.healthMessage,
    lastConnectedAt: row.lastConnectedAt,
    kubernetesVersion: row.kubernetesVersion,
    nodeCount: row.nodeCount,
    readyNodeCount: row.readyNodeCount,
    podCount: row.podCount,
    prometheusUrl: row.prometheusUrl,
    prometheusSource: row.prometheusSource,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
