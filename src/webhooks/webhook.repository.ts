import { desc, eq } from 'drizzle-orm';
import type { KubeconfigCipher } from '../clusters/kubeconfig-cipher.js';
import type { Db } from '../db/client.js';
import { type WebhookEventValue, type WebhookFormatValue, webhookDeliveries, webhooks } from '../db/schema.js';
import { NotFoundError } from '../errors.js';
import type { WebhookDeliveryView, WebhookView } from './webhook.view.js';

export interface NewWebhook {
  url: string;
  secret: string;
  events: WebhookEventValue[];
  format: WebhookFormatValue;
  labelSelector: string | null;
  enabled: boolean;
  createdBy: string;
}

export interface WebhookPatch {
  url?: string;
  events?: WebhookEventValue[];
  format?: WebhookFormatValue;
  labelSelector?: string | null;
  enabled?: boolean;
}

const deliveryColumns = {
  id: webhookDeliveries.id,
  webhookId: webhookDeliveries.webhookId,
  event: webhookDeliveries.event,
  clusterId: webhookDeliveries.clusterId,
  attempt: webhookDeliveries.attempt,
  status: webhookDeliveries.status,
  responseStatus: webhookDeliveries.responseStatus,
  lastError: webhookDeliveries.lastError,
  nextAttemptAt: webhookDeliveries.nextAttemptAt,
  createdAt: webhookDeliveries.createdAt,
  updatedAt: webhookDeliveries.updatedAt,
} satisfies { [K in keyof WebhookDeliveryView]: unknown };

/**
 * Webhooks and their delivery log in PostgreSQL. URLs and signing secrets are stored AES-256-GCM encrypted with the
 * kubeconfig key ring; the secret is never selected here (only the delivery worker decrypts it, to sign).
 */
export class WebhookRepository {
  constructor(
    private readonly db: Db,
    private readonly cipher: KubeconfigCipher,
  ) {}

  async list(): Promise<WebhookView[]> {
    const rows = await this.db.select().from(webhooks).orderBy(webhooks.id);
    return rows.map((r) => this.toView(r));
  }

  async get(id: number): Promise<WebhookView> {
    const [row] = await this.db.select().from(webhooks).where(eq(webhooks.id, id));
    if (!row) throw webhookNotFound(id);
    return this.toView(row);
  }

  async insert(w: NewWebhook): Promise<WebhookView> {
    const [row] = await this.db
      .insert(webhooks)
      .values({
        urlCiphertext: this.cipher.encrypt(w.url).ciphertext,
        secretCiphertext: this.cipher.encrypt(w.secret).ciphertext,
        events: w.events,
        format: w.format,
        labelSelector: w.labelSelector,
        enabled: w.enabled,
        createdBy: w.createdBy,
      })
      .returning();
    return this.toView(row!);
  }

  async update(id: number, patch: WebhookPatch): Promise<WebhookView> {
    const set: Partial<typeof webhooks.$inferInsert> = { updatedAt: new Date() };
    if (patch.url !== undefined) set.urlCiphertext = this.cipher.encrypt(patch.url).ciphertext;
    if (patch.events !== undefined) set.events = patch.events;
    if (patch.format !== undefined) set.format = patch.format;
    if (patch.labelSelector !== undefined) set.labelSelector = patch.labelSelector;
    if (patch.enabled !== undefined) set.enabled = patch.enabled;
    const [row] = await this.db.update(webhooks).set(set).where(eq(webhooks.id, id)).returning();
    if (!row) throw webhookNotFound(id);
    return this.toView(row);
  }

  /** Deletes the webhook and (cascade) its delivery log; pending deliveries go with it. */
  async delete(id: number): Promise<void> {
    const rows = await this.db.delete(webhooks).where(eq(webhooks.id, id)).returning({ id: webhooks.id });
    if (rows.length === 0) throw webhookNotFound(id);
  }

  /** For the delivery worker only (to sign); no API returns it. */
  async secretCiphertext(id: number): Promise<string> {
    const [row] = await this.db.select({ secret: webhooks.secretCiphertext }).from(webhooks).where(eq(webhooks.id, id));
    if (!row) throw webhookNotFound(id);
    return row.secret;
  }

  /** The delivery log of one webhook, newest first. */
  async deliveries(webhookId: number, first: number): Promise<WebhookDeliveryView[]> {
    const rows = await this.db
      .select(deliveryColumns)
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.webhookId, webhookId))
      .orderBy(desc(webhookDeliveries.id))
      .limit(first);
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  async delivery(id: number): Promise<WebhookDeliveryView> {
    const [row] = await this.db.select(deliveryColumns).from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
    if (!row) throw new NotFoundError(`webhook delivery ${id} not found`);
    return { ...row, id: Number(row.id) };
  }

  private toView(row: typeof webhooks.$inferSelect): WebhookView {
    return {
      id: row.id,
      url: this.cipher.decrypt(row.urlCiphertext),
      events: row.events.filter((e): e is WebhookEventValue => e !== 'ping'),
      format: row.format,
      enabled: row.enabled,
      labelSelector: row.labelSelector,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }
}

export const webhookNotFound = (id: number) => new NotFoundError(`webhook ${id} not found`);
