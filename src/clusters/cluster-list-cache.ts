import type { EventBus } from '../events/event-bus.js';
import type { ClusterView } from './cluster.view.js';

/**
 * The cluster list, kept in memory between changes. Every write anywhere (any replica) publishes a `cluster.changed`
 * event through PostgreSQL, which drops the cached list; local writes drop it at once as well. A generation counter
 * keeps a slow refill that started before a change from storing stale rows, and a short TTL bounds staleness should a
 * notification ever be lost (e.g. while the LISTEN connection reconnects).
 */
export class ClusterListCache {
  private value?: { items: ClusterView[]; at: number };
  private generation = 0;
  private inflight?: { promise: Promise<ClusterView[]>; generation: number };
  private readonly unsubscribe: () => void;

  constructor(
    events: EventBus,
    private readonly load: () => Promise<ClusterView[]>,
    private readonly ttlMs = 5_000,
  ) {
    this.unsubscribe = events.subscribe((e) => {
      if (e.type === 'cluster.changed') this.invalidate();
    });
  }

  /** The same array instance until the next change, so callers may memoise work derived from it. */
  async get(): Promise<ClusterView[]> {
    const cached = this.value;
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.items;
    if (this.inflight?.generation === this.generation) return this.inflight.promise;
    const generation = this.generation;
    const promise = this.load().then((items) => {
      if (this.generation === generation) this.value = { items: Object.freeze(items) as ClusterView[], at: Date.now() };
      return items;
    });
    this.inflight = { promise, generation };
    promise.finally(() => {
      if (this.inflight?.promise === promise) this.inflight = undefined;
    }).catch(() => {});
    return promise;
  }

  invalidate(): void {
    this.generation++;
    this.value = undefined;
  }

  close(): void {
    this.unsubscribe();
  }
}
