import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { restTimeSchema } from './responses.js';
import type { AuditManager } from '../audit/audit.manager.js';
import type { AuditEventView } from '../audit/audit-entry.js';
import type { RequestContext } from '../auth/principal.js';
import { ValidationError } from '../errors.js';
import { restTime } from './cluster.rest.js';
import { send } from './envelope.js';
import { BASE } from './router.js';

const time = restTimeSchema;

/** One audit event in REST's snake_case (GET /api/v1/k8s/audit). */
export const restAuditEventSchema = z.object({
  id: z.number().int().positive(),
  at: time,
  actor: z.string(),
  action: z.string(),
  cluster_id: z.number().int().nullable(),
  cluster_name: z.string().nullable(),
  target: z.string().nullable(),
  outcome: z.number().int(),
  request_id: z.string().nullable(),
  source_ip: z.string().nullable(),
});

export const auditPageSchema = z.object({
  events: z.array(restAuditEventSchema).describe('newest first'),
  next_cursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
});

/** The query parameters this endpoint takes (OpenAPI lists them from here). */
export const AUDIT_QUERY_PARAMS = ['cluster_id', 'actor', 'action', 'since', 'until', 'limit', 'cursor'] as const;
type AuditQueryParam = (typeof AUDIT_QUERY_PARAMS)[number];

const toRest = (e: AuditEventView): z.infer<typeof restAuditEventSchema> => ({
  id: Number(e.id),
  at: restTime(e.at)!,
  actor: e.actor,
  action: e.action,
  cluster_id: e.clusterId,
  cluster_name: e.clusterName,
  target: e.target,
  outcome: e.outcome,
  request_id: e.requestId,
  source_ip: e.sourceIp,
});

/** `GET /api/v1/k8s/audit`: the audit log for global admins, same manager as GraphQL's `auditEvents`. */
export function auditRouter(deps: { audit: AuditManager; context(req: Request): RequestContext }): Router {
  const router = Router();
  router.get(`${BASE}/audit`, (req: Request, res: Response, next: NextFunction) => {
    (async () => {
      const q = queryParams(req);
      const limit = q.limit === undefined ? undefined : /^\d{1,4}$/.test(q.limit) ? Number(q.limit) : Number.NaN;
      const page = await deps.audit.list(
        deps.context(req),
        { clusterId: q.cluster_id, actor: q.actor, action: q.action, since: q.since, until: q.until },
        limit,
        q.cursor,
        { first: 'limit', after: 'cursor' },
      );
      send(res, 200, 'success', { events: page.items.map(toRest), next_cursor: page.pageInfo.endCursor });
    })().catch(next);
  });
  return router;
}

/** Single-valued known parameters; an unknown or repeated one is a 400 naming it (a typo must not widen the answer). */
function queryParams(req: Request): Partial<Record<AuditQueryParam, string>> {
  const out: Partial<Record<AuditQueryParam, string>> = {};
  for (const [key, value] of Object.entries(req.query)) {
    if (!(AUDIT_QUERY_PARAMS as readonly string[]).includes(key)) throw new ValidationError(key.slice(0, 64), 'is not a filter of this endpoint');
    if (typeof value !== 'string') throw new ValidationError(key, 'must be given once');
    out[key as AuditQueryParam] = value;
  }
  return out;
}
