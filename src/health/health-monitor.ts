import { NotFoundError } from '../errors.js';
import type { KubeClientCache } from '../kube/client-cache.js';
import { probeCluster, type ProbeResult } from '../kube/probe.js';
import type { Logger } from '../logger.js';
import { decide, observe, type Observation } from './health-evaluator.js';
import type { ClusterToProbe, HealthRepository, HealthTransition } from './health.repository.js';
import { HealthWriter } from './health-writer.js';

export interface HealthMonitorOptions {
  intervalSeconds: number;
  flipThreshold: number;
  concurrency: number;
  /** Identifies this replica in leases. */
  replicaId: string;
  /**
   * Deadline of one whole probe (connect and every request): enforced, its requests still in flight cut short and the
   * cluster recorded UNAVAILABLE (timeout). The lease is sized from it.
   */
  probeTimeoutMs: number;
}

/** The outcome of one check, for C6 and the scheduler's metrics. */
export interface CheckOutcome {
  clusterId: number;
  observation: Observation;
  probe: ProbeResult;
  durationMs: number;
}

export interface HealthMonitorHooks {
  onProbe?(outcome: CheckOutcome): void;
  /** After a result was stored (e.g. to refresh caches on this replica at once). */
  onRecorded?(clusterId: number): void;
  /** After a change of the shown state committed (with its history row): health history's and webhooks' hook. */
  onTransition?(transition: HealthTransition): void;
}

/**
 * Probes every enabled cluster each interval with bounded concurrency. Work is claimed in the database, so replicas
 * share it; a slow, dead or hostile cluster occupies one worker for at most `probeTimeoutMs` and never delays API
 * responses, which always serve the stored figures, nor other clusters' probes: once a sweep has claimed everything
 * due, the next one starts on the free workers while the old one's stragglers run out their deadlines.
 */
export class HealthMonitor {
  private timer?: NodeJS.Timeout;
  /** The newest scheduled sweep. */
  private sweeping?: Promise<void>;
  /** Every scheduled sweep not finished yet (stop() waits for all). */
  private readonly sweeps = new Set<Promise<void>>();
  /** Sweeps still claiming work: while one is, starting another would only compete for the same rows. */
  private claiming = 0;
  /** Probes running in any sweep: the workers a new sweep may start are what `concurrency` leaves. */
  private probing = 0;
  private stopped = false;
  private readonly writer: HealthWriter;

  constructor(
    private readonly repo: HealthRepository,
    private readonly clients: KubeClientCache,
    private readonly logger: Logger,
    private readonly opts: HealthMonitorOptions,
    private readonly hooks: HealthMonitorHooks = {},
  ) {
    // Measured on embedded PGlite, 1,000 results: one statement each ~1.9 s of CPU, batches of ~20 (what a 50 ms window
    // gathers at sweep speed) ~0.3 s. Stored health lags its probe by at most 50 ms; explicit tests are written at once.
    this.writer = new HealthWriter(repo, { maxBatch: 64, maxDelayMs: 50 });
  }

  start(): void {
    // Tick often relative to the interval: a cluster becomes due at its own time, not when a global round starts. A
    // tick finds nothing due with one read of an index's head (clusters_health_due_idx), so once a second is cheap, and
    // a cluster waits at most that past its due time (the claim time is its stamp, so the delay does not accumulate).
    const tickMs = Math.max(250, Math.min(1_000, (this.opts.intervalSeconds * 1000) / 4));
    const tick = () => {
      if (this.stopped) return;
      if (this.claiming === 0 && this.probing < this.opts.concurrency) {
        const sweep: Promise<void> = this.sweep()
          .then(() => undefined)
          .catch((err) => this.logger.warn({ err }, 'health sweep failed; will retry'))
          .finally(() => {
            this.sweeps.delete(sweep);
            if (this.sweeping === sweep) this.sweeping = undefined;
          });
        this.sweeps.add(sweep);
        this.sweeping = sweep;
      }
      this.timer = setTimeout(tick, tickMs);
      this.timer.unref();
    };
    tick();
  }

