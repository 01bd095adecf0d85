import type { KubeClientCache } from '../kube/client-cache.js';
import type { DomainEventSource } from './domain-events.js';
import type { EventBus } from './event-bus.js';

/**
 * The kube client cache's subscriptions: a client built from credentials that changed (new kubeconfig, disabled,
 * deleted) is closed, on this replica at once (domain events) and on the others when the change arrives over
 * LISTEN/NOTIFY. Returns the unsubscribe of the cross-replica part.
 *
 * Lead: this belongs on `KubeClientCache` as `listenTo(domainEvents, bus)`; it lives here only because src/kube/ was
 * another branch's this round.
 */
export function dropClientsOnCredentialChanges(clients: Pick<KubeClientCache, 'drop'>, domainEvents: DomainEventSource, bus: EventBus): () => void {
  domainEvents.on('cluster.credentialsChanged', ({ clusterId }) => clients.drop(clusterId));
  domainEvents.on('cluster.deleted', ({ clusterId }) => clients.drop(clusterId));
  return bus.subscribe((e) => {
    if (e.type === 'cluster.changed' && (e.change === 'deleted' || e.change === 'updated')) clients.drop(e.clusterId);
  });
}
