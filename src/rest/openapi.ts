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
