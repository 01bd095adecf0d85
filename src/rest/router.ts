import { Router, type NextFunction, type Request, type Response } from 'express';
import type { RequestContext } from '../auth/principal.js';
import type { ClusterMetricsManager } from '../cluster-metrics/cluster-metrics.manager.js';
import type { AuditManager } from '../audit/audit.manager.js';
import type { ClusterManager } from '../clusters/cluster.manager.js';
import type { DiscoveryManager } from '../discovery/discovery.manager.js';
import { ValidationError } from '../errors.js';
import type { AccessManager } from '../access/access.manager.js';
import type { ClusterImportManager } from '../fleet/cluster-import.manager.js';
import type { HealthHistoryManager } from '../fleet/health-history.manager.js';
import type { ConnectionTestManager } from '../health/connection-test.manager.js';
import type { WebhookManager } from '../webhooks/webhook.manager.js';
import { clusterDetail, clusterListBody, clusterPageData, restTime, toRestCluster } from './cluster.rest.js';
import { listQueryFromParams, REST_QUERY_FIELDS } from './cluster-list.params.js';
import { send, sendError } from './envelope.js';
import { NO_STORE, type RestConnectionTest, type RestRediscover } from './responses.js';
import { createClusterBody, parseBody, updateClusterBody } from './schemas.js';

/** The managers REST C1–C7 call: the same ones GraphQL's resolvers call. */
export interface RestManagers {
  clusters: ClusterManager;
  clusterMetrics: ClusterMetricsManager;
  connectionTests: ConnectionTestManager;
  discovery: DiscoveryManager;
  access: AccessManager;
  audit: AuditManager;
  history: HealthHistoryManager;
  imports: ClusterImportManager;
  webhooks: WebhookManager;
}

export interface RestDeps extends RestManagers {
  /** Builds the same per-request context GraphQL gets. */
  context(req: Request): RequestContext;
}

/** Full paths, so route templates (metrics, logs) read like the contract. */
export const BASE = '/api/v1/k8s';

type Handler = (req: Request, res: Response, ctx: RequestContext) => Promise<void>;

/** Wraps a REST handler: the per-request context in, any error on to the one REST error mapper (envelope.ts). */
export const handlerWith = (context: RestDeps['context']) => (fn: Handler) => (req: Request, res: Response, next: NextFunction) => {
  fn(req, res, context(req)).catch(next);
};

/**
 * C1–C7 of the contract. Each handler parses REST's snake_case, makes one manager call, and renders the envelope;
 * errors go to the one REST error mapper (envelope.ts).
 */
export function clusterRouter(deps: RestDeps): Router {
  const router = Router();
  const { clusters, connectionTests, discovery } = deps;
  const handle = handlerWith(deps.context);

  // Answers are per caller and C2 carries an admin's kubeconfig: no cache (browser, proxy) may keep any of them.
  router.use(BASE, (_req, res, next) => {
    res.setHeader('Cache-Control', NO_STORE);
    next();
  });

  // C1. Without list parameters usually answered earlier, from rendered bytes, by http/cached-reads.ts.
  router.get(
    `${BASE}/clusters`,
    handle(async (req, res, ctx) => {
      const query = listQueryFromParams(new URL(req.originalUrl, 'http://localhost').searchParams);
      if (!query)
        return void res
          .status(200)
          .type('application/json')
          .send(clusterListBody(await clusters.list(ctx)));
      send(res, 200, 'success', clusterPageData(await clusters.page(ctx, query, REST_QUERY_FIELDS)));
    }),
  );

  // C2: the kubeconfig (base64) is included for admins only.
  router.get(
    `${BASE}/clusters/:id`,
    handle(async (req, res, ctx) => send(res, 200, 'success', await clusterDetail(clusters, ctx, param(req, 'id')))),
  );

  // C3: the message says a discovery task started only when discovery reports that it did.
  router.post(
    `${BASE}/clusters`,
    requireJson,
    handle(async (req, res, ctx) => {
      const body = parseBody(createClusterBody, req.body);
      const { cluster, discoveryStarted } = await clusters.create(ctx, {
        name: body.name,
        kubeconfig: body.kubeconfig,
        isDefault: given(body.is_default),
        enabled: given(body.enabled),
        impersonate: given(body.impersonate),
        labels: given(body.labels),
      });
      send(res, 201, discoveryStarted ? '集群创建成功，Prometheus 自动发现任务已启动' : '集群创建成功', toRestCluster(cluster));
    }),
  );

  // C4
  router.put(
    `${BASE}/clusters/:id`,
    requireJson,
    handle(async (req, res, ctx) => {
      const body = parseBody(updateClusterBody, req.body);
      const cluster = await clusters.update(ctx, param(req, 'id'), {
        name: given(body.name),
        kubeconfig: given(body.kubeconfig),
        isDefault: given(body.is_default),
        enabled: given(body.enabled),
        prometheusUrl: body.prometheus_url === null ? '' : body.prometheus_url,
        impersonate: given(body.impersonate),
        labels: given(body.labels),
      });
      send(res, 200, '集群更新成功', toRestCluster(cluster));
    }),
  );

  // C5
  router.delete(
    `${BASE}/clusters/:id`,
    handle(async (req, res, ctx) => {
      await clusters.remove(ctx, param(req, 'id'));
      send(res, 200, '集群删除成功', null);
    }),
  );

  // C6: 200 when reachable; 503 with a typed `reason` when not (mapped from ClusterUnreachableError).
  router.post(
    `${BASE}/clusters/:id/test-connection`,
    handle(async (req, res, ctx) => {
      const t = await connectionTests.testConnection(ctx, param(req, 'id'));
      send<RestConnectionTest>(res, 200, '集群连接成功', {
        cluster_id: t.clusterId,
        cluster_name: t.clusterName,
        connected: t.connected,
        kubernetes_version: t.kubernetesVersion,
        node_count: t.nodeCount,
        tested_at: restTime(t.testedAt)!,
        message: t.message,
      });
    }),
  );

  // C7: 202 once the task is accepted; 409 while one is active or when the URL was set by hand.
  router.post(
    `${BASE}/clusters/:id/prometheus/rediscover`,
    handle(async (req, res, ctx) => {
      const task = await discovery.rediscover(ctx, param(req, 'id'));
      send<RestRediscover>(res, 202, 'Prometheus 重新检测任务已启动，请稍后刷新查看结果', {
        cluster_id: task.clusterId,
        task_id: task.taskId,
        state: task.state,
        task_started_at: restTime(task.createdAt),
      });
    }),
  );

  return router;
}

/** JSON null and an absent field mean the same ("leave it"), except where the contract says otherwise. */
const given = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

export function param(req: Request, name: string): string {
  const value = req.params[name];
  if (typeof value !== 'string') throw new ValidationError(name, 'is required');
  return value;
}

/** Writes must be JSON: a form post from another site cannot forge one (and a typo'd header fails loudly). */
export function requireJson(req: Request, res: Response, next: NextFunction): void {
  if (!req.is('application/json')) return sendError(res, 415, 'Content-Type must be application/json');
  next();
}
