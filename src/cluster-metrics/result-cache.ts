/**
 * Answers kept for a short time, with identical concurrent requests coalesced: while a key is being loaded every
 * caller of that key shares the one load, and a kept answer is served until it is `ttlMs` old. Only answers `keep`
 * accepts are kept (a failed or partial answer is shared by those already waiting, then asked for again). At most
 * `maxEntries` answers are kept; the oldest go first.
 */
export class CoalescingCache<V> {
  private readonly done = new Map<string, { value: V; expiresAt: number }>();
  private readonly loading = new Map<string, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, load: () => Promise<V>, keep: (value: V) => boolean): Promise<V> {
    const hit = this.done.get(key);
    if (hit && hit.expiresAt > this.now()) return Promise.resolve(hit.value);
    if (hit) this.done.delete(key);
    const pending = this.loading.get(key);
    if (pending) return pending;
    const started = load()
      .then((value) => {
        if (keep(value)) this.remember(key, value);
        return value;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, started);
    return started;
  }

  get size(): number {
    return this.done.size;
  }

  private remember(key: string, value: V): void {
    this.done.delete(key);
    this.done.set(key, { value, expiresAt: this.now() + this.ttlMs });
    while (this.done.size > this.maxEntries) this.done.delete(this.done.keys().next().value!);
  }
}
