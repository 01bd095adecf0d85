/** A query waited longer than the gate allows for a free slot (or the queue is full): the gateway is busy. */
export class GateBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GateBusyError';
  }
}

export interface QueryGateLimits {
  /** Queries in flight to one cluster's Prometheus at once. */
  perCluster: number;
  /** Queries in flight to all Prometheus servers at once (this replica). */
  overall: number;
  /** Longest a query waits for a slot before it fails as busy. */
  maxWaitMs: number;
  /** Most queries waiting at once; beyond it a query fails as busy at once (memory stays bounded). */
  maxQueued: number;
}

interface Waiter {
  clusterId: number;
  start: () => void;
  timer: NodeJS.Timeout;
}

/**
 * Bounds the queries sent to Prometheus servers: at most `perCluster` per cluster and `overall` in all, first come
 * first served among those that may start. A fleet table asking 100 clusters at once therefore never opens 500
 * connections, and one slow Prometheus cannot take every slot.
 */
export class QueryGate {
  private active = 0;
  private readonly activeByCluster = new Map<number, number>();
  private readonly waiting: Waiter[] = [];

  constructor(private readonly limits: QueryGateLimits) {}

  async run<T>(clusterId: number, work: () => Promise<T>): Promise<T> {
    await this.acquire(clusterId);
    try {
      return await work();
    } finally {
      this.release(clusterId);
    }
  }

  /** Queries running right now (all clusters). */
  inFlight(): number {
    return this.active;
  }

  private mayStart(clusterId: number): boolean {
    return this.active < this.limits.overall && (this.activeByCluster.get(clusterId) ?? 0) < this.limits.perCluster;
  }

  private take(clusterId: number): void {
    this.active++;
    this.activeByCluster.set(clusterId, (this.activeByCluster.get(clusterId) ?? 0) + 1);
  }

  private acquire(clusterId: number): Promise<void> {
    if (this.mayStart(clusterId)) {
      this.take(clusterId);
      return Promise.resolve();
    }
    if (this.waiting.length >= this.limits.maxQueued) {
      return Promise.reject(new GateBusyError(`too many metrics queries are waiting (${this.limits.maxQueued}); try again shortly`));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        clusterId,
        start: () => {
          clearTimeout(waiter.timer);
          this.take(clusterId);
          resolve();
        },
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new GateBusyError(`no free query slot within ${this.limits.maxWaitMs} ms; try again shortly`));
        }, this.limits.maxWaitMs),
      };
      waiter.timer.unref();
      this.waiting.push(waiter);
    });
  }

  private release(clusterId: number): void {
    this.active--;
    const left = (this.activeByCluster.get(clusterId) ?? 1) - 1;
    if (left > 0) this.activeByCluster.set(clusterId, left);
    else this.activeByCluster.delete(clusterId);
    // Start every waiter that may start now (a release can free a per-cluster slot for one and an overall slot for another).
    for (let i = 0; i < this.waiting.length && this.active < this.limits.overall; ) {
      const w = this.waiting[i]!;
      if (this.mayStart(w.clusterId)) {
        this.waiting.splice(i, 1);
        w.start();
      } else i++;
    }
  }
}
