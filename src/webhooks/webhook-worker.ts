import type { KubeconfigCipher } from '../clusters/kubeconfig-cipher.js';
import type { Logger } from '../logger.js';
import type { ClaimedAttempt, WebhookOutbox } from './webhook-outbox.js';
import { renderBody } from './webhook-payload.js';
import { sendWebhook, type SendResult } from './webhook-sender.js';
import type { WebhookDeliveryView } from './webhook.view.js';
import type { WebhookRepository } from './webhook.repository.js';

export interface WebhookWorkerOptions {
  replicaId: string;
  /** How often each replica looks for due work. */
  pollMs: number;
  /**
   * Waits before each retry, in ms; attempts = retries + 1. Default 30 s, 1, 2, 4, 8, 16 min: 7 attempts over 31.5
   * minutes. Tests pass milliseconds so a retry test does not wait minutes.
   */
  retryDelaysMs: readonly number[];
  /** Bound of one POST (connect, send, answer). */
  sendTimeoutMs: number;
  /** How often CREDENTIALS_EXPIRING is looked for (and old deliveries pruned). */
  credentialScanMs: number;
  /** Attempts claimed per poll per replica. */
  batch: number;
  retentionDays: number;
}

export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [30, 60, 120, 240, 480, 960].map((s) => s * 1000);

export const DEFAULT_WEBHOOK_WORKER_OPTIONS: Omit<WebhookWorkerOptions, 'replicaId'> = {
  pollMs: 1000,
  retryDelaysMs: DEFAULT_RETRY_DELAYS_MS,
  sendTimeoutMs: 10_000,
  credentialScanMs: 60_000,
  batch: 20,
  retentionDays: 30,
};

/**
 * Delivers webhooks on every replica: each poll turns new occurrences into deliveries, claims due attempts (each
 * attempt is claimed by one replica, webhook-outbox.ts), POSTs them signed and records the answer, scheduling the
 * next attempt with exponential backoff until one succeeds or the attempts run out.
 */
export class WebhookWorker {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private lastScan = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly outbox: WebhookOutbox,
    private readonly repo: WebhookRepository,
    private readonly cipher: KubeconfigCipher,
    private readonly logger: Logger,
    private readonly opts: WebhookWorkerOptions,
  ) {}

  private get maxAttempts(): number {
    return this.opts.retryDelaysMs.length + 1;
  }

  private get leaseSeconds(): number {
    return Math.ceil(this.opts.sendTimeoutMs / 1000) + 30;
  }

  start(): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.running = this.tick()
        .catch((err) => this.logger.warn({ err }, 'webhook delivery round failed'))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(loop, this.opts.pollMs);
        });
    };
    this.timer = setTimeout(loop, this.opts.pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await Promise.allSettled([...this.inFlight]);
  }

  /** One round: credential scan (when due), fan-out, then every attempt due now, sent concurrently. */
  async tick(): Promise<void> {
    if (Date.now() - this.lastScan >= this.opts.credentialScanMs) {
      this.lastScan = Date.now();
      await this.outbox.scanExpiringCredentials();
      await this.outbox.prune(this.opts.retentionDays);
    }
    if (!(await this.outbox.hasWork())) return;
    while ((await this.outbox.fanOut(200)) > 0);
    const claimed = await this.outbox.claimDue(this.opts.replicaId, this.opts.batch, this.maxAttempts, this.leaseSeconds);
    await Promise.all(claimed.map((a) => this.track(this.deliver(a))));
  }

  /** testWebhook: a ping sent now by this replica (one attempt, not retried); resolves with its log row. */
  async ping(webhookId: number): Promise<WebhookDeliveryView> {
    const hook = await this.repo.get(webhookId);
    const { id, payload } = await this.outbox.insertPing(webhookId, this.opts.replicaId, this.leaseSeconds);
    const secret = await this.repo.secretCiphertext(webhookId);
    const result = await sendWebhook(
      {
        url: hook.url,
        body: renderBody(id, payload, hook.format),
        secret: this.cipher.decrypt(secret),
        event: payload.event,
        deliveryId: id,
        attempt: 1,
      },
      this.opts.sendTimeoutMs,
    );
    await this.outbox.record(id, this.opts.replicaId, 1, {
      succeeded: result.ok,
      responseStatus: result.status,
      error: result.error,
      retryInSeconds: null,
    });
    return this.repo.delivery(id);
  }

  private async deliver(a: ClaimedAttempt): Promise<void> {
    let result: SendResult;
    if (!a.enabled) result = { ok: false, status: null, error: 'webhook disabled' };
    else {
      const body = renderBody(a.id, a.payload, a.format);
      result = await sendWebhook(
        {
          url: this.cipher.decrypt(a.urlCiphertext),
          body,
          secret: this.cipher.decrypt(a.secretCiphertext),
          event: a.payload.event,
          deliveryId: a.id,
          attempt: a.attempt,
        },
        this.opts.sendTimeoutMs,
      );
    }
    const delay = this.opts.retryDelaysMs[a.attempt - 1];
    const retry = !result.ok && a.enabled && delay !== undefined;
    await this.outbox.record(a.id, this.opts.replicaId, a.attempt, {
      succeeded: result.ok,
      responseStatus: result.status,
      error: result.error,
      retryInSeconds: retry ? delay / 1000 : null,
    });
    // The URL is never logged: it may be a credential itself (a Slack incoming-webhook path).
    if (!result.ok)
      this.logger.info(
        { webhookId: a.webhookId, deliveryId: a.id, attempt: a.attempt, status: result.status, error: result.error, retry },
        'webhook attempt failed',
      );
  }

  private track(p: Promise<void>): Promise<void> {
    const tracked = p.catch((err) => this.logger.warn({ err }, 'recording a webhook attempt failed')).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    return tracked;
  }
}
