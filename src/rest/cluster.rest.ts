import type { Caller } from '../auth/principal.js';
import type { ClusterManager, VisibleClusterList } from '../clusters/cluster.manager.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import type { ClusterPage } from '../fleet/cluster-query.js';
import { labelsToObject } from '../fleet/labels.js';
import type { Envelope } from './envelope.js';
import type { RestCluster, RestClusterDetail, RestClusterList } from './responses.js';

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
    labels: labelsToObject(c.labels),
    created_at: restTime(c.createdAt)!,
    updated_at: restTime(c.updatedAt)!,
  };
}

/** C2's `data`: the cluster, and its kubeconfig (base64) for admins only. Shared by Express and the fast lane. */
export async function clusterDetail(clusters: ClusterManager, caller: Caller, rawId: string): Promise<RestClusterDetail> {
  const cluster = await clusters.get(caller, rawId);
  const kubeconfig = await clusters.kubeconfigFor(caller, cluster.id, 'single');
  const data = toRestCluster(cluster);
  return kubeconfig === null ? data : { ...data, kubeconfig: Buffer.from(kubeconfig).toString('base64') };
}

/** C2's whole response body, exactly as Express's `res.json` of the envelope renders it. */
export async function clusterDetailBody(clusters: ClusterManager, caller: Caller, rawId: string): Promise<Buffer> {
  const envelope: Envelope<RestClusterDetail> = { code: 200, message: 'success', data: await clusterDetail(clusters, caller, rawId) };
  return Buffer.from(JSON.stringify(envelope));
}

/**
 * C1's response body for the whole list. C1 carries nothing caller-specific, so the bytes are rendered once per list
 * version (ClusterListCache) instead of once per request; only the newest version's body is kept.
 */
export function clusterListBody(list: VisibleClusterList): Buffer {
  const render = () => {
    const envelope: Envelope<RestClusterList> = {
      code: 200,
      message: 'success',
      data: { clusters: list.items.map(toRestCluster), total: list.items.length },
    };
    return Buffer.from(JSON.stringify(envelope));
  };
  // A list filtered for one caller (version null) is rendered for that request only.
  if (list.version === null) return render();
  if (lastListBody?.version !== list.version) lastListBody = { version: list.version, body: render() };
  return lastListBody.body;
}
let lastListBody: { version: number; body: Buffer } | undefined;

/** C1 with list parameters: the page, the count of every match, and `next_cursor` when more remain. */
export function clusterPageData(page: ClusterPage): RestClusterList {
  return {
    clusters: page.items.map(toRestCluster),
    total: page.total,
    ...(page.pageInfo.hasNextPage && page.pageInfo.endCursor ? { next_cursor: page.pageInfo.endCursor } : {}),
  };
}
