import type { ClusterService, ConnectionVerifier } from '../clusters/cluster.service.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import { clusterNameProblem } from '../clusters/cluster.validation.js';
import { DomainError, ValidationError } from '../errors.js';
import { parseKubeconfig, type KubeconfigSpec } from '../kube/kubeconfig.js';
import type { Logger } from '../logger.js';
import { decodeImportInput, type ImportContext, sameAccess, splitKubeconfig } from './kubeconfig-contexts.js';

export const IMPORT_ACTIONS = ['create', 'update', 'unchanged', 'skip'] as const;
export const IMPORT_OUTCOMES = ['created', 'updated', 'unchanged', 'skipped', 'failed'] as const;
export type ImportActionValue = (typeof IMPORT_ACTIONS)[number];
export type ImportOutcomeValue = (typeof IMPORT_OUTCOMES)[number];

export interface ClusterImportCommand {
  /** Kubeconfig YAML, or base64 of it. */
  kubeconfig: string;
  requireBase64?: boolean;
  /** Only these contexts (by name); all when absent. */
  contexts?: string[];
  labels?: Readonly<Record<string, string>>;
  namePrefix?: string;
  /** Replace the credentials of an existing cluster of the same name and server; otherwise such a context is skipped. */
  updateExisting?: boolean;
  setDefaultFromCurrentContext?: boolean;
}

export interface ImportPlanItem {
  context: string;
  name: string;
  server: string | null;
  action: ImportActionValue;
  reason: string | null;
  /** Whether the server answered as Kubernetes (null: not probed, e.g. skipped). */
  reachable: boolean | null;
  kubernetesVersion: string | null;
  existingClusterId: number | null;
}

export interface ImportResultItem {
  context: string;
  name: string;
  outcome: ImportOutcomeValue;
  clusterId: number | null;
  message: string | null;
}

/** A plan item with what applying it needs (never leaves this module: it holds the credentials). */
interface Planned extends ImportPlanItem {
  source?: { yaml(): string; spec: KubeconfigSpec };
}

/** The connection test's paths the import uses: the full pre-save test (apply) and the quick reach (plan). */
export interface ImportProber extends ConnectionVerifier {
  reach(spec: KubeconfigSpec): Promise<{ kubernetesVersion: string }>;
}

export interface ClusterImportOptions {
  /** Contexts probed (plan) or applied at once; each probe is bounded by the connection test's deadline. */
  concurrency: number;
}

/**
 * Imports the contexts of one kubeconfig as clusters. `plan` says per context what `apply` would do (and whether its
 * server answers); `apply` does it, one context at a time per worker, so a context that fails is a FAILED row and
 * never stops the others. Re-applying the same file finds every cluster UNCHANGED: existing clusters are compared by
 * server and credentials, decrypted in memory, never stored in another form.
 */
export class ClusterImportService {
  constructor(
    private readonly registry: ClusterService,
    private readonly verifier: ImportProber,
    private readonly logger: Logger,
    private readonly opts: ClusterImportOptions,
  ) {}

  async plan(cmd: ClusterImportCommand): Promise<ImportPlanItem[]> {
    const { items } = await this.prepare(cmd);
    await mapBounded(items, this.opts.concurrency, async (item) => {
      if (item.action === 'skip' || !item.source) return;
      try {
        const { kubernetesVersion } = await this.verifier.reach(item.source.spec);
        Object.assign(item, { reachable: true, kubernetesVersion });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        Object.assign(item, { reachable: false, reason: `the server did not answer: ${err.detail}` });
      }
    });
    return items.map(publicItem);
  }

  async apply(cmd: ClusterImportCommand): Promise<ImportResultItem[]> {
    const { items, currentContext } = await this.prepare(cmd);
    const results = await mapBounded(items, this.opts.concurrency, (item) => this.applyOne(item, cmd));
    if (cmd.setDefaultFromCurrentContext && currentContext !== null) {
      const current = results.find((r) => r.context === currentContext && r.clusterId !== null && r.outcome !== 'failed');
      if (current) await this.makeDefault(current);
    }
    return results;
  }

