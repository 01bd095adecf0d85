import { clusterNotFound } from '../clusters/cluster.repository.js';
import { parseClusterId, parseClusterSelectorName } from '../clusters/cluster.validation.js';
import { NotFoundError } from '../errors.js';
import type { DomainEventSource } from '../events/domain-events.js';
import type { EventBus } from '../events/event-bus.js';
import type { KubeClientCache } from '../kube/client-cache.js';
import type { ProxyTarget, ProxyTargets } from './ports.js';
import type { ProxyTargetRow, ProxyTargetsRepository } from './proxy-targets.repository.js';

const MAX_CACHED = 5_000;

/**
 * Clusters as the proxy sees them, with their kube client (the shared client cache: one agent and TLS context per
 * cluster). Rows are cached per id / name / default and dropped on every cluster change, on this replica at once
 * (domain events) and on the others over LISTEN/NOTIFY, so a proxied request costs no database read in steady state.
 */
export class CachedProxyTargets implements ProxyTargets {
  private readonly rows = new Map<string, Promise<ProxyTargetRow | undefined>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly repo: ProxyTargetsRepository,
    private readonly clients: KubeClientCache,
    domainEvents: DomainEventSource,
    bus: EventBus,
  ) {
    const clear = () => this.rows.clear();
    const offs = [
      bus.subscribe((e) => {
        if (e.type === 'cluster.changed' && e.change !== 'health') clear();
      }),
      domainEvents.on('cluster.created', clear),
      domainEvents.on('cluster.updated', clear),
      domainEvents.on('cluster.deleted', clear),
    ];
    this.unsubscribe = () => offs.forEach((off) => off());
  }

  close(): void {
    this.unsubscribe();
  }

  async byId(rawId: string): Promise<ProxyTarget> {
    let id: number;
    try {
      id = parseClusterId(rawId);
    } catch {
      throw new NotFoundError(`cluster ${rawId.slice(0, 40)} not found`);
    }
    return this.toTarget(await this.row(`id:${id}`, () => this.repo.byId(id)), () => clusterNotFound(id));
  }

  async current(selector: { name?: string; id?: string }): Promise<ProxyTarget> {
    if (selector.id !== undefined) return this.byId(selector.id);
    if (selector.name !== undefined) {
      const name = parseClusterSelectorName(selector.name, 'cluster');
      return this.toTarget(
        await this.row(`name:${name.toLowerCase()}`, () => this.repo.byName(name)),
        () => new NotFoundError(`cluster "${name}" not found`),
      );
    }
    return this.toTarget(await this.row('default', () => this.repo.defaultCluster()), () => new NotFoundError('no default cluster is registered'));
  }

  private row(key: string, load: () => Promise<ProxyTargetRow | undefined>): Promise<ProxyTargetRow | undefined> {
    const hit = this.rows.get(key);
    if (hit) return hit;
    if (this.rows.size >= MAX_CACHED) this.rows.clear();
    const loading = load();
    this.rows.set(key, loading);
    // A failed read (database outage) is not remembered.
    loading.catch(() => this.rows.delete(key));
    return loading;
  }

  private toTarget(row: ProxyTargetRow | undefined, notFound: () => Error): ProxyTarget {
    if (!row) throw notFound();
    return { id: row.id, name: row.name, enabled: row.enabled, impersonate: row.impersonate, client: this.clients.get(row.id, row.ciphertext) };
  }
}
