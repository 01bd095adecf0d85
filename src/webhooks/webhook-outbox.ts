import { randomUUID } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { type WebhookDeliveryEventValue, type WebhookEventValue, type WebhookFormatValue, webhookDeliveries } from '../db/schema.js';
import type { OutboxOccurrence, TransactionalOutbox } from '../events/outbox.js';
import { matchesSelector } from './label-selector.js';
import { clusterFacts, eventName, type WebhookPayload } from './webhook-payload.js';

/** An attempt this replica claimed: everything needed to send it. */
export interface ClaimedAttempt {
  id: number;
  webhookId: number;
  event: WebhookDeliveryEventValue;
  payload: WebhookPayload;
  attempt: number;
  urlCiphertext: string;
  secretCiphertext: string;
  format: WebhookFormatValue;
  enabled: boolean;
}

/** How an attempt ended, to store: `retryInSeconds` null means no further attempt. */
export interface AttemptOutcome {
  succeeded: boolean;
  responseStatus: number | null;
  error: string | null;
  retryInSeconds: number | null;
}

const CREDENTIAL_WINDOW_DAYS = 7;
const PRUNE_LOCK = 7_316_205_014;
const idList = (ids: readonly number[]) =>
  sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );

/**
 * The webhook outbox in PostgreSQL, in two stages, each claimed so N replicas behave like one:
 * 1. occurrences (`webhook_events`) are inserted by the repositories that make the change, in the same transaction
 *    or statement (`TransactionalOutbox`); `fanOut` turns each into one delivery per matching webhook and deletes it,
 *    in one transaction, rows locked `FOR UPDATE SKIP LOCKED` (the unique dedupe key makes a repeat a no-op);
 * 2. deliveries (`webhook_deliveries`) are claimed one attempt at a time (`claimDue`: the attempt number increments in
 *    the claiming statement, under `FOR UPDATE SKIP LOCKED`, with a lease that outlives the send's timeout).
 * At-least-once: an occurrence commits with its change; a delivery is only marked done after the receiver answered
 * 2xx; a replica that dies mid-attempt loses its lease and the next attempt is claimed by another.
 */
export class WebhookOutbox implements TransactionalOutbox {
  constructor(private readonly db: Db) {}

  async recordInTx(tx: Pick<Db, 'execute'>, o: OutboxOccurrence): Promise<void> {
    // Nothing is recorded while no enabled webhook wants this event (the common case costs one indexless probe of a
    // tiny table, not a row per change).
    await tx.execute(sql`
      INSERT INTO webhook_events (event, cluster_id, data)
      SELECT ${o.event}::webhook_event, ${o.clusterId}, ${JSON.stringify(o.data ?? {})}::jsonb
      WHERE EXISTS (SELECT 1 FROM webhooks WHERE enabled AND ${o.event}::webhook_event = ANY(events))`);
  }

  occurrencesFrom(event: WebhookEventValue, source: SQL): SQL {
    return sql`
      INSERT INTO webhook_events (event, cluster_id, data)
      SELECT ${event}::webhook_event, id, '{}'::jsonb FROM ${source}
      WHERE EXISTS (SELECT 1 FROM webhooks WHERE enabled AND ${event}::webhook_event = ANY(events))`;
  }

  async credentialsReplacedInTx(tx: Pick<Db, 'execute'>, clusterId: number): Promise<void> {
    await tx.execute(sql`DELETE FROM webhook_credential_alerts WHERE cluster_id = ${clusterId}`);
  }

  healthTransitionsFrom(source: SQL): SQL {
    return sql`
      INSERT INTO webhook_events (event, cluster_id, data)
      SELECT 'cluster_health_changed', s.id,
        jsonb_build_object('previousStatus', upper(s.from_status::text), 'status', upper(s.to_status::text), 'message', s.message)
      FROM ${source} s
      WHERE s.from_status <> s.to_status AND EXISTS (SELECT 1 FROM webhooks WHERE enabled AND 'cluster_health_changed' = ANY(events))`;
  }

