import type { ClusterView } from '../clusters/cluster.view.js';
import type { RestCluster } from './responses.js';

/** RFC 3339 in UTC without milliseconds, as the contract shows (`2025-10-17T10:30:00Z`). */
export const restTime = (d: Date | null): string | null => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : null);

/** A cluster in the contract's snake_case shape (C1 items, C2–C4 data); extra fields are allowed by the contract. */
export function toRestCluster(c: ClusterView): RestCluster {
  return {
    id: c.id,
    name: c.name,
    is_default: c.isDefault,
    enabled: c.enabled,
    health_status: c.healthStatus,
    health_message: c.healthMessage,
    last_connected_at: restTime(c.lastConnectedAt),
    kubernetes_version: c.kubernetesVersion,
    node_count: c.nodeCount,
    ready_node_count: c.readyNodeCount,
    pod_count: c.podCount,
    prometheus_url: c.prometheusUrl ?? '',
    prometheus_source: c.prometheusSource,
    created_at: restTime(c.createdAt)!,
    updated_at: restTime(c.updatedAt)!,
  };
}
