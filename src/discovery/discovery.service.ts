import { setMaxListeners } from 'node:events';
import { ConflictError, NotFoundError } from '../errors.js';
import type { DiscoveryTaskRow } from '../db/schema.js';
import type { EventBus } from '../events/event-bus.js';
import type { DomainEventSource } from '../events/domain-events.js';
import type { GatewayEvent } from '../events/event-bus.js';
import type { KubeClientCache } from '../kube/client-cache.js';
import type { Logger } from '../logger.js';
import { candidateUrl, describeCandidate, gatherCandidates, MAX_CANDIDATES, type GatheredCandidates } from './candidates.js';
import type { DiscoveryRepository, TaskOutcome } from './discovery.repository.js';
import { verifyCandidate } from './verify.js';

/** A discovery task's state as every transport shows it. */
export interface DiscoveryStatusView {
  clusterId: number;
  taskId: number | null;
  state: DiscoveryTaskRow['state'];
  startedAt: Date | null;
  finishedAt: Date | null;
  prometheusUrl: string | null;
  message: string | null;
  candidatesChecked: number | null;
  /** When the task was accepted (C7's `task_started_at`). */
  createdAt: Date | null;
}

export interface DiscoveryOptions {
  replicaId: string;
  /** PROMETHEUS_AUTO_DISCOVERY: start a task when a cluster is created or its hand-set URL is cleared. */
  autoDiscovery: boolean;
  timeoutSeconds: number;
  /** Bound of one candidate probe, within the whole-task bound. */
  probeTimeoutMs?: number;
  /** Called once per task this replica finished (metrics). */
  onFinished?(state: TaskOutcome['state']): void;
}

const PROBE_TIMEOUT_MS = 5_000;

/**
 * Prometheus discovery: gather candidates, verify each through the API server's service proxy, store the first real
 * one. Tasks are rows with leases, so exactly one runs per cluster across all replicas; this replica runs the tasks it
 * creates and fails tasks whose owner died.
 */
export class DiscoveryService {
  /** The task this replica runs per cluster, and how to stop its work (every lookup and probe honours the signal). */
  private readonly running = new Map<number, { taskId: number; controller: AbortController }>();
  private reaper?: NodeJS.Timeout;

  constructor(
    private readonly repo: DiscoveryRepository,
    private readonly clients: KubeClientCache,
    private readonly logger: Logger,
    private readonly opts: DiscoveryOptions,
  ) {}

  /** The cluster lifecycle as discovery reacts to it (domain events raised by the cluster registry). */
  /**
   * Discovery's reactions: to cluster changes on this replica (domain events), and to tasks that ended on any replica
   * (LISTEN/NOTIFY: a reaper failing a task at its lease, a cancel elsewhere) so their local work stops. Returns the
   * unsubscribe of the cross-replica part.
   */
  listenTo(events: DomainEventSource, bus: EventBus): () => void {
    events.on('cluster.created', async ({ cluster }) => ({
      discoveryStarted: this.opts.autoDiscovery && cluster.enabled ? await this.startQuietly(cluster.id) : false,
    }));
    events.on('cluster.prometheusSetByHand', ({ clusterId }) => this.cancel(clusterId, 'cancelled: the Prometheus URL was set by hand'));
    events.on('cluster.prometheusCleared', async ({ clusterId }) => {
      if (this.opts.autoDiscovery) await this.startQuietly(clusterId);
    });
    events.on('cluster.deleted', ({ clusterId }) => this.cancel(clusterId, 'cancelled: the cluster was deleted'));
    return bus.subscribe((e) => {
      if (e.type === 'discovery.changed' && e.task.state !== 'pending' && e.task.state !== 'running') this.taskEnded(e.clusterId, e.taskId);
    });
  }

  private get leaseSeconds(): number {
    return this.opts.timeoutSeconds + 15;
  }

  /** C7 / rediscoverPrometheus: 409 while a task is active or when the URL was set by hand. */
  async start(clusterId: number): Promise<DiscoveryStatusView> {
    const cluster = await this.repo.cluster(clusterId);
    if (!cluster) throw new NotFoundError(`cluster ${clusterId} not found`);
    if (cluster.prometheusSource === 'manual') {
      throw new ConflictError('the Prometheus URL of this cluster was set by hand; clear it (prometheus_url: "") to use automatic discovery');
    }
    if (!cluster.enabled) throw new ConflictError('the cluster is disabled; enable it before discovering Prometheus');
    const task = await this.repo.createPending(clusterId, this.opts.replicaId, this.leaseSeconds);
    if (!task) throw new ConflictError('a Prometheus discovery task is already running for this cluster');
    void this.run(task.id, clusterId);
    return toView(task);
  }

