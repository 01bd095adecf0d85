import type { SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { WebhookEventValue } from '../db/schema.js';

/** A cluster change worth telling the outside world about, recorded in the transaction that made it. */
export interface OutboxOccurrence {
  event: WebhookEventValue;
  clusterId: number;
  /** Facts of the moment (never credentials), e.g. a discovery task's outcome. */
  data?: Record<string, unknown>;
}

/**
 * What other domains' repositories call inside their own write transactions so that an announced change and the
 * change itself commit together or not at all (the webhooks outbox, src/webhooks/webhook-outbox.ts). Optional for
 * every repository: without it nothing is recorded.
 */
export interface TransactionalOutbox {
  /** Records one occurrence inside `tx`. */
  recordInTx(tx: Pick<Db, 'execute'>, occurrence: OutboxOccurrence): Promise<void>;
  /**
   * `recordInTx` as a data-modifying CTE body, to embed in the statement that makes the change: one occurrence of
   * `event` per row of `source`, a relation whose column `id` is the cluster's.
   */
  occurrencesFrom(event: WebhookEventValue, source: SQL): SQL;
  /** The kubeconfig of `clusterId` was replaced inside `tx`: its credential-expiry alert starts over. */
  credentialsReplacedInTx(tx: Pick<Db, 'execute'>, clusterId: number): Promise<void>;
  /**
   * A data-modifying CTE body recording health transitions, to embed in the statement that stores them. `source` names
   * a relation with columns `id`, `prev_status`, `status`, `message` and `transition` (boolean).
   */
  healthTransitionsFrom(source: SQL): SQL;
}