  /**
   * CREDENTIALS_EXPIRING, once per cluster per credential: a cluster whose stored credential expiry is within the
   * window gets an alert row for that expiry; the upsert's WHERE lets only the first statement (on any replica) that
   * sees this expiry return the row, and the occurrence is inserted by that same statement.
   */
  async scanExpiringCredentials(): Promise<number> {
    const result = await this.db.execute(sql`
      WITH fired AS (
        INSERT INTO webhook_credential_alerts (cluster_id, credential_expires_at)
        SELECT id, credential_expires_at FROM clusters
        WHERE deleted_at IS NULL AND enabled AND credential_expires_at IS NOT NULL
          AND credential_expires_at <= now() + make_interval(days => ${CREDENTIAL_WINDOW_DAYS})
        ON CONFLICT (cluster_id) DO UPDATE SET credential_expires_at = excluded.credential_expires_at, fired_at = now()
          WHERE webhook_credential_alerts.credential_expires_at IS DISTINCT FROM excluded.credential_expires_at
        RETURNING cluster_id, credential_expires_at
      ), recorded AS (
        INSERT INTO webhook_events (event, cluster_id, data)
        SELECT 'credentials_expiring', f.cluster_id, jsonb_build_object('credentialExpiresAt', f.credential_expires_at)
        FROM fired f
        WHERE EXISTS (SELECT 1 FROM webhooks WHERE enabled AND 'credentials_expiring' = ANY(events))
        RETURNING id
      )
      SELECT count(*)::int AS n FROM fired`);
    return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
  }

  /** Stage 1 → 2: up to `limit` occurrences become deliveries. Returns how many occurrences were handled. */
  async fanOut(limit: number): Promise<number> {
    return this.db.transaction(async (txRaw) => {
      const tx = txRaw as unknown as Db;
      const occurrences = rowsOf<{
        id: number;
        event: WebhookDeliveryEventValue;
        cluster_id: number;
        data: Record<string, unknown>;
        occurred_at: Date | string;
      }>(
        await tx.execute(sql`SELECT id, event, cluster_id, data, occurred_at FROM webhook_events ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`),
      );
      if (occurrences.length === 0) return 0;
      const hooks = rowsOf<{ id: number; events: string[]; label_selector: string | null }>(
        await tx.execute(sql`SELECT id, to_jsonb(events) AS events, label_selector FROM webhooks WHERE enabled`),
      );
      const clusterIds = [...new Set(occurrences.map((o) => Number(o.cluster_id)))];
      // Credentials never leave the database: the ciphertext is removed before the row is read, and the payload
      // takes only whitelisted facts (clusterFacts). `labels` is read when the fleet domain's column exists.
      const clusterRows = rowsOf<{ row: Record<string, unknown> }>(
        await tx.execute(
          sql`SELECT to_jsonb(c) - 'kubeconfig_ciphertext' - 'kubeconfig_key_id' AS row FROM clusters c WHERE c.id IN (${idList(clusterIds)})`,
        ),
      );
      const facts = new Map(clusterRows.map(({ row }) => [Number(row.id), clusterFacts(row)]));
      const values: (typeof webhookDeliveries.$inferInsert)[] = [];
      for (const o of occurrences) {
        const cluster = facts.get(Number(o.cluster_id)) ?? null;
        const payload: WebhookPayload = { event: eventName(o.event), occurredAt: new Date(o.occurred_at).toISOString(), cluster, data: o.data ?? {} };
        for (const hook of hooks) {
          if (!hook.events.includes(o.event)) continue;
          if (hook.label_selector && !selectorMatches(hook.label_selector, cluster?.labels ?? {})) continue;
          values.push({ webhookId: hook.id, event: o.event, clusterId: Number(o.cluster_id), payload, dedupeKey: `event:${o.id}` });
        }
      }
      if (values.length) await tx.insert(webhookDeliveries).values(values).onConflictDoNothing();
      await tx.execute(sql`DELETE FROM webhook_events WHERE id IN (${idList(occurrences.map((o) => Number(o.id)))})`);
      return occurrences.length;
    });
  }

  /**
   * Whether a round has anything to do: an occurrence to fan out, or an attempt due (pending and due, or a lease run
   * out). One indexed statement, so an idle replica costs the database one query per poll instead of a transaction
   * and two updates.
   */
  async hasWork(): Promise<boolean> {
    const [row] = rowsOf<{ work: boolean }>(
      await this.db.execute(sql`
        SELECT EXISTS (SELECT 1 FROM webhook_events)
          OR EXISTS (
            SELECT 1 FROM webhook_deliveries
            WHERE status IN ('pending', 'delivering')
              AND ((status = 'pending' AND next_attempt_at <= now()) OR (status = 'delivering' AND lease_until < now()))
          ) AS work`),
    );
    return row?.work === true;
  }

