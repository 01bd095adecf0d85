import type { AuditEntry } from '../audit/audit-entry.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import type { DiscoveryStateValue, HealthStatusValue } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { ProxiedRequestEntry } from '../proxy/ports.js';

/**
 * What happened in a domain, in this process, after it committed. Domains subscribe to each other's events themselves
 * (`discovery.listenTo(domainEvents)`), so the composition root only wires. Cross-replica facts travel separately, on
 * the PgEventBus (LISTEN/NOTIFY, event-bus.ts): those are what caches and subscriptions on other replicas react to.
 */
export interface DomainEventMap {
  'cluster.created': { cluster: ClusterView };
  'cluster.updated': { cluster: ClusterView };
  /** The kubeconfig was replaced, or the cluster disabled: clients built from the old credentials must go. */
  'cluster.credentialsChanged': { clusterId: number };
  /** An operator set the Prometheus URL by hand: automatic discovery stops. */
  'cluster.prometheusSetByHand': { clusterId: number };
  /** The hand-set URL was cleared: automatic discovery may run again. */
  'cluster.prometheusCleared': { clusterId: number };
  'cluster.deleted': { clusterId: number };
  /** One health probe finished on this replica (stored or not). */
  'health.probed': { clusterId: number; status: string; durationMs: number };
  /** A probe result was written: this replica's cached views of the cluster are stale. */
  'health.recorded': { clusterId: number };
  /** A committed change of a cluster's shown health state (stored as a history row in the same statement). */
  'health.changed': { clusterId: number; from: HealthStatusValue; to: HealthStatusValue; message: string | null; at: Date };
  /** A proxied request that was not a read was answered or refused (see proxy/ports.ts ProxiedRequestEntry). */
  'proxy.forwarded': { entry: ProxiedRequestEntry };
  /** A discovery task this replica ran has finished. */
  'discovery.finished': { state: Extract<DiscoveryStateValue, 'found' | 'not_found' | 'failed'> };
  /**
   * A user-initiated write ran, or was refused, on this replica (audit/audited-writes.ts): who, what, which cluster,
   * how it ended. Raised for failures too, which commit nothing; the audit domain stores one event per attempt. Not
   * raised for a success whose event the write stored in its own statement (audited-writes.ts `WriteAudit`).
   */
  'write.attempted': AuditEntry;
}

/** What a handler may answer, for events whose emitter wants to know what the reactions did. */
export interface DomainEventReplies {
  /** Discovery answers whether it really started a task (C3's message says so only then). */
  'cluster.created': { discoveryStarted: boolean };
}

export type DomainEventType = keyof DomainEventMap;
export type DomainEventReply<K extends DomainEventType> = K extends keyof DomainEventReplies ? DomainEventReplies[K] : never;
export type DomainEventHandler<K extends DomainEventType> = (
  payload: DomainEventMap[K],
) => DomainEventReply<K> | void | Promise<DomainEventReply<K> | void>;

/** The publishing side, for domains that only emit. */
export interface DomainEventPublisher {
  emit<K extends DomainEventType>(type: K, payload: DomainEventMap[K]): Promise<DomainEventReply<K>[]>;
}

/** The subscribing side, what `listenTo(events)` methods take. */
export interface DomainEventSource {
  on<K extends DomainEventType>(type: K, handler: DomainEventHandler<K>): () => void;
}

/**
 * In-process typed dispatcher. `emit` runs every handler of the event concurrently and resolves once all settled, with
 * the replies they gave. A failing handler is logged and skipped: the write that raised the event has committed and
 * must not be reported as failed because a reaction (e.g. starting discovery) did.
 */
export class DomainEvents implements DomainEventPublisher, DomainEventSource {
  private readonly handlers = new Map<DomainEventType, Set<DomainEventHandler<never>>>();

  constructor(private readonly logger: Logger) {}

  on<K extends DomainEventType>(type: K, handler: DomainEventHandler<K>): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(handler as DomainEventHandler<never>);
    return () => set.delete(handler as DomainEventHandler<never>);
  }

  async emit<K extends DomainEventType>(type: K, payload: DomainEventMap[K]): Promise<DomainEventReply<K>[]> {
    const handlers = [...(this.handlers.get(type) ?? [])] as DomainEventHandler<K>[];
    if (handlers.length === 0) return [];
    const settled = await Promise.allSettled(handlers.map(async (handle) => handle(payload)));
    const replies: DomainEventReply<K>[] = [];
    for (const outcome of settled) {
      if (outcome.status === 'rejected') this.logger.warn({ err: outcome.reason, event: type }, 'a domain event handler failed');
      else if (outcome.value !== undefined) replies.push(outcome.value as DomainEventReply<K>);
    }
    return replies;
  }
}