  /** Starts a task if none is active, without failing (after C3, or when a manual URL is cleared); true if it did. */
  async startQuietly(clusterId: number): Promise<boolean> {
    try {
      await this.start(clusterId);
      return true;
    } catch (err) {
      if (!(err instanceof ConflictError) && !(err instanceof NotFoundError))
        this.logger.warn({ err, clusterId }, 'could not start Prometheus discovery');
      return false;
    }
  }

  /** Cancels the cluster's active task (manual URL set, cluster deleted), wherever it runs. */
  async cancel(clusterId: number, reason: string): Promise<void> {
    await this.repo.cancelActive(clusterId, reason);
    this.running.get(clusterId)?.controller.abort();
  }

  /**
   * A task left the active states (finished, cancelled, or failed by any replica's reaper at its lease): if this replica
   * still works on it, that work stops now, so a new C7 never runs alongside it.
   */
  taskEnded(clusterId: number, taskId: number): void {
    const local = this.running.get(clusterId);
    if (local?.taskId === taskId) local.controller.abort();
  }

  /** The latest task's state; a cluster that never had one gets a synthesized state that says so. */
  async status(clusterId: number): Promise<DiscoveryStatusView> {
    const task = await this.repo.latest(clusterId);
    if (task) return toView(task);
    const cluster = await this.repo.cluster(clusterId);
    if (!cluster) throw new NotFoundError(`cluster ${clusterId} not found`);
    const manual = cluster.prometheusSource === 'manual';
    return {
      clusterId,
      taskId: null,
      state: manual ? 'cancelled' : 'not_found',
      startedAt: null,
      finishedAt: null,
      prometheusUrl: cluster.prometheusUrl,
      message: manual ? 'the Prometheus URL was set by hand; automatic discovery is off' : 'no discovery has run for this cluster yet',
      candidatesChecked: null,
      createdAt: null,
    };
  }

  async latest(clusterId: number): Promise<DiscoveryStatusView | null> {
    const task = await this.repo.latest(clusterId);
    return task ? toView(task) : null;
  }

