import type { EventBus } from '../events/event-bus.js';
import type { ClusterView } from './cluster.view.js';

/**
 * The live clusters (oldest first) at one moment, and a number naming their content: equal versions mean equal
 * content, so anything rendered from a snapshot (REST bodies, GraphQL answers) stays valid for as long as the version
 * does. The version only grows, and only when a reload finds different content.
 */
export interface ClusterListSnapshot {
  readonly items: readonly ClusterView[];
  readonly version: number;
}

/**
 * The cluster list, kept in memory between changes. Every write anywhere (any replica) publishes a `cluster.changed`
 * event through PostgreSQL, which drops the cached list; local writes drop it at once as well. A generation counter
 * keeps a slow refill that started before a change from storing stale rows, and a short TTL bounds staleness should a
 * notification ever be lost (e.g. while the LISTEN connection reconnects). Readers get a versioned snapshot
 * (`ClusterListSnapshot`): caches of rendered answers key on its `version`, never on the array's identity.
 */
export class ClusterListCache {
  private value?: { snapshot: ClusterListSnapshot; at: number };
  /** The last snapshot handed out, kept across invalidations: a reload with the very same content keeps its version. */
  private last?: ClusterListSnapshot;
  private generation = 0;
  private inflight?: { promise: Promise<ClusterListSnapshot>; generation: number };
  private lastWarmAt = 0;
  private readonly byId = new WeakMap<ClusterListSnapshot, ReadonlyMap<number, ClusterView>>();
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

  /** The current snapshot; its version changes exactly when its content does. */
  async get(): Promise<ClusterListSnapshot> {
    const cached = this.value;
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.snapshot;
    if (this.inflight?.generation === this.generation) return this.inflight.promise;
    const generation = this.generation;
    const promise = this.load().then((loaded) => {
      // Unchanged content keeps its version, so what callers derived from it (rendered responses) stays valid across
      // TTL refills and notifications that changed nothing visible. A new version is taken from the process-wide counter, so
      // two loads racing across an invalidation never hand out one version for different content.
      const snapshot = this.last && sameClusters(this.last.items, loaded) ? this.last : { items: Object.freeze(loaded), version: ++versions };
      if (this.generation === generation) {
        this.value = { snapshot, at: Date.now() };
        if (!this.last || snapshot.version > this.last.version) this.last = snapshot;
      }
      return snapshot;
    });
    this.inflight = { promise, generation };
    promise
      .finally(() => {
        if (this.inflight?.promise === promise) this.inflight = undefined;
      })
      .catch(() => {});
    return promise;
  }

  /**
   * The current snapshot when it is fresh (within the TTL, not invalidated), without loading anything: single-cluster
   * reads take it when it is there and read their one row otherwise, so they never wait for a whole list.
   */
  peek(): ClusterListSnapshot | undefined {
    const cached = this.value;
    return cached && Date.now() - cached.at < this.ttlMs ? cached.snapshot : undefined;
  }

  /** A live cluster of a fresh snapshot by id (an index built once per snapshot); undefined when not cached. */
  peekById(id: number): ClusterView | undefined {
    const snapshot = this.peek();
    if (!snapshot) return undefined;
    let index = this.byId.get(snapshot);
    if (!index) this.byId.set(snapshot, (index = new Map(snapshot.items.map((c) => [c.id, c]))));
    return index.get(id);
  }

  /**
   * Starts a refill in the background after a single read missed, so a stream of single reads is soon served from
   * memory too. Bounded: at most one load at a time, one start per `WARM_SPACING_MS`, and never for a large fleet, where
   * a whole-list reload costs far more than the one-row reads it would save while health results keep invalidating it.
   */
  warm(): void {
    const now = Date.now();
    if (this.inflight || now - this.lastWarmAt < WARM_SPACING_MS || (this.last?.items.length ?? 0) > WARM_MAX_CLUSTERS) return;
    this.lastWarmAt = now;
    this.get().catch(() => {});
  }

  invalidate(): void {
    this.generation++;
    this.value = undefined;
  }

  close(): void {
    this.unsubscribe();
  }
}

/**
 * Versions come from one counter for the whole process, not one per cache: rendered answers memoised by version
 * (rest/cluster.rest.ts keeps C1's body at module level) must never take one gateway's list for another's when a
 * process runs several (tests, benchmarks).
 */
let versions = 0;

const WARM_SPACING_MS = 1_000;
const WARM_MAX_CLUSTERS = 2_000;

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
      if (key === 'labels' && sameLabels(x.labels, y.labels)) continue;
      return false;
    }
  }
  return true;
}

function sameLabels(a: ClusterView['labels'], b: ClusterView['labels']): boolean {
  return a.length === b.length && a.every((l, i) => l.key === b[i]!.key && l.value === b[i]!.value);
}
