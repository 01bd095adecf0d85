import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { restTimeSchema } from './responses.js';
import type { RequestContext } from '../auth/principal.js';
import { WEBHOOK_DELIVERY_EVENTS, WEBHOOK_DELIVERY_STATUSES, WEBHOOK_EVENTS, WEBHOOK_FORMATS } from '../db/schema.js';
import { ValidationError } from '../errors.js';
import type { WebhookManager } from '../webhooks/webhook.manager.js';
import type { WebhookDeliveryView, WebhookView } from '../webhooks/webhook.view.js';
import { restTime } from './cluster.rest.js';
import { send, sendError } from './envelope.js';
import { parseBody } from './schemas.js';

export const WEBHOOKS_PATH = '/api/v1/k8s/webhooks';

const time = restTimeSchema;
const str = z.string({ error: 'must be a string' });
const bool = z.boolean({ error: 'must be true or false' });
const events = z.array(str, { error: 'must be a list of event names' }).describe(`any of ${WEBHOOK_EVENTS.join(', ')}`);

/** Request bodies. Unknown fields are refused so a typo (`labelSelector`) is not silently ignored. */
export const createWebhookBody = z.strictObject({
  url: str,
  events,
  format: str.describe(WEBHOOK_FORMATS.join(' or ')).nullish(),
  secret: str.describe('generated when absent; 16-256 printable characters').nullish(),
  label_selector: str.nullish(),
  enabled: bool.nullish(),
});
export const updateWebhookBody = z.strictObject({
  url: str.nullish(),
  events: events.nullish(),
  format: str.nullish(),
  label_selector: str.describe('"" removes the selector').nullish(),
  enabled: bool.nullish(),
});

export const restWebhookSchema = z.object({
  id: z.number().int().positive(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  format: z.enum(WEBHOOK_FORMATS),
  enabled: z.boolean(),
  label_selector: z.string().nullable(),
  created_at: time,
  updated_at: time,
});
export const restCreatedWebhookSchema = z.object({ webhook: restWebhookSchema, secret: z.string().describe('shown once; cannot be read back') });
export const restWebhookListSchema = z.object({ webhooks: z.array(restWebhookSchema), total: z.number().int() });
export const restDeliverySchema = z.object({
  id: z.number().int().positive(),
  webhook_id: z.number().int().positive(),
  event: z.enum(WEBHOOK_DELIVERY_EVENTS),
  cluster_id: z.number().int().nullable(),
  attempt: z.number().int(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES),
  response_status: z.number().int().nullable(),
  error: z.string().nullable(),
  next_attempt_at: time.nullable(),
  created_at: time,
  updated_at: time,
});
export const restDeliveryListSchema = z.object({ deliveries: z.array(restDeliverySchema) });

const toRestWebhook = (w: WebhookView): z.infer<typeof restWebhookSchema> => ({
  id: w.id,
  url: w.url,
  events: w.events,
  format: w.format,
  enabled: w.enabled,
  label_selector: w.labelSelector,
  created_at: restTime(w.createdAt)!,
  updated_at: restTime(w.updatedAt)!,
});

const toRestDelivery = (d: WebhookDeliveryView): z.infer<typeof restDeliverySchema> => ({
  id: d.id,
  webhook_id: d.webhookId,
  event: d.event,
  cluster_id: d.clusterId,
  attempt: d.attempt,
  status: d.status,
  response_status: d.responseStatus,
  error: d.lastError,
  next_attempt_at: restTime(d.nextAttemptAt),
  created_at: restTime(d.createdAt)!,
  updated_at: restTime(d.updatedAt)!,
});

type Handler = (req: Request, res: Response, ctx: RequestContext) => Promise<void>;
const given = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

/** Webhook administration over REST (snake_case, the envelope); every handler is one `WebhookManager` call. */
export function webhookRouter(deps: { webhooks: WebhookManager; context(req: Request): RequestContext }): Router {
  const router = Router();
  const { webhooks } = deps;
  const handle = (fn: Handler) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res, deps.context(req)).catch(next);
  };

  router.get(
    WEBHOOKS_PATH,
    handle(async (_req, res, ctx) => {
      const list = await webhooks.list(ctx);
      send(res, 200, 'success', { webhooks: list.map(toRestWebhook), total: list.length });
    }),
  );

  router.post(
    WEBHOOKS_PATH,
    requireJson,
    handle(async (req, res, ctx) => {
      const body = parseBody(createWebhookBody, req.body);
      const { webhook, secret } = await webhooks.create(ctx, {
        url: body.url,
        events: body.events,
        format: given(body.format),
        secret: given(body.secret),
        labelSelector: given(body.label_selector),
        enabled: given(body.enabled),
      });
      send(res, 201, 'Webhook 创建成功（secret 仅显示这一次）', { webhook: toRestWebhook(webhook), secret });
    }),
  );

  router.put(
    `${WEBHOOKS_PATH}/:id`,
    requireJson,
    handle(async (req, res, ctx) => {
      const body = parseBody(updateWebhookBody, req.body);
      const webhook = await webhooks.update(ctx, param(req), {
        url: given(body.url),
        events: given(body.events),
        format: given(body.format),
        labelSelector: given(body.label_selector),
        enabled: given(body.enabled),
      });
      send(res, 200, 'Webhook 更新成功', toRestWebhook(webhook));
    }),
  );

  router.delete(
    `${WEBHOOKS_PATH}/:id`,
    handle(async (req, res, ctx) => {
      await webhooks.remove(ctx, param(req));
      send(res, 200, 'Webhook 删除成功', null);
    }),
  );

  router.post(
    `${WEBHOOKS_PATH}/:id/test`,
    handle(async (req, res, ctx) => {
      send(res, 200, 'Webhook 测试已发送', toRestDelivery(await webhooks.test(ctx, param(req))));
    }),
  );

  router.get(
    `${WEBHOOKS_PATH}/:id/deliveries`,
    handle(async (req, res, ctx) => {
      const limit = req.query.limit;
      if (limit !== undefined && (typeof limit !== 'string' || !/^\d{1,3}$/.test(limit) || Number(limit) < 1 || Number(limit) > 100))
        throw new ValidationError('limit', 'must be a whole number from 1 to 100');
      const list = await webhooks.deliveries(ctx, param(req), limit === undefined ? undefined : Number(limit));
      send(res, 200, 'success', { deliveries: list.map(toRestDelivery) });
    }),
  );

  return router;
}

function param(req: Request): string {
  const value = req.params.id;
  if (typeof value !== 'string') throw new ValidationError('id', 'is required');
  return value;
}

function requireJson(req: Request, res: Response, next: NextFunction): void {
  if (!req.is('application/json')) return sendError(res, 415, 'Content-Type must be application/json');
  next();
}
