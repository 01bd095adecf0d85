import { randomBytes } from 'node:crypto';
import { requireAdmin, type Caller } from '../auth/principal.js';
import { ValidationError } from '../errors.js';
import type { AuditedCaller, AuditedWrites } from '../audit/audited-writes.js';
import { parseWebhookEvents, parseWebhookFormat, parseWebhookSecret, parseWebhookSelector, parseWebhookUrl } from './webhook.validation.js';
import type { WebhookPatch, WebhookRepository } from './webhook.repository.js';
import type { WebhookDeliveryView, WebhookView } from './webhook.view.js';
import type { WebhookWorker } from './webhook-worker.js';

export interface CreateWebhookCommand {
  url: string;
  events: readonly string[];
  format?: string;
  secret?: string;
  labelSelector?: string;
  enabled?: boolean;
}

export interface UpdateWebhookCommand {
  url?: string;
  events?: readonly string[];
  format?: string;
  /** An empty string removes the selector (every cluster matches again). */
  labelSelector?: string;
  enabled?: boolean;
}

/** A created webhook and its signing secret: the only answer that ever carries the secret. */
export interface CreatedWebhook {
  webhook: WebhookView;
  secret: string;
}

const MAX_LOG_PAGE = 100;

/**
 * The webhooks' application API for GraphQL and REST: global admins only (DESIGN: "alone may … manage webhooks"),
 * validation, storage; every write is refused in read-only mode and audited once per attempt (AuditedWrites).
 */
export class WebhookManager {
  constructor(
    private readonly repo: WebhookRepository,
    private readonly worker: Pick<WebhookWorker, 'ping'>,
    private readonly writes: AuditedWrites,
  ) {}

  list(caller: Caller): Promise<WebhookView[]> {
    requireAdmin(caller);
    return this.repo.list();
  }

  async create(caller: AuditedCaller, cmd: CreateWebhookCommand): Promise<CreatedWebhook> {
    const spec = { action: 'webhook.create', successStatus: 201, detailOf: (c: CreatedWebhook) => `webhook ${c.webhook.id}` } as const;
    return this.writes.run(caller, spec, async () => {
      const actor = requireAdmin(caller).subject;
      const secret = cmd.secret === undefined ? generateSecret() : parseWebhookSecret(cmd.secret);
      const webhook = await this.repo.insert({
        url: parseWebhookUrl(cmd.url),
        events: parseWebhookEvents(cmd.events),
        format: cmd.format === undefined ? 'json' : parseWebhookFormat(cmd.format),
        labelSelector: cmd.labelSelector === undefined ? null : parseWebhookSelector(cmd.labelSelector),
        enabled: cmd.enabled ?? true,
        secret,
        createdBy: actor,
      });
      return { webhook, secret };
    });
  }

  async update(caller: AuditedCaller, rawId: string | number, cmd: UpdateWebhookCommand): Promise<WebhookView> {
    return this.writes.run(caller, { action: 'webhook.update', detailOf: (w: WebhookView) => `webhook ${w.id}` }, async () => {
      requireAdmin(caller);
      const id = parseWebhookId(rawId);
      const patch: WebhookPatch = { enabled: cmd.enabled };
      if (cmd.url !== undefined) patch.url = parseWebhookUrl(cmd.url);
      if (cmd.events !== undefined) patch.events = parseWebhookEvents(cmd.events);
      if (cmd.format !== undefined) patch.format = parseWebhookFormat(cmd.format);
      if (cmd.labelSelector !== undefined) patch.labelSelector = parseWebhookSelector(cmd.labelSelector);
      return this.repo.update(id, patch);
    });
  }

  async remove(caller: AuditedCaller, rawId: string | number): Promise<void> {
    await this.writes.run(caller, { action: 'webhook.delete', detailOf: (id: number) => `webhook ${id}` }, async () => {
      requireAdmin(caller);
      const id = parseWebhookId(rawId);
      await this.repo.delete(id);
      return id;
    });
  }

  /**
   * Sends a ping now and answers with its delivery-log row (status and the receiver's HTTP status). A write: it adds a
   * delivery row and sends a request out, so read-only mode refuses it.
   */
  async test(caller: AuditedCaller, rawId: string | number): Promise<WebhookDeliveryView> {
    const spec = { action: 'webhook.test', detailOf: (d: WebhookDeliveryView) => `webhook ${d.webhookId} delivery ${d.id}` };
    return this.writes.run(caller, spec, async () => {
      requireAdmin(caller);
      return this.worker.ping(parseWebhookId(rawId));
    });
  }

  /** The delivery log, newest first; `first` defaults to 20, at most 100. */
  async deliveries(caller: Caller, rawId: string | number, first?: number): Promise<WebhookDeliveryView[]> {
    requireAdmin(caller);
    const id = parseWebhookId(rawId);
    if (first !== undefined && (!Number.isInteger(first) || first < 1 || first > MAX_LOG_PAGE)) {
      throw new ValidationError('first', `must be a whole number from 1 to ${MAX_LOG_PAGE}`);
    }
    await this.repo.get(id); // 404 for a webhook that does not exist, not an empty log
    return this.repo.deliveries(id, first ?? 20);
  }
}

/** 32 random bytes, hex: what a receiver configures to verify X-Kube-Gateway-Signature. */
const generateSecret = () => `whsec_${randomBytes(32).toString('hex')}`;

function parseWebhookId(raw: string | number): number {
  const id = typeof raw === 'number' ? raw : /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) throw new ValidationError('id', 'must be a positive integer webhook id');
  return id;
}
