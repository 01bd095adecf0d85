import type { HealthRepository, HealthWrite, RecordOutcome } from './health.repository.js';

interface Pending {
  write: HealthWrite;
  resolve: (outcome: RecordOutcome) => void;
  reject: (err: unknown) => void;
}

export interface HealthWriterOptions {
  /** Most results per statement. */
  maxBatch: number;
  /** How long a result may wait for company before it is written anyway. */
  maxDelayMs: number;
}

/**
 * Group commit for probe results: results that finish close together are stored in one statement. A sweep finishes
 * about one probe per millisecond, and on the embedded database a statement per result cost about as much CPU as the
 * probes themselves. A result waits at most `maxDelayMs` (explicit tests not at all), so stored health lags the probe
 * by milliseconds; every result still gets its own row update and its own event.
 */
export class HealthWriter {
  private queue: Pending[] = [];
  private timer?: NodeJS.Timeout;
  private draining?: Promise<void>;

  constructor(
    private readonly repo: HealthRepository,
    private readonly opts: HealthWriterOptions,
  ) {}

  /** Queues one result; resolves once stored, with whether the row was written (not: lease lost, deleted, disabled). */
  write(write: HealthWrite, opts: { now?: boolean } = {}): Promise<RecordOutcome> {
    return new Promise<RecordOutcome>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (opts.now || this.queue.length >= this.opts.maxBatch) this.kick();
      else if (!this.draining) this.timer ??= setTimeout(() => this.kick(), this.opts.maxDelayMs);
    });
  }

  /** Writes everything queued now; resolves when the queue is empty. */
  async flush(): Promise<void> {
    this.kick();
    while (this.draining) await this.draining;
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // A drain in progress takes whatever is queued when its current statement returns (so no timer is needed then).
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch: Pending[] = [];
      const rest: Pending[] = [];
      const ids = new Set<number>();
      for (const p of this.queue) {
        // One row per cluster per statement (an UPDATE … FROM updates a row once): a second result waits its turn.
        if (batch.length < this.opts.maxBatch && !ids.has(p.write.before.id)) {
          ids.add(p.write.before.id);
          batch.push(p);
        } else rest.push(p);
      }
      this.queue = rest;
      try {
        const written = await this.repo.recordMany(batch.map((p) => p.write));
        batch.forEach((p, i) => p.resolve(written[i]!));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
  }
}
