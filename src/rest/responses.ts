import { z } from 'zod';

/**
 * The REST responses as zod schemas: the handlers' output types are inferred from these, and the OpenAPI document is
 * generated from them, so the contract is written once.
 */
/**
 * `Cache-Control` of every authenticated API answer (REST and GraphQL): answers are per caller, and some carry a
 * kubeconfig, so no browser or proxy cache may keep one.
 */
export const NO_STORE = 'no-store';

const time = z.string().describe('RFC 3339 UTC, e.g. 2025-10-17T10:30:00Z');
const healthStatus = z.enum(['unknown', 'healthy', 'warning', 'error', 'unavailable']);

export const restClusterSchema = z.object({
  id: z.number().int().positive(),
  name: z.string(),
  is_default: z.boolean(),
  enabled: z.boolean(),
  health_status: healthStatus,
  health_message: z.string().nullable(),
  last_connected_at: time.nullable(),
  kubernetes_version: z.string().nullable(),
  node_count: z.number().int(),
  ready_node_count: z.number().int().nullable(),
  pod_count: z.number().int(),
  prometheus_url: z.string().describe('empty string when none is known'),
  prometheus_source: z.enum(['none', 'auto', 'manual']),
  labels: z.record(z.string(), z.string()).describe('Kubernetes-style labels, key → value'),
  created_at: time,
  updated_at: time,
});

export const restClusterDetailSchema = restClusterSchema.extend({
  kubeconfig: z.string().optional().describe('base64 kubeconfig; present for admins only'),
});

export const clusterListSchema = z.object({
  clusters: z.array(restClusterSchema),
  total: z.number().int().describe('clusters matching the parameters (all pages)'),
  next_cursor: z.string().optional().describe('pass as `cursor` for the next page; present only when more remain'),
});

export const connectionTestSchema = z.object({
  cluster_id: z.number().int(),
  cluster_name: z.string(),
  connected: z.boolean(),
  kubernetes_version: z.string().nullable(),
  node_count: z.number().int().nullable(),
  tested_at: time,
  message: z.string().nullable(),
});

export const rediscoverSchema = z.object({
  cluster_id: z.number().int(),
  task_id: z.number().int().nullable(),
  state: z.enum(['pending', 'running', 'found', 'not_found', 'failed', 'cancelled']),
  task_started_at: time.nullable(),
});

export function envelope<T extends z.ZodType>(data: T) {
  return z.object({ code: z.number().int(), message: z.string(), data });
}

export const errorEnvelope = z.object({
  code: z.number().int(),
  message: z.string().describe('names the offending field for validation errors'),
  data: z.null(),
  field: z.string().optional(),
  reason: z.enum(['UNAUTHORIZED', 'FORBIDDEN', 'TLS', 'TIMEOUT', 'REFUSED', 'DNS', 'API_ERROR', 'NETWORK']).optional(),
});

export type RestCluster = z.infer<typeof restClusterSchema>;
export type RestClusterList = z.infer<typeof clusterListSchema>;
export type RestConnectionTest = z.infer<typeof connectionTestSchema>;
export type RestRediscover = z.infer<typeof rediscoverSchema>;
