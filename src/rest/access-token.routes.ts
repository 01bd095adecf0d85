import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { parseTtlParam } from '../access/issued-kubeconfig.js';
import type { TokenManager } from '../access/token.manager.js';
import type { AccessTokenView } from '../access/tokens.repository.js';
import type { RequestContext } from '../auth/principal.js';
import { ValidationError } from '../errors.js';
import { restTime } from './cluster.rest.js';
import { send } from './envelope.js';
import { NO_STORE, restTimeSchema } from './responses.js';
import { BASE } from './router.js';

export interface AccessTokenRouteDeps {
  tokens: TokenManager;
  context(req: Request): RequestContext;
}

/** REST for issued kubeconfigs: `GET …/clusters/:id/kubeconfig?ttl=8h` (YAML), `GET …/tokens`, `DELETE …/tokens/:id`. */
export function accessTokenRouter(deps: AccessTokenRouteDeps): Router {
  const router = Router();
  const handle = (fn: (req: Request, res: Response, ctx: RequestContext) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', NO_STORE);
    fn(req, res, deps.context(req)).catch(next);
  };

  router.get(
    `${BASE}/clusters/:id/kubeconfig`,
    handle(async (req, res, ctx) => {
      const ttl = req.query.ttl;
      if (ttl !== undefined && typeof ttl !== 'string') throw new ValidationError('ttl', 'must be given once');
      const issued = await deps.tokens.issue(ctx, String(req.params.id), parseTtlParam(ttl), 'ttl');
      res.setHeader('X-Token-Id', issued.tokenId);
      res.setHeader('X-Token-Expires-At', issued.expiresAt.toISOString());
      res.setHeader('Content-Disposition', 'attachment; filename="kubeconfig.yaml"');
      res.status(200).type('application/yaml').send(issued.kubeconfig);
    }),
  );

  router.get(
    `${BASE}/tokens`,
    handle(async (_req, res, ctx) => {
      send(res, 200, 'success', { items: (await deps.tokens.list(ctx)).map(toRestToken) });
    }),
  );

  router.delete(
    `${BASE}/tokens/:id`,
    handle(async (req, res, ctx) => {
      await deps.tokens.revoke(ctx, String(req.params.id));
      send(res, 200, '令牌已撤销', null);
    }),
  );

  return router;
}

/** An issued token as REST lists it (never the token itself). */
export const restAccessTokenSchema = z.object({
  id: z.string(),
  subject: z.string(),
  cluster_id: z.number().int(),
  created_at: restTimeSchema.nullable(),
  expires_at: restTimeSchema.nullable(),
  revoked_at: restTimeSchema.nullable(),
  last_used_at: restTimeSchema.nullable(),
});
export const accessTokenListSchema = z.object({ items: z.array(restAccessTokenSchema) });

function toRestToken(t: AccessTokenView): z.infer<typeof restAccessTokenSchema> {
  return {
    id: t.id,
    subject: t.subject,
    cluster_id: t.clusterId,
    created_at: restTime(t.createdAt),
    expires_at: restTime(t.expiresAt),
    revoked_at: restTime(t.revokedAt),
    last_used_at: restTime(t.lastUsedAt),
  };
}
