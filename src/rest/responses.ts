import { z } from 'zod';
import { CLUSTER_ROLES, SUBJECT_KINDS } from '../access/roles.js';

/**
 * The REST responses as zod schemas: the handlers' output types are inferred from these, and the OpenAPI document is
 * generated from them, so the contract is written once.
 */
/**
 * `Cache-Control` of every authenticated API answer (REST and GraphQL): answers are per caller, and some carry a
 * kubeconfig, so no browser or proxy cache may keep one.
 */
export const NO_STORE = 'no-store';

/** Every time in a REST answer: RFC 3339 in UTC (`format: date-time` in the OpenAPI document). */
export const restTimeSchema = z.string().meta({ format: 'date-time', description: 'RFC 3339 UTC, e.g. 2025-10-17T10:30:00Z' });
const time = restTimeSchema;
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
  impersonate: z.boolean().describe('proxied requests carry Impersonate-User/Impersonate-Group of the caller'),
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

/** A per-cluster grant (GET|POST /clusters/:id/grants). */
export const restGrantSchema = z.object({
  id: z.number().int().positive(),
  cluster_id: z.number().int().positive(),
  subject: z.string().describe('a user (token sub) or a group name (token groups claim)'),
  subject_kind: z.enum(SUBJECT_KINDS),
  role: z.enum(CLUSTER_ROLES),
  created_at: time,
  created_by: z.string(),
});

export const grantListSchema = z.object({ grants: z.array(restGrantSchema) });

export function envelope<T extends z.ZodType>(data: T) {
  return z.object({ code: z.number().int(), message: z.string(), data });
}

export const errorEnvelope = z.object({
  code: z.number().int(),
  message: z.string().describe('names the offending field for validation errors'),
  data: z.null(),
  field: z.string().optional(),
  reason: z
    .enum([
      'UNAUTHORIZED',
      'FORBIDDEN',
      'TLS',
      'TIMEOUT',
      'REFUSED',
      'DNS',
      'API_ERROR',
      'NETWORK',
      'HTTP_STATUS',
      'NOT_PROMETHEUS',
      'TOO_LARGE',
      'BUSY',
      'READ_ONLY',
    ])
    .optional()
    .describe(
      'why a cluster (CLUSTER_UNREACHABLE) or its Prometheus (PROMETHEUS_UNREACHABLE) gave no answer, or READ_ONLY when the gateway refuses writes (403)',
    ),
  discovery_state: z
    .enum(['pending', 'running', 'found', 'not_found', 'failed', 'cancelled'])
    .optional()
    .describe('PROMETHEUS_NOT_CONFIGURED: where Prometheus discovery stands'),
});

export type RestCluster = z.infer<typeof restClusterSchema>;
export type RestClusterDetail = z.infer<typeof restClusterDetailSchema>;
export type RestGrant = z.infer<typeof restGrantSchema>;
export type RestClusterList = z.infer<typeof clusterListSchema>;
export type RestConnectionTest = z.infer<typeof connectionTestSchema>;
export type RestRediscover = z.infer<typeof rediscoverSchema>;
