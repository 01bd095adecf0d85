import { Router } from 'express';
import type { ClusterGrantView } from '../access/grants.repository.js';
import { restTime } from './cluster.rest.js';
import { send } from './envelope.js';
import type { RestGrant } from './responses.js';
import { BASE, handlerWith, param, requireJson, type RestDeps } from './router.js';
import { grantBody, parseBody } from './schemas.js';

const toRestGrant = (g: ClusterGrantView): RestGrant => ({
  id: g.id,
  cluster_id: g.clusterId,
  subject: g.subject,
  subject_kind: g.subjectKind,
  role: g.role,
  created_at: restTime(g.createdAt)!,
  created_by: g.createdBy,
});

/**
 * Grants of one cluster (DESIGN "REST surface"), for its admins: list, grant (again: change the role), revoke. Each
 * handler makes one AccessManager call; a cluster the caller cannot see is 404 like a missing one.
 */
export function accessRouter(deps: RestDeps): Router {
  const router = Router();
  const handle = handlerWith(deps.context);
  const { access } = deps;

  router.get(
    `${BASE}/clusters/:id/grants`,
    handle(async (req, res, ctx) => {
      const grants = await access.listGrants(ctx, param(req, 'id'), 'id');
      send(res, 200, 'success', { grants: grants.map(toRestGrant) });
    }),
  );

  router.post(
    `${BASE}/clusters/:id/grants`,
    requireJson,
    handle(async (req, res, ctx) => {
      const body = parseBody(grantBody, req.body);
      const grant = await access.grant(
        ctx,
        { clusterId: param(req, 'id'), subject: body.subject, subjectKind: body.subject_kind, role: body.role },
        'id',
      );
      send(res, 200, '授权成功', toRestGrant(grant));
    }),
  );

  router.delete(
    `${BASE}/clusters/:id/grants/:grantId`,
    handle(async (req, res, ctx) => {
      await access.revoke(ctx, param(req, 'grantId'), { inCluster: param(req, 'id'), field: 'grantId' });
      send(res, 200, '授权已撤销', null);
    }),
  );

  return router;
}
