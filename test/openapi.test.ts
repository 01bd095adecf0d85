import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';

describe('OpenAPI document', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway('pglite');
  });
  afterAll(() => t?.close());

  it('is served at /api/v1/openapi.json without a token and is a valid OpenAPI 3.1 document', async () => {
    const res = await fetch(`${t.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toBe('3.1.0');
    const validated = (await SwaggerParser.validate(structuredClone(doc))) as { paths: Record<string, unknown> };
    expect(Object.keys(validated.paths).sort()).toEqual([
      '/api/v1/k8s/audit',
      '/api/v1/k8s/clusters',
      '/api/v1/k8s/clusters/import',
      '/api/v1/k8s/clusters/{id}',
      '/api/v1/k8s/clusters/{id}/availability',
      '/api/v1/k8s/clusters/{id}/grants',
      '/api/v1/k8s/clusters/{id}/grants/{grantId}',
      '/api/v1/k8s/clusters/{id}/health/history',
      '/api/v1/k8s/clusters/{id}/kubeconfig',
      '/api/v1/k8s/clusters/{id}/metrics',
      '/api/v1/k8s/clusters/{id}/prometheus/rediscover',
      '/api/v1/k8s/clusters/{id}/test-connection',
      '/api/v1/k8s/tokens',
      '/api/v1/k8s/tokens/{tokenId}',
      '/api/v1/k8s/webhooks',
      '/api/v1/k8s/webhooks/{id}',
      '/api/v1/k8s/webhooks/{id}/deliveries',
      '/api/v1/k8s/webhooks/{id}/test',
    ]);
  });

  it('describes all seven operations with their success status and the contract field names', async () => {
    const doc = await (await fetch(`${t.url}/api/v1/openapi.json`)).json();
    const ops = Object.values(doc.paths as Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown> }>>).flatMap(
      (item) =>
        Object.entries(item)
          .filter(([m]) => m !== 'parameters')
          .map(([m, op]) => `${m} ${op.operationId} ${Object.keys(op.responses ?? {}).find((s) => s.startsWith('2'))}`),
    );
    expect(ops.sort()).toEqual([
      'delete deleteCluster 200',
      'delete deleteWebhook 200',
      'delete revokeAccessToken 200',
      'delete revokeClusterAccess 200',
      'get clusterAvailability 200',
      'get clusterHealthHistory 200',
      'get getCluster 200',
      'get getClusterMetrics 200',
      'get issueClusterKubeconfig 200',
      'get listAccessTokens 200',
      'get listAuditEvents 200',
      'get listClusters 200',
      'get listGrants 200',
      'get listWebhookDeliveries 200',
      'get listWebhooks 200',
      'post createCluster 201',
      'post createWebhook 201',
      'post grantClusterAccess 200',
      'post importClusters 200',
      'post rediscoverPrometheus 202',
      'post testConnection 200',
      'post testWebhook 200',
      'put updateCluster 200',
      'put updateWebhook 200',
    ]);
    const cluster = doc.components.schemas.Cluster;
    for (const f of [
      'id',
      'name',
      'is_default',
      'enabled',
      'health_status',
      'last_connected_at',
      'node_count',
      'pod_count',
      'prometheus_url',
      'created_at',
      'updated_at',
    ]) {
      expect(cluster.required).toContain(f);
    }
    const create = doc.paths['/api/v1/k8s/clusters'].post.requestBody.content['application/json'].schema;
    expect(create.required.sort()).toEqual(['kubeconfig', 'name']);
    expect(create.additionalProperties).toBe(false);
  });
});
