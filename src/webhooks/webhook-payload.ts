import { createHmac } from 'node:crypto';
import type { WebhookDeliveryEventValue, WebhookFormatValue } from '../db/schema.js';

/**
 * What a delivery tells the receiver about its cluster: identification, labels and health, never credentials (no
 * kubeconfig, token, certificate or key — the fields are picked one by one from a whitelist, never copied wholesale).
 */
export interface WebhookClusterFacts {
  id: number;
  name: string;
  labels: Record<string, string>;
  enabled: boolean;
  deleted: boolean;
  healthStatus: string;
  healthMessage: string | null;
  kubernetesVersion: string | null;
  nodeCount: number;
  readyNodeCount: number | null;
  credentialExpiresAt: string | null;
}

/** The stored message of a delivery (webhook_deliveries.payload). */
export interface WebhookPayload {
  event: string;
  occurredAt: string;
  cluster: WebhookClusterFacts | null;
  data: Record<string, unknown>;
}

/** GraphQL's name of an event (`CLUSTER_HEALTH_CHANGED`), which is also what receivers see in the header and body. */
export const eventName = (e: WebhookDeliveryEventValue | string) => e.toUpperCase();

/**
 * Labels as the fleet domain stores them, read defensively: an object of strings, or a list of `{key, value}`; any
 * other shape counts as "no labels" (a selector like `!env` still matches then).
 */
export function labelsOf(raw: unknown): Record<string, string> {
  if (Array.isArray(raw)) {
    return Object.fromEntries(raw.filter((l) => l && typeof l.key === 'string' && typeof l.value === 'string').map((l) => [l.key, l.value]));
  }
  if (raw && typeof raw === 'object')
    return Object.fromEntries(Object.entries(raw).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  return {};
}

/** Picks the safe facts from a cluster row read as JSON (snake_case columns). */
export function clusterFacts(row: Record<string, unknown>): WebhookClusterFacts {
  const str = (k: string) => (typeof row[k] === 'string' ? (row[k] as string) : null);
  const num = (k: string) => (typeof row[k] === 'number' ? (row[k] as number) : null);
  return {
    id: Number(row.id),
    name: str('name') ?? '',
    labels: labelsOf(row.labels),
    enabled: row.enabled === true,
    deleted: row.deleted_at !== null && row.deleted_at !== undefined,
    healthStatus: (str('health_status') ?? 'unknown').toUpperCase(),
    healthMessage: str('health_message'),
    kubernetesVersion: str('kubernetes_version'),
    nodeCount: num('node_count') ?? 0,
    readyNodeCount: num('ready_node_count'),
    credentialExpiresAt: str('credential_expires_at') ? new Date(str('credential_expires_at')!).toISOString() : null,
  };
}

/** The body sent for one delivery, rendered at send time in the webhook's format. */
export function renderBody(deliveryId: number, payload: WebhookPayload, format: WebhookFormatValue): string {
  if (format === 'slack') return JSON.stringify({ text: slackText(payload) });
  return JSON.stringify({
    id: String(deliveryId),
    event: payload.event,
    occurredAt: payload.occurredAt,
    cluster: payload.cluster,
    data: payload.data,
  });
}

function slackText(p: WebhookPayload): string {
  const c = p.cluster;
  const name = c ? `*${c.name}*` : 'kube-gateway';
  const d = p.data;
  switch (p.event) {
    case 'CLUSTER_CREATED':
      return `Cluster ${name} was registered.`;
    case 'CLUSTER_UPDATED':
      return `Cluster ${name} was updated.`;
    case 'CLUSTER_DELETED':
      return `Cluster ${name} was deleted.`;
    case 'CLUSTER_HEALTH_CHANGED':
      return `Cluster ${name} health: ${String(d.previousStatus)} → ${String(d.status)}${d.message ? ` (${String(d.message)})` : ''}`;
    case 'CREDENTIALS_EXPIRING':
      return `Cluster ${name}: credentials expire at ${String(d.credentialExpiresAt)}.`;
    case 'DISCOVERY_FINISHED':
      return `Cluster ${name}: Prometheus discovery ${String(d.state)}${d.prometheusUrl ? ` (${String(d.prometheusUrl)})` : ''}.`;
    case 'PING':
      return 'kube-gateway webhook test: this endpoint receives deliveries.';
    default:
      return `${p.event} on ${name}`;
  }
}

/** `sha256=<hex HMAC-SHA256 of the body>` with the webhook's secret (X-Kube-Gateway-Signature). */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
