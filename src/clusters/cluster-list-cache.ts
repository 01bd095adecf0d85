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
  /** The last list handed out, kept across invalidations: a reload with the very same content reuses it. */
  private last?: ClusterView[];
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
    const promise = this.load().then((loaded) => {
      // An unchanged list keeps its identity, so what callers derived from it (rendered responses) stays valid across
      // TTL refills and notifications that changed nothing visible.
      const items = this.last && sameClusters(this.last, loaded) ? this.last : (Object.freeze(loaded) as ClusterView[]);
      if (this.generation === generation) {
        this.value = { items, at: Date.now() };
        this.last = items;
      }
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

function sameClusters(a: readonly ClusterView[], b: readonly ClusterView[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    for (const key of Object.keys(x) as (keyof ClusterView)[]) {
      const u = x[key];
      const v = y[key];
      if (u === v) continue;
      if (u instanceof Date && v instanceof Date && u.getTime() === v.getTime()) continue;
      return false;
    }
  }
  return true;
}
