import { type NextFunction, type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { RequestContext } from '../auth/principal.js';
import { type ClusterImportManager, countOutcomes } from '../fleet/cluster-import.manager.js';
import { IMPORT_ACTIONS, IMPORT_OUTCOMES } from '../fleet/cluster-import.service.js';
import { send } from './envelope.js';
import { BASE, requireJson } from './router.js';
import { parseBody } from './schemas.js';

const str = z.string({ error: 'must be a string' });
const bool = z.boolean({ error: 'must be true or false' });

/** The import request (DESIGN: kubeconfig as base64, snake_case options). Unknown fields are refused. */
export const importClustersBody = z.strictObject({
  kubeconfig: str.min(1, 'is required').describe('base64 of a kubeconfig with any number of contexts'),
  contexts: z.array(str, { error: 'must be a list of context names' }).max(1000).nullish(),
  labels: z.record(str, str, { error: 'must be an object of string values' }).nullish(),
  name_prefix: str.nullish(),
  update_existing: bool.nullish(),
  dry_run: bool.nullish().describe('true: answer the plan and change nothing'),
  set_default_from_current_context: bool.nullish(),
});

export const restImportPlanSchema = z.object({
  dry_run: z.literal(true),
  items: z.array(
    z.object({
      context: z.string(),
      name: z.string(),
      server: z.string().nullable(),
      action: z.enum(IMPORT_ACTIONS),
      reason: z.string().nullable(),
      reachable: z.boolean().nullable(),
      kubernetes_version: z.string().nullable(),
      existing_cluster_id: z.number().int().nullable(),
    }),
  ),
});

export const restImportResultSchema = z.object({
  dry_run: z.literal(false),
  items: z.array(
    z.object({
      context: z.string(),
      name: z.string(),
      outcome: z.enum(IMPORT_OUTCOMES),
      cluster_id: z.number().int().nullable(),
      message: z.string().nullable(),
    }),
  ),
  summary: z.record(z.enum(IMPORT_OUTCOMES), z.number().int()),
});
export type RestImportPlan = z.infer<typeof restImportPlanSchema>;
export type RestImportResult = z.infer<typeof restImportResultSchema>;

/** `POST /api/v1/k8s/clusters/import`: the plan (`dry_run`) or the per-context results; calls ClusterImportManager. */
export function clusterImportRouter(deps: { imports: ClusterImportManager; context(req: Request): RequestContext }): Router {
  const router = Router();
  router.post(`${BASE}/clusters/import`, requireJson, (req: Request, res: Response, next: NextFunction) => {
    (async () => {
      const ctx = deps.context(req);
      const body = parseBody(importClustersBody, req.body);
      const cmd = {
        kubeconfig: body.kubeconfig,
        requireBase64: true,
        contexts: body.contexts ?? undefined,
        labels: body.labels ?? undefined,
        namePrefix: body.name_prefix ?? undefined,
        updateExisting: body.update_existing ?? undefined,
        setDefaultFromCurrentContext: body.set_default_from_current_context ?? undefined,
      };
      if (body.dry_run) {
        const items = await deps.imports.plan(ctx, cmd);
        send<RestImportPlan>(res, 200, '导入计划已生成', {
          dry_run: true,
          items: items.map((i) => ({
            context: i.context,
            name: i.name,
            server: i.server,
            action: i.action,
            reason: i.reason,
            reachable: i.reachable,
            kubernetes_version: i.kubernetesVersion,
            existing_cluster_id: i.existingClusterId,
          })),
        });
        return;
      }
      const items = await deps.imports.apply(ctx, cmd);
      send<RestImportResult>(res, 200, '集群导入完成', {
        dry_run: false,
        items: items.map((i) => ({ context: i.context, name: i.name, outcome: i.outcome, cluster_id: i.clusterId, message: i.message })),
        summary: countOutcomes(items),
      });
    })().catch(next);
  });
  return router;
}
