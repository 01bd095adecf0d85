import { requireAdmin, type Caller } from '../auth/principal.js';
import type { AuditedCaller, AuditedWrites } from '../audit/audited-writes.js';
import type { ClusterImportCommand, ClusterImportService, ImportOutcomeValue, ImportPlanItem, ImportResultItem } from './cluster-import.service.js';

/** Kubeconfig import for every transport (GraphQL, REST, the start-up file): global admins only. */
export class ClusterImportManager {
  constructor(
    private readonly importer: ClusterImportService,
    private readonly writes: AuditedWrites,
  ) {}

  /** What applying would do, per context, with each server probed (bounded concurrency). Changes nothing. */
  async plan(caller: Caller, cmd: ClusterImportCommand): Promise<ImportPlanItem[]> {
    requireAdmin(caller);
    // access: creating clusters is a global-admin right; no per-cluster role applies to a cluster that does not exist yet.
    return this.importer.plan(cmd);
  }

  /**
   * Applies the plan; one result per context. Refused in read-only mode; one audit event per attempt whose target ends
   * with the counts (`created=2 updated=0 …`), never a context name, a server or a credential. The clusters it creates
   * are not audited one by one: the import is the user's one write.
   */
  async apply(caller: AuditedCaller, cmd: ClusterImportCommand): Promise<ImportResultItem[]> {
    return this.writes.run(caller, { action: 'cluster.import', detailOf: importSummary }, () => {
      requireAdmin(caller);
      return this.importer.apply(cmd);
    });
  }
}

/** `created=3 updated=0 …`: counts only. */
function importSummary(results: readonly ImportResultItem[]): string {
  return Object.entries(countOutcomes(results))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

export function countOutcomes(results: readonly ImportResultItem[]): Record<ImportOutcomeValue, number> {
  const counts: Record<ImportOutcomeValue, number> = { created: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 };
  for (const r of results) counts[r.outcome]++;
  return counts;
}
