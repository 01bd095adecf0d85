import { z } from 'zod';
import { MAX_JSON_BODY_BYTES } from '../http/json-body.js';
import { BASE } from './router.js';
import {
  clusterListSchema,
  connectionTestSchema,
  envelope,
  errorEnvelope,
  grantListSchema,
  restGrantSchema,
  rediscoverSchema,
  restClusterDetailSchema,
  restClusterSchema,
} from './responses.js';
import { auditPageSchema } from './audit.routes.js';
import { importClustersBody, restImportPlanSchema, restImportResultSchema } from './cluster-import.routes.js';
import { clusterMetricsSchema } from './cluster-metrics.routes.js';
import { restAvailabilitySchema, restHealthHistorySchema } from './health-history.routes.js';
import { createClusterBody, grantBody, updateClusterBody } from './schemas.js';
import {
  WEBHOOKS_PATH,
  createWebhookBody,
  restCreatedWebhookSchema,
  restDeliveryListSchema,
  restDeliverySchema,
  restWebhookListSchema,
  restWebhookSchema,
  updateWebhookBody,
} from './webhook.routes.js';
import { accessTokenListSchema } from './access-token.routes.js';

type Json = Record<string, unknown>;
const schema = (s: z.ZodType): Json => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }) as Json;
  return rest;
};
const inputSchema = (s: z.ZodType): Json => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
};

const json = (s: Json, description: string) => ({ description, content: { 'application/json': { schema: s } } });
// Every endpoint may answer 413 (bodies are parsed under the API path, whatever the method), 429 (an address that
// collected too many 401s is braked, AUTH_FAILURE_LIMIT) and 503 (the database cannot be reached).
const errors = (...codes: number[]) =>
  Object.fromEntries(
    [...new Set([...codes, 413, 429, 503])].sort().map((c) => [String(c), json({ $ref: '#/components/schemas/Error' }, ERROR_TEXT[c] ?? 'error')]),
  );
const ERROR_TEXT: Record<number, string> = {
  400: 'invalid input; the message names the field',
  401: 'no valid bearer token',
  403: 'the admin role (global, or on this cluster) is required, or the gateway is read-only (`reason: READ_ONLY`, message 只读模式已启用)',
  404: 'no such cluster (or none the caller holds a role on)',
  409: 'conflict (a discovery task is running, or the Prometheus URL was set by hand)',
  413: `request body over ${MAX_JSON_BODY_BYTES} bytes (1 MiB)`,
  415: 'Content-Type must be application/json',
  429: 'too many failed authentication attempts from this address; see Retry-After',
  503: 'the cluster (or the database) cannot be reached; `reason` says why',
};
const grantIdParam = {
  name: 'grantId',
  in: 'path',
  required: true,
  description: 'grant id (positive integer)',
  schema: { type: 'integer', minimum: 1 },
};
const AUDIT_PARAMS = [
  { name: 'cluster_id', description: 'events of this cluster id (kept after the cluster is deleted)', schema: { type: 'integer', minimum: 1 } },
  { name: 'actor', description: 'the token subject (`sub`) that made the change', schema: { type: 'string' } },
  {
    name: 'action',
    description: 'e.g. cluster.create, cluster.update, cluster.delete, cluster.testConnection, prometheus.rediscover',
    schema: { type: 'string' },
  },
  { name: 'since', description: 'RFC 3339; events at or after', schema: { type: 'string', format: 'date-time' } },
  { name: 'until', description: 'RFC 3339; events at or before', schema: { type: 'string', format: 'date-time' } },
  { name: 'limit', description: 'page size, 1-500 (default 50)', schema: { type: 'integer', minimum: 1, maximum: 500 } },
  { name: 'cursor', description: '`next_cursor` of the previous page', schema: { type: 'string' } },
].map((p) => ({ ...p, in: 'query', required: false }));
const webhookIdParam = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'webhook id (positive integer)',
  schema: { type: 'integer', minimum: 1 },
};
/** C1's optional list parameters (rest/cluster-list.params.ts); without any, C1 answers exactly as the contract shows. */
const LIST_PARAMETERS = [
  ['search', 'case-insensitive substring of the name'],
  ['health_status', 'comma list: unknown, healthy, warning, error, unavailable'],
  ['label_selector', 'Kubernetes label selector, e.g. env=prod,tier in (web,api),!legacy'],
  ['enabled', 'true or false'],
  ['limit', 'page size, 1-1000 (all matches when absent)'],
  ['cursor', 'next_cursor of the previous page'],
  ['order_by', 'name, created_at, updated_at or health_status; a leading "-" sorts descending (default: id ascending)'],
].map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } }));
const idParam = { name: 'id', in: 'path', required: true, description: 'cluster id (positive integer)', schema: { type: 'integer', minimum: 1 } };