  /** Claims up to `limit` due attempts for `owner`; each attempt number is claimed by exactly one replica. */
  async claimDue(owner: string, limit: number, maxAttempts: number, leaseSeconds: number): Promise<ClaimedAttempt[]> {
    // A delivery whose replica died holding its last attempt has nothing left to try.
    await this.db.execute(sql`
      UPDATE webhook_deliveries SET status = 'failed', last_error = 'the replica sending the last attempt stopped',
        lease_owner = NULL, lease_until = NULL, next_attempt_at = NULL, updated_at = now()
      WHERE status = 'delivering' AND lease_until < now() AND attempt >= ${maxAttempts}`);
    const result = await this.db.execute(sql`
      WITH claimed AS (
        UPDATE webhook_deliveries d SET status = 'delivering', attempt = d.attempt + 1, lease_owner = ${owner},
          lease_until = now() + make_interval(secs => ${leaseSeconds}), updated_at = now()
        WHERE d.id IN (
          SELECT id FROM webhook_deliveries
          WHERE ((status = 'pending' AND next_attempt_at <= now()) OR (status = 'delivering' AND lease_until < now()))
            AND attempt < ${maxAttempts}
          ORDER BY next_attempt_at, id
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
        RETURNING d.id, d.webhook_id, d.event, d.payload, d.attempt
      )
      SELECT c.id, c.webhook_id AS "webhookId", c.event, c.payload, c.attempt, w.url_ciphertext AS "urlCiphertext",
        w.secret_ciphertext AS "secretCiphertext", w.format, w.enabled
      FROM claimed c JOIN webhooks w ON w.id = c.webhook_id`);
    return rowsOf<ClaimedAttempt>(result).map((r) => ({ ...r, id: Number(r.id), attempt: Number(r.attempt) }));
  }

  /** Stores an attempt's outcome, only while `owner` still holds that very attempt. */
  async record(id: number, owner: string, attempt: number, o: AttemptOutcome): Promise<void> {
    const status = o.succeeded ? 'succeeded' : o.retryInSeconds === null ? 'failed' : 'pending';
    await this.db.execute(sql`
      UPDATE webhook_deliveries SET status = ${status}::webhook_delivery_status, response_status = ${o.responseStatus},
        last_error = ${o.error},
        next_attempt_at = ${o.retryInSeconds === null ? null : sql`now() + make_interval(secs => ${o.retryInSeconds})`},
        lease_owner = NULL, lease_until = NULL, updated_at = now()
      WHERE id = ${id} AND lease_owner = ${owner} AND attempt = ${attempt}`);
  }

  /** A ping delivery (testWebhook), already claimed by `owner` as its one attempt. */
  async insertPing(webhookId: number, owner: string, leaseSeconds: number): Promise<{ id: number; payload: WebhookPayload }> {
    const payload: WebhookPayload = { event: 'PING', occurredAt: new Date().toISOString(), cluster: null, data: {} };
    const [row] = await this.db
      .insert(webhookDeliveries)
      .values({
        webhookId,
        event: 'ping',
        payload,
        dedupeKey: `ping:${randomUUID()}`,
        attempt: 1,
        status: 'delivering',
        leaseOwner: owner,
        leaseUntil: sql`now() + make_interval(secs => ${leaseSeconds})`,
        nextAttemptAt: null,
      })
      .returning({ id: webhookDeliveries.id });
    return { id: Number(row!.id), payload };
  }

  /** Finished deliveries older than `days` go, by one replica at a time (transaction-scoped advisory lock). */
  async prune(days: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [got] = rowsOf<{ ok: boolean }>(await tx.execute(sql`SELECT pg_try_advisory_xact_lock(${PRUNE_LOCK}) AS ok`));
      if (!got?.ok) return;
      await tx.execute(
        sql`DELETE FROM webhook_deliveries WHERE status IN ('succeeded', 'failed') AND created_at < now() - make_interval(days => ${days})`,
      );
    });
  }
}

function selectorMatches(selector: string, labels: Record<string, string>): boolean {
  try {
    return matchesSelector(selector, labels);
  } catch {
    return false; // stored selectors were validated; one that no longer parses matches nothing rather than everything
  }
}
