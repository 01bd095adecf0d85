import { requireAdmin, type Caller } from '../auth/principal.js';
import type { DomainEventPublisher } from '../events/domain-events.js';
import type { ClusterImportCommand, ClusterImportService, ImportOutcomeValue, ImportPlanItem, ImportResultItem } from './cluster-import.service.js';

/** Kubeconfig import for every transport (GraphQL, REST, the start-up file): global admins only. */
export class ClusterImportManager {
  constructor(
    private readonly importer: ClusterImportService,
    private readonly domainEvents: DomainEventPublisher,
  ) {}

  /** What applying would do, per context, with each server probed (bounded concurrency). Changes nothing. */
  async plan(caller: Caller, cmd: ClusterImportCommand): Promise<ImportPlanItem[]> {
    requireAdmin(caller);
    // access: creating clusters is a global-admin right; no per-cluster role applies to a cluster that does not exist yet.
    return this.importer.plan(cmd);
  }

  /** Applies the plan; one result per context. Emits `clusters.imported` (audit) with the counts, never credentials. */
  async apply(caller: Caller, cmd: ClusterImportCommand): Promise<ImportResultItem[]> {
    const principal = requireAdmin(caller);
    const results = await this.importer.apply(cmd);
    await this.domainEvents.emit('clusters.imported', { actor: principal.subject, outcomes: countOutcomes(results) });
    return results;
  }
}

export function countOutcomes(results: readonly ImportResultItem[]): Record<ImportOutcomeValue, number> {
  const counts: Record<ImportOutcomeValue, number> = { created: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 };
  for (const r of results) counts[r.outcome]++;
  return counts;
}
