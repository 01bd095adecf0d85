import { type SQL, sql } from 'drizzle-orm';
import type { Database, Db } from '../db/client.js';
import type { DiscoveryStateValue } from '../db/schema.js';

/**
 * A discovery task as it was at one transition. Carried in the event itself: a replica that read the task when the
 * event arrived could already see a later state, and a subscriber must see every transition in order.
 */
export interface DiscoveryTaskSnapshot {
  state: DiscoveryStateValue;
  message: string | null;
  candidatesChecked: number;
  prometheusUrl: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
}

/** Everything that crosses replicas. Cluster events carry ids (readers fetch current state); discovery events a snapshot. */
export type GatewayEvent =
  | { type: 'cluster.changed'; clusterId: number; change: 'created' | 'updated' | 'deleted' | 'health' }
  | { type: 'discovery.changed'; clusterId: number; taskId: number; task: DiscoveryTaskSnapshot }
  /** An issued kubeconfig token was revoked: every replica forgets its cached "active" verdict at once. */
  | { type: 'access.token.revoked'; jti: string };

export type EventHandler = (event: GatewayEvent) => void;

/**
 * Typed pub/sub over PostgreSQL LISTEN/NOTIFY: a subscriber on any replica sees work done on any other. On PGlite the
 * same mechanism runs in-process. Events published inside a transaction (`publishInTx`) are delivered only if it commits.
 */
export interface EventBus {
  publish(event: GatewayEvent): Promise<void>;
  publishInTx(tx: Pick<Db, 'execute'>, event: GatewayEvent): Promise<void>;
  /** The `pg_notify(…)` call for an event, to embed in a statement so the write and its event commit together. */
  notifyExpression(event: GatewayEvent): SQL;
  subscribe(handler: EventHandler): () => void;
  close(): Promise<void>;
}

export const EVENTS_CHANNEL = 'kube_gateway_events';

export class PgEventBus implements EventBus {
  private readonly handlers = new Set<EventHandler>();
  private unlisten?: () => Promise<void>;

  private constructor(private readonly database: Database) {}

  static async start(database: Database): Promise<PgEventBus> {
    const bus = new PgEventBus(database);
    bus.unlisten = await database.listen(EVENTS_CHANNEL, (payload) => bus.dispatch(payload));
    return bus;
  }

  async publish(event: GatewayEvent): Promise<void> {
    await this.database.notify(EVENTS_CHANNEL, JSON.stringify(event));
  }

  async publishInTx(tx: Pick<Db, 'execute'>, event: GatewayEvent): Promise<void> {
    await tx.execute(sql`SELECT pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify(event)})`);
  }

  notifyExpression(event: GatewayEvent): SQL {
    return sql`pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify(event)})`;
  }

  subscribe(handler: EventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async close(): Promise<void> {
    this.handlers.clear();
    await this.unlisten?.();
  }

  private dispatch(payload: string): void {
    let event: GatewayEvent;
    try {
      event = JSON.parse(payload) as GatewayEvent;
    } catch {
      return;
    }
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch {
        // One faulty subscriber must not starve the others.
      }
    }
  }
}