  private async applyOne(item: Planned, cmd: ClusterImportCommand): Promise<ImportResultItem> {
    const base = { context: item.context, name: item.name };
    try {
      switch (item.action) {
        case 'skip':
          return { ...base, outcome: 'skipped', clusterId: item.existingClusterId, message: item.reason };
        case 'unchanged':
          return { ...base, outcome: 'unchanged', clusterId: item.existingClusterId, message: null };
        case 'create': {
          // C3's own path: the cluster is reached before it is saved, so an unreachable context is FAILED, not stored.
          const { cluster } = await this.registry.register({ name: item.name, kubeconfig: item.source!.yaml(), labels: cmd.labels });
          return { ...base, outcome: 'created', clusterId: cluster.id, message: null };
        }
        case 'update': {
          // Working credentials are not replaced by ones that cannot reach the cluster.
          await this.verifier.verifyBeforeSave(item.source!.spec);
          const cluster = await this.registry.update(item.existingClusterId!, { kubeconfig: item.source!.yaml() });
          return { ...base, outcome: 'updated', clusterId: cluster.id, message: null };
        }
      }
    } catch (err) {
      if (err instanceof DomainError) return { ...base, outcome: 'failed', clusterId: item.existingClusterId, message: err.message };
      this.logger.error({ err, context: item.context }, 'importing a kubeconfig context failed unexpectedly');
      return { ...base, outcome: 'failed', clusterId: item.existingClusterId, message: 'internal error (see the gateway log)' };
    }
  }

  private async makeDefault(result: ImportResultItem): Promise<void> {
    const cluster = await this.registry.get(result.clusterId!);
    if (cluster.isDefault) return;
    await this.registry.update(cluster.id, { isDefault: true });
    result.message = [result.message, 'now the default cluster (current-context)'].filter(Boolean).join('; ');
  }

  /** Everything but probing: names, duplicates, credentials rules, and the comparison with existing clusters. */
  private async prepare(cmd: ClusterImportCommand): Promise<{ items: Planned[]; currentContext: string | null }> {
    const prefix = cmd.namePrefix ?? '';
    if (prefix.length > 50) throw new ValidationError('namePrefix', 'must be at most 50 characters');
    if (prefix !== '' && clusterNameProblem(`${prefix}x`)) throw new ValidationError('namePrefix', clusterNameProblem(`${prefix}x`)!);
    const split = splitKubeconfig(decodeImportInput(cmd.kubeconfig, { requireBase64: cmd.requireBase64 }));
    let contexts = split.contexts;
    if (cmd.contexts) {
      const missing = cmd.contexts.filter((name) => !contexts.some((c) => c.context === name));
      if (missing.length) throw new ValidationError('contexts', `names context(s) not in the kubeconfig: ${missing.map((m) => `"${m}"`).join(', ')}`);
      contexts = contexts.filter((c) => cmd.contexts!.includes(c.context));
    }
    const existing = new Map((await this.registry.list()).items.map((c) => [nameKey(c.name), c]));
    const firstByName = new Map<string, string>();
    const items: Planned[] = [];
    for (const ctx of contexts) items.push(await this.planOne(ctx, `${prefix}${ctx.context}`.normalize('NFC').trim(), existing, firstByName, cmd));
    return { items, currentContext: split.currentContext };
  }

  private async planOne(
    ctx: ImportContext,
    name: string,
    existing: Map<string, ClusterView>,
    firstByName: Map<string, string>,
    cmd: ClusterImportCommand,
  ): Promise<Planned> {
    const item: Planned = {
      context: ctx.context,
      name,
      server: ctx.ok ? ctx.spec.server : (ctx.server ?? null),
      action: 'skip',
      reason: null,
      reachable: null,
      kubernetesVersion: null,
      existingClusterId: null,
    };
    const nameProblem = clusterNameProblem(name);
    if (nameProblem) return { ...item, reason: `cluster name "${name}" ${nameProblem}` };
    const earlier = firstByName.get(nameKey(name));
    if (earlier !== undefined) return { ...item, reason: `duplicate of context "${earlier}" earlier in the file (same cluster name "${name}")` };
    firstByName.set(nameKey(name), ctx.context);
    if (!ctx.ok) return { ...item, reason: ctx.problem };

    const source = { yaml: ctx.yaml, spec: ctx.spec };
    const found = existing.get(nameKey(name));
    if (!found) return { ...item, action: 'create', source };
    const withId = { ...item, existingClusterId: found.id, source };
    let stored: KubeconfigSpec;
    try {
      stored = parseKubeconfig(await this.registry.kubeconfig(found.id));
    } catch {
      return { ...withId, reason: `the name is taken by cluster ${found.id}, whose stored kubeconfig cannot be read (encryption key?)` };
    }
    if (stored.server !== ctx.spec.server) {
      return {
        ...withId,
        reason: `the name is taken by cluster ${found.id} ("${found.name}"), which points at a different server (${stored.server})`,
      };
    }
    if (sameAccess(stored, ctx.spec)) return { ...withId, action: 'unchanged' };
    if (cmd.updateExisting) return { ...withId, action: 'update', reason: 'replaces the stored credentials' };
    return { ...withId, reason: `cluster ${found.id} exists for this server with other credentials; set updateExisting to replace them` };
  }
}

const nameKey = (name: string) => name.toLowerCase();

function publicItem({ source: _credentials, ...item }: Planned): ImportPlanItem {
  return item;
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
