import { z } from 'zod';
import { BASE } from './router.js';
import {
  clusterListSchema,
  connectionTestSchema,
  envelope,
  errorEnvelope,
  rediscoverSchema,
  restClusterDetailSchema,
  restClusterSchema,
} from './responses.js';
import { createClusterBody, updateClusterBody } from './schemas.js';
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
// Every endpoint may answer 413 (bodies are parsed under the API path) and 429 (an address that collected too many
// 401s is braked, AUTH_FAILURE_LIMIT).
const errors = (...codes: number[]) =>
  Object.fromEntries([...new Set([...codes, 413, 429])].sort().map((c) => [String(c), json({ $ref: '#/components/schemas/Error' }, ERROR_TEXT[c] ?? 'error')]));
const ERROR_TEXT: Record<number, string> = {
  400: 'invalid input; the message names the field',
  401: 'no valid bearer token',
  403: 'the admin role is required',
  404: 'no such cluster',
  409: 'conflict (a discovery task is running, or the Prometheus URL was set by hand)',
  413: 'request body too large',
  415: 'Content-Type must be application/json',
  429: 'too many failed authentication attempts from this address; see Retry-After',
  503: 'the cluster (or the database) cannot be reached; `reason` says why',
};
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
      [`${BASE}/clusters`]: {
        get: { operationId: 'listClusters', summary: 'C1: list clusters', responses: { 200: ok(clusterListSchema, 'clusters'), ...errors(401) } },
        post: {
          operationId: 'createCluster',
          summary: 'C3: register a cluster (it is reached before it is saved)',
          requestBody: { required: true, content: { 'application/json': { schema: inputSchema(createClusterBody) } } },
          responses: { 201: ok(restClusterSchema, 'created'), ...errors(400, 401, 403, 413, 415) },
        },
      },
      [`${BASE}/clusters/{id}`]: {
        parameters: [idParam],
        get: { operationId: 'getCluster', summary: 'C2: cluster detail', responses: { 200: ok(restClusterDetailSchema, 'cluster'), ...errors(400, 401, 404) } },
        put: {
          operationId: 'updateCluster',
          summary: 'C4: update any subset of fields',
          requestBody: { required: true, content: { 'application/json': { schema: inputSchema(updateClusterBody) } } },
          responses: { 200: ok(restClusterSchema, 'updated'), ...errors(400, 401, 403, 404, 413, 415) },
        },
        delete: { operationId: 'deleteCluster', summary: 'C5: soft delete', responses: { 200: ok(z.null(), 'deleted'), ...errors(400, 401, 403, 404) } },
      },
      [`${BASE}/clusters/{id}/test-connection`]: {
        parameters: [idParam],
        post: { operationId: 'testConnection', summary: 'C6: test the connection now', responses: { 200: ok(connectionTestSchema, 'reachable'), ...errors(400, 401, 404, 503) } },
      },
      [`${BASE}/clusters/{id}/prometheus/rediscover`]: {
        parameters: [idParam],
        post: { operationId: 'rediscoverPrometheus', summary: 'C7: start Prometheus discovery', responses: { 202: ok(rediscoverSchema, 'accepted'), ...errors(400, 401, 404, 409) } },
      },
    },
  };
}

/**
 * Issue 13 (proxy part): issued kubeconfigs, their tokens and the proxy. Lead: test/openapi.test.ts pins the document to
 * exactly C1–C7 (an assertion this branch may not change); spread these into `paths` when that test is updated.
 */
export function issuedKubeconfigPaths(): Json {
  const ok = (s: z.ZodType, description: string) => json(schema(envelope(s)), description);
  return {
      [`${BASE}/clusters/{id}/kubeconfig`]: {
        parameters: [idParam, { name: 'ttl', in: 'query', required: false, description: 'lifetime: 8h (default), 90m, 1h30m or seconds; at most 24h', schema: { type: 'string' } }],
        get: {
          operationId: 'issueClusterKubeconfig',
          summary: "a kubeconfig for this cluster through the gateway's proxy (HTTPS, CA inline, a revocable token bound to the cluster)",
          responses: { 200: { description: 'kubeconfig YAML; X-Token-Id and X-Token-Expires-At name its token', content: { 'application/yaml': { schema: { type: 'string' } } } }, ...errors(400, 401, 404, 409) },
        },
      },
      [`${BASE}/tokens`]: {
        get: { operationId: 'listAccessTokens', summary: 'tokens of your issued kubeconfigs (global admins: all)', responses: { 200: ok(accessTokenListSchema, 'tokens'), ...errors(401) } },
      },
      [`${BASE}/tokens/{tokenId}`]: {
        parameters: [{ name: 'tokenId', in: 'path', required: true, description: 'token id (uuid)', schema: { type: 'string' } }],
        delete: { operationId: 'revokeAccessToken', summary: 'revoke at once (every replica)', responses: { 200: ok(z.null(), 'revoked'), ...errors(401, 404) } },
      },
      [`${BASE}/clusters/{id}/proxy/{path}`]: {
        parameters: [idParam, { name: 'path', in: 'path', required: true, description: 'a Kubernetes API path (api/v1/pods …)', schema: { type: 'string' } }],
        get: {
          operationId: 'kubernetesProxy',
          summary: 'Kubernetes API proxy (any method; watch, logs -f and exec/attach/port-forward upgrades stream). Errors are Kubernetes Status objects, not the envelope. ANY /api/v1/k8s/proxy/{path} does the same for the current cluster (X-Cluster-Name, X-Cluster-ID, ?cluster=, else the default).',
          responses: { default: { description: "the cluster's answer, or a Kubernetes Status (400, 401, 403, 404, 503)" } },
        },
      },
  };
}