/** OpenAPI 3.1 for C1–C7, generated from the zod schemas the REST layer parses requests and shapes responses with. */
export function openApiDocument(): Json {
  const ok = (s: z.ZodType, description: string) => json(schema(envelope(s)), description);
  return {
    openapi: '3.1.0',
    info: { title: 'kube-gateway cluster API', version: '1.0.0', description: 'REST contract C1–C7; every response is {code, message, data}.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: schema(errorEnvelope), Cluster: schema(restClusterSchema) },
    },
    paths: {
      ...issuedKubeconfigPaths(),
      [`${BASE}/clusters`]: {
        get: {
          operationId: 'listClusters',
          summary: 'C1: list clusters (optionally filtered, ordered and paged)',
          parameters: LIST_PARAMETERS,
          responses: { 200: ok(clusterListSchema, 'clusters'), ...errors(400, 401) },
        },
        post: {
          operationId: 'createCluster',
          summary: 'C3: register a cluster (it is reached before it is saved)',
          requestBody: { required: true, content: { 'application/json': { schema: inputSchema(createClusterBody) } } },
          responses: { 201: ok(restClusterSchema, 'created'), ...errors(400, 401, 403, 413, 415) },
        },
      },
      [`${BASE}/clusters/import`]: {
        post: {
          operationId: 'importClusters',
          summary: 'Import every context of a kubeconfig: the plan (dry_run) or one result per context (admins only)',
          requestBody: { required: true, content: { 'application/json': { schema: inputSchema(importClustersBody) } } },
          responses: {
            200: json({ oneOf: [schema(envelope(restImportPlanSchema)), schema(envelope(restImportResultSchema))] }, 'plan or results'),
            ...errors(400, 401, 403, 413, 415),
          },
        },
      },
      [`${BASE}/clusters/{id}`]: {
        parameters: [idParam],
        get: {
          operationId: 'getCluster',
          summary: 'C2: cluster detail',
          responses: { 200: ok(restClusterDetailSchema, 'cluster'), ...errors(400, 401, 404) },
        },
        put: {
          operationId: 'updateCluster',
          summary: 'C4: update any subset of fields',
          requestBody: { required: true, content: { 'application/json': { schema: inputSchema(updateClusterBody) } } },
          responses: { 200: ok(restClusterSchema, 'updated'), ...errors(400, 401, 403, 404, 413, 415) },
        },
        delete: {
          operationId: 'deleteCluster',
          summary: 'C5: soft delete',
          responses: { 200: ok(z.null(), 'deleted'), ...errors(400, 401, 403, 404) },
        },
      },
      [`${BASE}/clusters/{id}/test-connection`]: {
        parameters: [idParam],
        post: {
          operationId: 'testConnection',
          summary: 'C6: test the connection now (allowed in read-only mode)',
          responses: { 200: ok(connectionTestSchema, 'reachable'), ...errors(400, 401, 404, 503) },
        },
      },
      [`${BASE}/clusters/{id}/health/history`]: {
        parameters: [
          idParam,
          {
            name: 'since',
            in: 'query',
            required: false,
            description: 'only transitions at or after this RFC 3339 time',
            schema: { type: 'string', format: 'date-time' },
          },
          {
            name: 'limit',
            in: 'query',
            required: false,
            description: 'page size, 1-500 (default 50)',
            schema: { type: 'integer', minimum: 1, maximum: 500 },
          },
          { name: 'cursor', in: 'query', required: false, description: 'next_cursor of the previous page', schema: { type: 'string' } },
        ],
        get: {
          operationId: 'clusterHealthHistory',
          summary: 'Committed health transitions, newest first',
          responses: { 200: ok(restHealthHistorySchema, 'history'), ...errors(400, 401, 404) },
        },
      },
      [`${BASE}/clusters/{id}/availability`]: {
        parameters: [
          idParam,
          {
            name: 'window',
            in: 'query',
            required: false,
            description: '1h, 24h (default), 7d or 30d',
            schema: { type: 'string', enum: ['1h', '24h', '7d', '30d'] },
          },
        ],
        get: {
          operationId: 'clusterAvailability',
          summary: 'Availability over a window, from transitions',
          responses: { 200: ok(restAvailabilitySchema, 'availability'), ...errors(400, 401, 404) },
        },
      },
      [`${BASE}/clusters/{id}/prometheus/rediscover`]: {
        parameters: [idParam],
        post: {
          operationId: 'rediscoverPrometheus',
          summary: 'C7: start Prometheus discovery',
          responses: { 202: ok(rediscoverSchema, 'accepted'), ...errors(400, 401, 403, 404, 409) },
        },
      },
      [`${BASE}/audit`]: {
        get: {
          operationId: 'listAuditEvents',
          summary: 'The audit log, newest first (global admins only); every write attempt with its outcome',
          parameters: AUDIT_PARAMS,
          responses: { 200: ok(auditPageSchema, 'one page of events'), ...errors(400, 401, 403) },
        },
      },
      [`${BASE}/clusters/{id}/metrics`]: {
        parameters: [
          idParam,
          {
            name: 'range',
            in: 'query',
            required: false,
            description: 'how far back (default 1h)',
            schema: { type: 'string', enum: ['1h', '6h', '24h', '7d'] },
          },
          {
            name: 'step',
            in: 'query',
            required: false,
            description: 'seconds between points (default range / 120); at most 11,000 points',
            schema: { type: 'integer', minimum: 1 },
          },
        ],
        get: {
          operationId: 'getClusterMetrics',
          summary: "CPU, memory, pods and network over a range, from the cluster's Prometheus (PromQL in the README)",
          responses: {
            200: ok(clusterMetricsSchema, 'one series per metric; a series that failed alone carries `error`'),
            ...errors(400, 401, 404, 503),
            409: json(
              { $ref: '#/components/schemas/Error' },
              'PROMETHEUS_NOT_CONFIGURED: no Prometheus URL (none set, none discovered); `discovery_state` and the message say what to do. Also: the cluster is disabled',
            ),
            503: json({ $ref: '#/components/schemas/Error' }, 'PROMETHEUS_UNREACHABLE (or the database is down): `reason` says why'),
          },
        },
      },
      [`${BASE}/clusters/{id}/grants`]: {
        parameters: [idParam],
        get: {
          operationId: 'listGrants',
          summary: 'who holds which role on the cluster (cluster admins)',
          responses: { 200: ok(grantListSchema, 'grants'), ...errors(400, 401, 403, 404) },
        },
        post: {
          operationId: 'grantClusterAccess',
          summary: 'give a user or group a role on the cluster; again for the same subject changes the role (cluster admins)',
          requestBody: { required: true, content: { 'application/json': { schema: inputSchema(grantBody) } } },
          responses: { 200: ok(restGrantSchema, 'granted'), ...errors(400, 401, 403, 404, 413, 415) },
        },
      },
      [`${BASE}/clusters/{id}/grants/{grantId}`]: {
        parameters: [idParam, grantIdParam],
        delete: {
          operationId: 'revokeClusterAccess',
          summary: 'remove a grant; it stops applying at once (cluster admins)',
          responses: { 200: ok(z.null(), 'revoked'), ...errors(400, 401, 403, 404) },
        },
      },
      // Webhooks (global admins only): 403 for everyone else.
      [WEBHOOKS_PATH]: {
        get: {
          operationId: 'listWebhooks',
          summary: 'list webhooks',
          responses: { 200: ok(restWebhookListSchema, 'webhooks'), ...errors(401, 403) },
        },
        post: {
          operationId: 'createWebhook',
          summary: 'create a webhook; the signing secret is in this answer only',
          requestBody: { required: true, content: { 'application/json': { schema: inputSchema(createWebhookBody) } } },
          responses: { 201: ok(restCreatedWebhookSchema, 'created'), ...errors(400, 401, 403, 415) },
        },
      },
      [`${WEBHOOKS_PATH}/{id}`]: {
        parameters: [webhookIdParam],
        put: {
          operationId: 'updateWebhook',
          summary: 'update any subset of fields',
          requestBody: { required: true, content: { 'application/json': { schema: inputSchema(updateWebhookBody) } } },
          responses: { 200: ok(restWebhookSchema, 'updated'), ...errors(400, 401, 403, 404, 415) },
        },
        delete: {
          operationId: 'deleteWebhook',
          summary: 'delete a webhook and its delivery log',
          responses: { 200: ok(z.null(), 'deleted'), ...errors(400, 401, 403, 404) },
        },
      },
      [`${WEBHOOKS_PATH}/{id}/test`]: {
        parameters: [webhookIdParam],
        post: {
          operationId: 'testWebhook',
          summary: 'send a PING now',
          responses: { 200: ok(restDeliverySchema, 'the ping delivery'), ...errors(400, 401, 403, 404) },
        },
      },
      [`${WEBHOOKS_PATH}/{id}/deliveries`]: {
        parameters: [webhookIdParam, { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } }],
        get: {
          operationId: 'listWebhookDeliveries',
          summary: 'the delivery log, newest first',
          responses: { 200: ok(restDeliveryListSchema, 'deliveries'), ...errors(400, 401, 403, 404) },
        },
      },
    },
  };
}