  /** Periodically fails tasks whose owner died, so they never block C7. */
  startReaper(everyMs = 5_000): void {
    const tick = () => {
      this.repo.failExpired().catch((err) => this.logger.warn({ err }, 'discovery reaper failed'));
      this.reaper = setTimeout(tick, everyMs);
      this.reaper.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    if (this.reaper) clearTimeout(this.reaper);
    for (const { controller } of this.running.values()) controller.abort();
    await this.repo.abandon(this.opts.replicaId).catch(() => {});
  }

  private async run(taskId: number, clusterId: number): Promise<void> {
    // A new task exists only once the old one left the active states: whatever still runs for it here must stop.
    this.running.get(clusterId)?.controller.abort();
    const controller = new AbortController();
    const { signal } = controller;
    // Gathering waits on 11 lookups at once, each listening for the abort: not a leak, so no warning.
    setMaxListeners(32, signal);
    this.running.set(clusterId, { taskId, controller });
    const deadline = Date.now() + this.opts.timeoutSeconds * 1000;
    const timer = setTimeout(() => controller.abort(), this.opts.timeoutSeconds * 1000);
    timer.unref();
    const owner = this.opts.replicaId;
    let checked = 0;
    let total = 0;
    try {
      if (!(await this.repo.markRunning(taskId, clusterId, owner, this.leaseSeconds))) return;
      const cluster = await this.repo.cluster(clusterId);
      if (!cluster) return;
      const client = this.clients.get(clusterId, cluster.ciphertext);
      const gathered = await gatherCandidates(client, signal);
      const { candidates } = gathered;
      total = candidates.length;
      const notes = gatheringNotes(gathered);
      if (notes)
        this.logger.info({ clusterId, taskId, skipped: gathered.skipped, overCap: gathered.overCap }, 'Prometheus discovery left candidates out');
      if (!(await this.repo.progress(taskId, clusterId, owner, 0, `found ${total} candidate(s); verifying${notes}`))) return;

      let outcome: TaskOutcome = {
        state: 'not_found',
        message: total ? `none of ${total} candidate(s) is a working Prometheus` : 'no Prometheus candidates in this cluster',
      };
      const rejected: string[] = [];
      let timeouts = 0;
      for (const c of candidates) {
        signal.throwIfAborted();
        const verdict = await verifyCandidate(client, c, Math.min(this.opts.probeTimeoutMs ?? PROBE_TIMEOUT_MS, deadline - Date.now()), signal);
        checked++;
        const label = describeCandidate(c);
        if (verdict.ok) {
          outcome = { state: 'found', prometheusUrl: candidateUrl(c), message: `found Prometheus ${verdict.version} at ${label} (${c.source})` };
          break;
        }
        rejected.push(`${label}: ${verdict.why}`);
        if (verdict.timedOut) timeouts++;
        if (!(await this.repo.progress(taskId, clusterId, owner, checked, `checked ${checked} of ${total}; ${label} rejected (${verdict.why})`)))
          return;
      }
      // A candidate that never answered could still be Prometheus: that is a failure to decide, not "not found".
      if (outcome.state !== 'found' && timeouts > 0) {
        outcome = {
          state: 'failed',
          message: `${timeouts} candidate(s) did not answer in time, so whether Prometheus runs here is unknown: ${rejected.slice(0, 5).join('; ')}`,
        };
      } else if (outcome.state === 'not_found' && rejected.length) {
        outcome = { ...outcome, message: `${outcome.message}: ${rejected.slice(0, 5).join('; ')}` };
      }
      outcome = { ...outcome, message: `${outcome.message}${notes}` };
      if (await this.repo.finish(taskId, clusterId, owner, checked, outcome)) this.opts.onFinished?.(outcome.state);
    } catch (err) {
      // Aborted: by the timeout, or because the task was cancelled or failed elsewhere (then finish() is a no-op).
      const message = signal.aborted
        ? `discovery timed out after ${this.opts.timeoutSeconds} s (${total ? `checked ${checked} of ${total} candidates` : 'while gathering candidates'})`
        : `discovery failed: ${(err as Error).message}`;
      if (!signal.aborted) this.logger.warn({ err, clusterId, taskId }, 'Prometheus discovery failed');
      if (await this.repo.finish(taskId, clusterId, owner, checked, { state: 'failed', message }).catch(() => false))
        this.opts.onFinished?.('failed');
    } finally {
      clearTimeout(timer);
      controller.abort();
      if (this.running.get(clusterId)?.controller === controller) this.running.delete(clusterId);
    }
  }
}

/** What the task's message says about candidates left out (unsafe names, over the cap), or ''. */
function gatheringNotes(g: GatheredCandidates): string {
  const notes: string[] = [];
  if (g.skippedCount)
    notes.push(`skipped ${g.skippedCount} unsafe candidate(s): ${g.skipped.slice(0, 3).join('; ')}${g.skippedCount > 3 ? '; …' : ''}`);
  if (g.overCap) notes.push(`${g.overCap} more candidate(s) beyond the limit of ${MAX_CANDIDATES} were not checked`);
  return notes.length ? ` (${notes.join('; ')})` : '';
}

/** The status a discovery event describes (its snapshot), without reading the database. */
export function statusFromEvent(e: Extract<GatewayEvent, { type: 'discovery.changed' }>): DiscoveryStatusView {
  const date = (s: string | null) => (s === null ? null : new Date(s));
  return {
    clusterId: e.clusterId,
    taskId: e.taskId,
    state: e.task.state,
    startedAt: date(e.task.startedAt),
    finishedAt: date(e.task.finishedAt),
    prometheusUrl: e.task.prometheusUrl,
    message: e.task.message,
    candidatesChecked: e.task.candidatesChecked,
    createdAt: date(e.task.createdAt),
  };
}

/** A task row as every transport shows it. */
export function toView(t: DiscoveryTaskRow): DiscoveryStatusView {
  return {
    clusterId: t.clusterId,
    taskId: t.id,
    state: t.state,
    startedAt: t.startedAt,
    finishedAt: t.finishedAt,
    prometheusUrl: t.prometheusUrl,
    message: t.message,
    candidatesChecked: t.candidatesChecked,
    createdAt: t.createdAt,
  };
}
