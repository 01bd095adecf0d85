import type { KubeconfigCipher } from '../clusters/kubeconfig-cipher.js';
import type { DomainEventSource } from '../events/domain-events.js';
import type { EventBus } from '../events/event-bus.js';
import { createKubeClient, type KubeClient, type KubeClientOptions } from './kube-client.js';
import { parseKubeconfig } from './kubeconfig.js';

/** The stored ciphertext (the cache key's second half) and the client; the decrypted kubeconfig is not kept. */
interface Entry {
  ciphertext: string;
  client: KubeClient;
}

/**
 * One client per cluster id, reused across requests. An entry is valid only for the exact stored ciphertext it was
 * built from, so a kubeconfig changed on any replica is picked up on the very next request, even before the change
 * event arrives. Bounded (least recently used clusters are closed) so thousands of clusters cannot pin memory and
 * sockets.
 */
export class KubeClientCache {
  private readonly entries = new Map<number, Entry>();

  constructor(
    private readonly cipher: KubeconfigCipher,
    private readonly options: KubeClientOptions,
    private readonly maxEntries = 2_000,
  ) {}

  /**
   * A client built from credentials that changed (new kubeconfig, disabled, deleted) is closed: on this replica at once
   * (domain events) and on the others when the change arrives over LISTEN/NOTIFY. Returns the unsubscribe of the
   * cross-replica part.
   */
  listenTo(domainEvents: DomainEventSource, bus: EventBus): () => void {
    domainEvents.on('cluster.credentialsChanged', ({ clusterId }) => this.drop(clusterId));
    domainEvents.on('cluster.deleted', ({ clusterId }) => this.drop(clusterId));
    return bus.subscribe((e) => {
      if (e.type === 'cluster.changed' && (e.change === 'deleted' || e.change === 'updated')) this.drop(e.clusterId);
    });
  }

  /** The client for `clusterId` built from `ciphertext` (the stored, encrypted kubeconfig). */
  get(clusterId: number, ciphertext: string): KubeClient {
    const hit = this.entries.get(clusterId);
    if (hit && hit.ciphertext === ciphertext) {
      // Re-insert to keep Map order = recency, so eviction takes the oldest cheaply.
      this.entries.delete(clusterId);
      this.entries.set(clusterId, hit);
      return hit.client;
    }
    if (hit) this.drop(clusterId);
    const client = createKubeClient(parseKubeconfig(this.cipher.decrypt(ciphertext)), this.options);
    this.entries.set(clusterId, { ciphertext, client });
    while (this.entries.size > this.maxEntries) this.drop(this.entries.keys().next().value!);
    return client;
  }

  drop(clusterId: number): void {
    const entry = this.entries.get(clusterId);
    if (!entry) return;
    this.entries.delete(clusterId);
    entry.client.close();
  }

  size(): number {
    return this.entries.size;
  }

  openSockets(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.client.openSockets();
    return n;
  }

  closeAll(): void {
    for (const id of [...this.entries.keys()]) this.drop(id);
  }
}
