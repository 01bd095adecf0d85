import type { Logger } from '../logger.js';
import type { HealthHistoryRepository } from './health-history.repository.js';
import type { PeriodicClaims } from '../db/periodic-claims.js';

export interface HistoryRetentionOptions {
  retentionDays: number;
  /** How often one replica (whichever claims it) prunes. */
  intervalSeconds: number;
  replicaId: string;
}

const TASK = 'prune_health_history';

/**
 * Prunes health history once per interval across all replicas: each replica tries on its own timer, and the claim in
 * `periodic_job_claims` lets exactly one of them do the work per interval.
 */
export class HistoryRetention {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly repo: HealthHistoryRepository,
    private readonly claims: PeriodicClaims,
    private readonly logger: Logger,
    private readonly opts: HistoryRetentionOptions,
  ) {}

  start(): void {
    // The first attempt waits a little: a replica that starts is busy enough, and restarts must not all prune at once.
    const schedule = (ms: number) => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.running = this.pruneOnce()
          .catch((err) => this.logger.warn({ err }, 'pruning health history failed; will retry'))
          .finally(() => schedule(this.opts.intervalSeconds * 1000));
      }, ms);
      this.timer.unref();
    };
    schedule(Math.min(60_000, this.opts.intervalSeconds * 1000));
  }

  /** Prunes if this replica wins the claim for the current interval; `claimed: false` when another one has it. */
  async pruneOnce(): Promise<{ claimed: boolean; deleted: number }> {
    if (!(await this.claims.claim(TASK, this.opts.replicaId, this.opts.intervalSeconds))) return { claimed: false, deleted: 0 };
    const deleted = await this.repo.prune(this.opts.retentionDays);
    if (deleted > 0) this.logger.info({ deleted, retentionDays: this.opts.retentionDays }, 'pruned health history');
    return { claimed: true, deleted };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
