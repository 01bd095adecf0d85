import { type NextFunction, type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { restTimeSchema } from './responses.js';
import type { RequestContext } from '../auth/principal.js';
import { ValidationError } from '../errors.js';
import { AVAILABILITY_WINDOWS, parseRestWindow } from '../fleet/availability.js';
import type { HealthHistoryManager } from '../fleet/health-history.manager.js';
import { restTime } from './cluster.rest.js';
import { send } from './envelope.js';
import { BASE, param } from './router.js';

const time = restTimeSchema;
const healthStatus = z.enum(['unknown', 'healthy', 'warning', 'error', 'unavailable']);

export const restHealthHistorySchema = z.object({
  items: z.array(z.object({ at: time, from: healthStatus, to: healthStatus, message: z.string().nullable() })).describe('newest first'),
  next_cursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
});

export const restAvailabilitySchema = z.object({
  window: z.enum(Object.values(AVAILABILITY_WINDOWS).map((w) => w.rest) as [string, ...string[]]),
  observed_seconds: z.number().int().describe('time in the window since the first probe, excluding UNKNOWN (disabled) time'),
  reachable_ratio: z.number().nullable().describe('time in HEALTHY, WARNING or ERROR ÷ observed; null when nothing was observed'),
  healthy_ratio: z.number().nullable().describe('time in HEALTHY or WARNING ÷ observed; null when nothing was observed'),
  last_reachable_at: time.nullable(),
  last_healthy_at: time.nullable(),
});

/** A single query-string value (`?a=1&a=2` is a client error, not an array to guess about). */
function query(req: Request, name: string): string | undefined {
  const v = req.query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ValidationError(name, 'must be given once');
  return v;
}

function sinceParam(req: Request): Date | undefined {
  const raw = query(req, 'since');
  if (raw === undefined) return undefined;
  const date = new Date(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(date.getTime()))
    throw new ValidationError('since', 'must be an RFC 3339 time, e.g. 2025-10-17T10:30:00Z');
  return date;
}

function limitParam(req: Request): number | undefined {
  const raw = query(req, 'limit');
  if (raw === undefined) return undefined;
  if (!/^\d{1,6}$/.test(raw)) throw new ValidationError('limit', 'must be a positive integer');
  return Number(raw);
}

/** Health history and availability of one cluster (DESIGN's REST extensions); calls HealthHistoryManager. */
export function healthHistoryRouter(deps: { history: HealthHistoryManager; context(req: Request): RequestContext }): Router {
  const router = Router();
  const handle = (fn: (req: Request, res: Response, ctx: RequestContext) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res, deps.context(req)).catch(next);
  };

  router.get(
    `${BASE}/clusters/:id/health/history`,
    handle(async (req, res, ctx) => {
      const page = await deps.history.history(
        ctx,
        param(req, 'id'),
        { first: limitParam(req), after: query(req, 'cursor'), since: sinceParam(req) },
        { first: 'limit', after: 'cursor' },
      );
      send<z.infer<typeof restHealthHistorySchema>>(res, 200, 'success', {
        items: page.items.map((e) => ({ at: restTime(e.at)!, from: e.from, to: e.to, message: e.message })),
        next_cursor: page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null,
      });
    }),
  );

  router.get(
    `${BASE}/clusters/:id/availability`,
    handle(async (req, res, ctx) => {
      const window = parseRestWindow(query(req, 'window'));
      const a = await deps.history.availability(ctx, param(req, 'id'), window);
      send<z.infer<typeof restAvailabilitySchema>>(res, 200, 'success', {
        window: AVAILABILITY_WINDOWS[window].rest,
        observed_seconds: a.observedSeconds,
        reachable_ratio: a.reachableRatio,
        healthy_ratio: a.healthyRatio,
        last_reachable_at: restTime(a.lastReachableAt),
        last_healthy_at: restTime(a.lastHealthyAt),
      });
    }),
  );

  return router;
}