  /**
   * Probes every cluster that is due, `concurrency` at a time, until none is left. Claims come in batches (one
   * statement each) and feed a pool of workers, so a slow cluster holds one worker, never a whole batch. Results are
   * stored in batches too (`HealthWriter`) while the workers go on probing; the sweep ends once all are stored. Each
   * probe ends by its deadline, so a sweep does too.
   */
  async sweep(): Promise<number> {
    this.claiming++;
    let claiming = true;
    const doneClaiming = () => {
      if (claiming) this.claiming--;
      claiming = false;
    };
    let probed = 0;
    const leaseSeconds = Math.ceil(this.opts.probeTimeoutMs / 1000) * 3 + 5;
    const batch = Math.max(1, Math.min(this.opts.concurrency, 64));
    const queue: ClusterToProbe[] = [];
    let exhausted = false;
    let refill: Promise<void> | undefined;
    let writeFailed: { err: unknown } | undefined;
    const writes: Promise<unknown>[] = [];
    const next = async (): Promise<ClusterToProbe | undefined> => {
      // A failed write means the database is in trouble: claim nothing more, report the failure below.
      while (queue.length === 0 && !exhausted && !this.stopped && !writeFailed) {
        refill ??= this.repo
          .claimDue(this.opts.replicaId, this.opts.intervalSeconds, leaseSeconds, batch)
          .then((rows) => {
            queue.push(...rows);
            if (rows.length === 0) {
              exhausted = true;
              doneClaiming();
            }
          })
          .finally(() => (refill = undefined));
        await refill;
      }
      return writeFailed ? undefined : queue.shift();
    };
    const worker = async () => {
      for (let cluster = await next(); cluster; cluster = await next()) {
        this.probing++;
        try {
          const { stored } = await this.check(cluster, { owner: this.opts.replicaId, scheduled: true });
          writes.push(stored.catch((err: unknown) => (writeFailed ??= { err })));
        } finally {
          this.probing--;
        }
        probed++;
      }
    };
    try {
      const workers = Math.max(1, this.opts.concurrency - this.probing);
      await Promise.all(Array.from({ length: workers }, worker));
    } finally {
      doneClaiming();
      await this.writer.flush();
      await Promise.all(writes);
    }
    if (writeFailed) throw writeFailed.err;
    return probed;
  }

  /** The deadline of one whole probe (and of a connection test before a cluster is saved). */
  get probeTimeoutMs(): number {
    return this.opts.probeTimeoutMs;
  }

  /** Checks one cluster now (C6 / testClusterConnection); an explicit test applies its result without damping. */
  async checkNow(clusterId: number): Promise<CheckOutcome & { name: string }> {
    const cluster = await this.repo.load(clusterId);
    if (!cluster) throw new NotFoundError(`cluster ${clusterId} not found`);
    const { outcome, stored } = await this.check(cluster, { force: true, record: cluster.enabled });
    await stored;
    return { ...outcome, name: cluster.name };
  }

  /**
   * Probes and decides; `stored` settles once the result is in the database. A `scheduled` probe (part of a sweep)
   * favours throughput: one connection per probe, closed as soon as it is done, since the next probe of this cluster
   * is an interval away (a kept-alive TLS socket per cluster would pin memory on both ends for nothing; the next probe
   * resumes the cached TLS session instead).
   */
  private async check(
    cluster: ClusterToProbe,
    opts: { owner?: string; force?: boolean; record?: boolean; scheduled?: boolean },
  ): Promise<{ outcome: CheckOutcome; stored: Promise<void> }> {
    const started = performance.now();
    let probe: ProbeResult;
    try {
      const client = this.clients.get(cluster.id, cluster.ciphertext);
      try {
        probe = await probeCluster(client, { oneConnection: opts.scheduled, deadlineMs: this.opts.probeTimeoutMs });
      } finally {
        if (opts.scheduled) client.releaseIdleSockets();
      }
    } catch (err) {
      // Only a kubeconfig that no longer parses or decrypts lands here (probe failures are data, not exceptions).
      const failure = { reason: 'API_ERROR' as const, message: `stored kubeconfig is unusable: ${(err as Error).message}` };
      probe = { version: { ok: false, failure }, nodes: { ok: false, failure }, pods: { ok: false, failure }, credentialExpiresAt: null };
    }
    const observation = observe(probe);
    const decision = decide(
      { status: cluster.status, candidateStatus: cluster.candidateStatus, candidateCount: cluster.candidateCount },
      observation,
      this.opts.flipThreshold,
      opts.force,
    );
    const stored =
      opts.record === false
        ? Promise.resolve()
        : this.writer
            .write(
              {
                before: cluster,
                observation,
                decision,
                credentialExpiresAt: probe.credentialExpiresAt,
                owner: opts.owner,
                // Stamped with its claim, so the next check is due an interval after this one began; but one that took
                // over half an interval (a slow or hung cluster) rests half an interval rather than going again at once.
                maxStampAgeSeconds: this.opts.intervalSeconds / 2,
              },
              { now: opts.force },
            )
            .then(({ written, transition }) => {
              if (written) this.hooks.onRecorded?.(cluster.id);
              if (transition) this.hooks.onTransition?.(transition);
            });
    if (decision.changed) {
      this.logger.info({ clusterId: cluster.id, from: cluster.status, to: decision.status, reason: observation.message }, 'cluster health changed');
    }
    const outcome = { clusterId: cluster.id, observation, probe, durationMs: performance.now() - started };
    this.hooks.onProbe?.(outcome);
    return { outcome, stored };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all([...this.sweeps].map((s) => s.catch(() => {})));
    await this.repo.releaseLeases(this.opts.replicaId).catch(() => {});
  }
}
