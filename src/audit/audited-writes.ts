import type { SQL } from 'drizzle-orm';
import type { ReadOnlyGuard } from '../access/read-only.js';
import { requireUser, type Caller, type RequestContext } from '../auth/principal.js';
import { clusterNameProblem, parseClusterId } from '../clusters/cluster.validation.js';
import { isConnectionError } from '../db/errors.js';
import { DomainError, HTTP_STATUS_BY_CODE } from '../errors.js';
import type { DomainEventPublisher } from '../events/domain-events.js';
import type { AuditEntry } from './audit-entry.js';

/** The caller as transports build it: the request's id, peer address and target travel along for the audit log. */
export type AuditedCaller = Caller & Partial<Pick<RequestContext, 'requestId' | 'sourceIp' | 'target'>>;

/** How one kind of write is audited. */
export interface WriteSpec<T> {
  /** The audit action, e.g. `cluster.update`. */
  action: string;
  /** The cluster written to, as the client named it (a malformed id is still an audited attempt, without a cluster). */
  clusterId?: string | number;
  /** For writes that create a cluster: the name asked for (recorded on failure when it is a valid name). */
  requestedName?: string;
  /** Status recorded on success: 200 unless the transports answer 201 / 202. */
  successStatus?: 200 | 201 | 202;
  /**
   * The cluster the write produced, renamed or turned out to concern (a revoked token's cluster), recorded instead of
   * the one named before it ran; without a name the live cluster's name is looked up.
   */
  clusterOf?: (result: T) => { id: number; name?: string | null } | null;
  /**
   * What the write made, appended to the target on success (`grant 12 user:bob=editor`, `webhook 3`): identifiers and
   * validated values from the result only — never the input, which may carry anything (failures record the target alone).
   */
  detailOf?: (result: T) => string;
  /**
   * Allowed in read-only mode. Only for writes that change nothing a user configured and widen no one's power: C6 (it
   * refreshes observed health), issuing a kubeconfig (the proxy refuses its non-read verbs in read-only mode anyway)
   * and revoking one (a leaked credential must stay revocable during a freeze). See the README's read-only section.
   */
  allowedWhenReadOnly?: true;
}

/** Builds the INSERT of an audit event for a write to run in its own statement or transaction (AuditManager). */
export interface InlineAudit {
  /** One event per row of `source`, a relation whose columns `id` and `name` name the cluster written. */
  recordFrom(entry: AuditEntry, source: SQL): SQL;
}

/**
 * Handed to a write that produces a cluster (`clusterOf`): its success's audit event as SQL, so the event commits with
 * the change itself (one statement, nothing half-written, no round trip after). Use it only in the write's last
 * statement or transaction: once the write resolves, the event counts as stored and is not recorded again; when the
 * write throws, the failure is recorded as usual (the statement that carried the event committed nothing, or had no
 * row to record).
 */
export interface WriteAudit {
  /** An INSERT of the success event, one per row of `source` (columns `id`, `name`: the cluster written). */
  successFrom(source: SQL): SQL;
}

/** The outcome of a failed write as the caller saw it: the status both transports map the error to. */
export function outcomeOf(err: unknown): number {
  if (err instanceof DomainError) return HTTP_STATUS_BY_CODE[err.code] ?? 500;
  return isConnectionError(err) ? 503 : 500;
}

/**
 * The one door every user-initiated write goes through, in the managers: refuses it in read-only mode, runs it, and
 * raises one `write.attempted` domain event with the outcome — success or failure alike — which the audit domain
 * records (AuditManager.listenTo). A wrapper rather than per-domain events because a failed write (403, 404, 409 …)
 * commits nothing and so raises no domain event of its own, yet must be audited; and because only the manager holds
 * both the caller and the outcome. Callers without a valid token are refused (401) before anything is recorded:
 * there is no actor to name. A write may instead store its success's event in its own statement (`WriteAudit`); then
 * no `write.attempted` is raised for it.
 */
export class AuditedWrites {
  constructor(
    readonly readOnly: ReadOnlyGuard,
    private readonly events?: DomainEventPublisher,
    /** The live cluster's name, so an event names the cluster even when the write failed or deleted it. */
    private readonly clusterName: (id: number) => Promise<string | null> = async () => null,
    /** Stores a success's event inside the write's own statement (AuditManager); without it every event goes by `events`. */
    private readonly inline?: InlineAudit,
  ) {}

  async run<T>(caller: AuditedCaller, spec: WriteSpec<T>, write: (audit?: WriteAudit) => Promise<T>): Promise<T> {
    const principal = requireUser(caller);
    const entry: AuditEntry = {
      actor: principal.subject,
      action: spec.action,
      clusterId: recordableClusterId(spec.clusterId),
      clusterName: spec.requestedName !== undefined && clusterNameProblem(spec.requestedName) === undefined ? spec.requestedName.trim() : null,
      target: caller.target ?? null,
      outcome: 500,
      requestId: caller.requestId ?? null,
      sourceIp: caller.sourceIp ?? null,
    };
    // A write that names the cluster it produced (clusterOf) has its name looked up only when the result does not
    // carry it, after the write: the common success costs no read. A write without one (a delete) reads it first.
    const lateName = spec.clusterOf !== undefined;
    let storedByWrite = false;
    const inline = this.inline;
    const audit: WriteAudit | undefined =
      inline && spec.clusterOf && !spec.detailOf
        ? {
            successFrom: (source) => {
              storedByWrite = true;
              return inline.recordFrom({ ...entry, outcome: spec.successStatus ?? 200 }, source);
            },
          }
        : undefined;
    try {
      if (entry.clusterId && !lateName) entry.clusterName = await this.clusterName(entry.clusterId);
      if (!spec.allowedWhenReadOnly) this.readOnly.assertWritable();
      const result = await write(audit);
      if (storedByWrite) return result;
      const produced = spec.clusterOf?.(result);
      if (produced) Object.assign(entry, { clusterId: produced.id, clusterName: produced.name ?? (await this.clusterName(produced.id)) });
      else if (entry.clusterId && lateName) entry.clusterName = await this.clusterName(entry.clusterId);
      const detail = spec.detailOf?.(result);
      if (detail) entry.target = entry.target ? `${entry.target} → ${detail}` : detail;
      entry.outcome = spec.successStatus ?? 200;
      return result;
    } catch (err) {
      storedByWrite = false; // a failed write committed nothing, its audit row included
      entry.outcome = outcomeOf(err);
      if (entry.clusterId && lateName) entry.clusterName = await this.clusterName(entry.clusterId);
      throw err;
    } finally {
      // Handlers' failures are logged by DomainEvents, never turned into a failure of a write that already committed.
      if (!storedByWrite) await this.events?.emit('write.attempted', entry);
    }
  }
}

/** The id to record; the write itself parses (and refuses) a malformed one with its usual 400. */
function recordableClusterId(raw: string | number | undefined): number | null {
  if (raw === undefined) return null;
  try {
    return parseClusterId(raw);
  } catch {
    return null;
  }
}