/** Issued kubeconfigs and their tokens (issue 13). The Kubernetes proxy is not a REST endpoint (its errors are Status objects); the README documents it. */
export function issuedKubeconfigPaths(): Json {
  const ok = (s: z.ZodType, description: string) => json(schema(envelope(s)), description);
  return {
    [`${BASE}/clusters/{id}/kubeconfig`]: {
      parameters: [
        idParam,
        {
          name: 'ttl',
          in: 'query',
          required: false,
          description: 'lifetime: 8h (default), 90m, 1h30m or seconds; at most 24h',
          schema: { type: 'string' },
        },
      ],
      get: {
        operationId: 'issueClusterKubeconfig',
        summary: "a kubeconfig for this cluster through the gateway's proxy (HTTPS, CA inline, a revocable token bound to the cluster)",
        responses: {
          200: {
            description: 'kubeconfig YAML; X-Token-Id and X-Token-Expires-At name its token',
            content: { 'application/yaml': { schema: { type: 'string' } } },
          },
          ...errors(400, 401, 404, 409),
        },
      },
    },
    [`${BASE}/tokens`]: {
      get: {
        operationId: 'listAccessTokens',
        summary: 'tokens of your issued kubeconfigs (global admins: all)',
        responses: { 200: ok(accessTokenListSchema, 'tokens'), ...errors(401) },
      },
    },
    [`${BASE}/tokens/{tokenId}`]: {
      parameters: [{ name: 'tokenId', in: 'path', required: true, description: 'token id (uuid)', schema: { type: 'string' } }],
      delete: {
        operationId: 'revokeAccessToken',
        summary: 'revoke at once (every replica)',
        responses: { 200: ok(z.null(), 'revoked'), ...errors(401, 404) },
      },
    },
  };
}
