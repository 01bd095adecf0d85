import type { HealthStatusValue, PrometheusSourceValue } from '../db/schema.js';
import type { ClusterLabel } from '../fleet/labels.js';

/**
 * A cluster as every transport sees it: the one list of its fields (GraphQL's `ClusterType implements` it, REST maps it
 * in rest/cluster.rest.ts, cluster.repository.ts selects exactly these columns). Carries no credential: the kubeconfig
 * is read separately, through `ClusterManager.kubeconfigFor`.
 */
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
  /** Proxied requests carry the caller's identity as Impersonate-User/-Group, so the cluster's own RBAC applies too. */
  impersonate: boolean;
  /** Sorted by key (fleet/labels.ts). */
  labels: readonly ClusterLabel[];
  createdAt: Date;
  updatedAt: Date;
}
