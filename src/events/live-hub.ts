import type { EventBus, GatewayEvent } from './event-bus.js';

/** A push-fed async iterator: what a GraphQL subscription consumes. Bounded so a stalled client cannot grow memory. */
class Feed<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting?: (r: IteratorResult<T>) => void;
  private done = false;
  /** Last delivered JSON per item id: an unchanged state is not sent twice. */
  private readonly last = new Map<string, string>();

  constructor(
    private readonly onClose: () => void,
    private readonly maxQueued = 64,
  ) {}

  push(value: T, id: string, json: string): void {
    if (this.done || this.last.get(id) === json) return;
    this.last.set(id, json);
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value, done: false });
      return;
    }
    // A slow consumer only needs the newest states; the oldest are dropped first.
    if (this.queue.length >= this.maxQueued) this.queue.shift();
    this.queue.push(value);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.queue.length = 0;
    this.onClose();
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

/** Which database events refresh a topic, and how to read its state. */
export interface Topic<T> {
  key: string;
  matches(event: GatewayEvent): boolean;
  /** Current state: without an event, everything a new subscriber should see first; with one, what it changed. */
  load(event?: GatewayEvent): Promise<T[]>;
  /** Identity of an item, for de-duplication. */
  id(item: T): string;
}

/**
 * How an event reaches a WebSocket subscriber: a write commits with its `pg_notify` (a repository's `publishInTx`) →
 * PgEventBus on every replica (event-bus.ts) → `onEvent` here → the topic's `load` (which events matter and how to read
 * them is the manager's: `ClusterManager.watchHealth`, `DiscoveryManager.watchStatus`) → each subscriber's `Feed` →
 * graphql-ws (graphql/ws.ts).
 *
 * Fan-out of database events to subscriptions on this replica. Each event is read from the database once per topic,
 * however many subscribers it has, and delivered in order (loads for one topic are serialised). A new subscriber gets
 * the current state first, then every change.
 */
export class LiveHub {
  private readonly topics = new Map<string, { topic: Topic<unknown>; feeds: Set<Feed<unknown>>; chain: Promise<void> }>();
  private readonly unsubscribe: () => void;

  constructor(events: EventBus) {
    this.unsubscribe = events.subscribe((event) => this.onEvent(event));
  }

  async subscribe<T>(topic: Topic<T>): Promise<AsyncIterableIterator<T>> {
    let entry = this.topics.get(topic.key);
    if (!entry) {
      entry = { topic: topic as Topic<unknown>, feeds: new Set(), chain: Promise.resolve() };
      this.topics.set(topic.key, entry);
    }
    const e = entry;
    const feed = new Feed<T>(() => {
      e.feeds.delete(feed as Feed<unknown>);
      if (e.feeds.size === 0 && this.topics.get(topic.key) === e) this.topics.delete(topic.key);
    });
    // Registered before the first read, so no change between "read current" and "listen" is lost.
    e.feeds.add(feed as Feed<unknown>);
    try {
      for (const item of await topic.load()) feed.push(item, topic.id(item), JSON.stringify(item));
    } catch (err) {
      feed.end();
      throw err;
    }
    return feed;
  }

  subscriberCount(): number {
    let n = 0;
    for (const e of this.topics.values()) n += e.feeds.size;
    return n;
  }

  close(): void {
    this.unsubscribe();
    for (const e of [...this.topics.values()]) for (const f of [...e.feeds]) f.end();
    this.topics.clear();
  }

  private onEvent(event: GatewayEvent): void {
    for (const entry of this.topics.values()) {
      if (!entry.topic.matches(event)) continue;
      entry.chain = entry.chain
        .then(async () => {
          if (entry.feeds.size === 0) return;
          for (const item of await entry.topic.load(event)) {
            const id = entry.topic.id(item);
            const json = JSON.stringify(item);
            for (const feed of entry.feeds) feed.push(item, id, json);
          }
        })
        .catch(() => {
          // A failed read (database blip) skips one update; the next event carries the newer state anyway.
        });
    }
  }
}
