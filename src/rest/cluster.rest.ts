import type { ClusterView } from '../clusters/cluster.view.js';
import type { Envelope } from './envelope.js';
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
    impersonate: c.impersonate,
    created_at: restTime(c.createdAt)!,
    updated_at: restTime(c.updatedAt)!,
  };
}

const listBodies = new WeakMap<readonly ClusterView[], Buffer>();

/**
 * C1's response body for a cluster list. The list array is the same instance until a cluster changes
 * (ClusterListCache), and C1 carries nothing caller-specific, so the bytes are rendered once per change instead of
 * once per request.
 */
export function clusterListBody(items: readonly ClusterView[]): Buffer {
  let body = listBodies.get(items);
  if (!body) {
    const envelope: Envelope<{ clusters: RestCluster[]; total: number }> = { code: 200, message: 'success', data: { clusters: items.map(toRestCluster), total: items.length } };
    body = Buffer.from(JSON.stringify(envelope));
    listBodies.set(items, body);
  }
  return body;
}
