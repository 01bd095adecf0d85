/**
 * Collects the keys asked for during one turn of the event loop and loads them with one call (DataLoader's idea, in
 * the few lines this gateway needs). GraphQL resolves every item of a list, and every alias, within the same turn, so
 * `{ a: clusters { items { discovery { state } } } b: … }` costs one load however many items and aliases it has.
 *
 * Nothing is remembered after a batch is answered: a subscription executes again with the same context on every push
 * and must see fresh rows each time.
 */
export class BatchLoader<K, V> {
  private pending?: Map<K, { resolve: (v: V | undefined) => void; reject: (e: unknown) => void }[]>;

  constructor(private readonly loadMany: (keys: K[]) => Promise<Map<K, V>>) {}

  load(key: K): Promise<V | undefined> {
    if (!this.pending) {
      this.pending = new Map();
      // setImmediate, not a microtask: resolvers reached through several awaits still join this batch.
      setImmediate(() => void this.dispatch());
    }
    const waiting = this.pending.get(key) ?? [];
    this.pending.set(key, waiting);
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  }

  private async dispatch(): Promise<void> {
    const batch = this.pending!;
    this.pending = undefined;
    try {
      const values = await this.loadMany([...batch.keys()]);
      for (const [key, waiting] of batch) for (const w of waiting) w.resolve(values.get(key));
    } catch (err) {
      for (const waiting of batch.values()) for (const w of waiting) w.reject(err);
    }
  }
}

/** One value per request context (per subscription on WebSocket), created on first use and gone with the context. */
export class PerContext<T> {
  private readonly values = new WeakMap<object, T>();

  constructor(private readonly create: () => T) {}

  of(context: object): T {
    let value = this.values.get(context);
    if (!value) {
      value = this.create();
      this.values.set(context, value);
    }
    return value;
  }
}
