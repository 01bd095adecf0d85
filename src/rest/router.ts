import { Router, type NextFunction, type Request, type Response } from 'express';
import type { RequestContext } from '../auth/principal.js';
import { ValidationError } from '../errors.js';
import type { ClusterResolver } from '../resolvers/cluster.resolver.js';
import type { ConnectionTestResolver } from '../resolvers/connection-test.resolver.js';
import type { DiscoveryResolver } from '../resolvers/discovery.resolver.js';
import { clusterListBody, restTime, toRestCluster } from './cluster.rest.js';
import { NO_STORE } from './responses.js';
import { type Envelope, send } from './envelope.js';
import type { RestCluster, RestConnectionTest, RestRediscover } from './responses.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import { createClusterBody, parseBody, updateClusterBody } from './schemas.js';

export interface RestDeps {
  clusterResolver: ClusterResolver;
  connectionTestResolver: ConnectionTestResolver;
  discoveryResolver: DiscoveryResolver;
  /** Builds the same per-request context GraphQL gets. */
  context(req: Request): RequestContext;
  /** Whether C3's message should say a discovery task started. */
  autoDiscovery: boolean;
}

/** Full paths, so route templates (metrics, logs) read like the contract. */
export const BASE = '/api/v1/k8s';

type Handler = (req: Request, res: Response, ctx: RequestContext) => Promise<void>;

/**
 * C1–C7 of the contract. Each handler parses REST's snake_case, calls the very resolver method GraphQL uses, and
 * renders the envelope; errors go to the one REST error mapper.
 */
export function clusterRouter(deps: RestDeps): Router {
  const router = Router();
  const r = deps.clusterResolver;
  const handle = (fn: Handler) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res, deps.context(req)).catch(next);
  };

  // Answers are per caller and C2 carries an admin's kubeconfig: no cache (browser, proxy) may keep any of them.
  router.use(BASE, (_req, res, next) => {
    res.setHeader('Cache-Control', NO_STORE);
    next();
  });

  // C1
  router.get(`${BASE}/clusters`, handle(async (_req, res, ctx) => {
    const list = await r.clusters(ctx);
    res.status(200).type('application/json').send(clusterListBody(list.items));
  }));

  // C2: the kubeconfig (base64) is included for admins only.
  router.get(`${BASE}/clusters/:id`, handle(async (req, res, ctx) => {
    const cluster = await r.cluster(param(req, 'id'), ctx);
    const kubeconfig = await r.kubeconfig(cluster, ctx);
    const data = toRestCluster(cluster);
    send(res, 200, 'success', kubeconfig === null ? data : { ...data, kubeconfig: Buffer.from(kubeconfig).toString('base64') });
  }));

  // C3
  router.post(`${BASE}/clusters`, requireJson, handle(async (req, res, ctx) => {
    const body = parseBody(createClusterBody, req.body);
    const cluster = await r.createCluster(
      { name: body.name, kubeconfig: body.kubeconfig, isDefault: body.is_default, enabled: body.enabled },
      ctx,
    );
    const message = deps.autoDiscovery && cluster.enabled ? '集群创建成功，Prometheus 自动发现任务已启动' : '集群创建成功';
    send(res, 201, message, toRestCluster(cluster));
  }));

  // C4
  router.put(`${BASE}/clusters/:id`, requireJson, handle(async (req, res, ctx) => {
    const body = parseBody(updateClusterBody, req.body);
    const cluster = await r.updateCluster(
      param(req, 'id'),
      {
        name: body.name,
        kubeconfig: body.kubeconfig,
        isDefault: body.is_default,
        enabled: body.enabled,
        prometheusUrl: body.prometheus_url === null ? '' : body.prometheus_url,
      },
      ctx,
    );
    send(res, 200, '集群更新成功', toRestCluster(cluster));
  }));

  // C5
  router.delete(`${BASE}/clusters/:id`, handle(async (req, res, ctx) => {
    await r.deleteCluster(param(req, 'id'), ctx);
    send(res, 200, '集群删除成功', null);
  }));

  // C6: 200 when reachable; 503 with a typed `reason` when not (mapped from ClusterUnreachableError).
  router.post(`${BASE}/clusters/:id/test-connection`, handle(async (req, res, ctx) => {
    const t = await deps.connectionTestResolver.testClusterConnection(param(req, 'id'), ctx);
    send<RestConnectionTest>(res, 200, '集群连接成功', {
      cluster_id: t.clusterId,
      cluster_name: t.clusterName,
      connected: t.connected,
      kubernetes_version: t.kubernetesVersion,
      node_count: t.nodeCount,
      tested_at: restTime(t.testedAt)!,
      message: t.message,
    });
  }));

  // C7: 202 once the task is accepted; 409 while one is active or when the URL was set by hand.
  router.post(`${BASE}/clusters/:id/prometheus/rediscover`, handle(async (req, res, ctx) => {
    const task = await deps.discoveryResolver.rediscoverPrometheus(param(req, 'id'), ctx);
    send<RestRediscover>(res, 202, 'Prometheus 重新检测任务已启动，请稍后刷新查看结果', {
      cluster_id: task.clusterId,
      task_id: task.taskId,
      state: task.state,
      task_started_at: restTime(task.createdAt),
    });
  }));

  return router;
}

function param(req: Request, name: string): string {
  const value = req.params[name];
  if (typeof value !== 'string') throw new ValidationError(name, 'is required');
  return value;
}

/** Writes must be JSON: a form post from another site cannot forge one (and a typo'd header fails loudly). */
function requireJson(req: Request, res: Response, next: NextFunction): void {
  if (!req.is('application/json')) {
    res.status(415).json({ code: 415, message: 'Content-Type must be application/json', data: null });
    return;
  }
  next();
}
