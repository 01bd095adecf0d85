import type { SQL } from 'drizzle-orm';
import { requireAdmin, type Caller } from '../auth/principal.js';
import type { PeriodicClaims } from '../db/periodic-claims.js';
import { ValidationError } from '../errors.js';
import type { DomainEventSource } from '../events/domain-events.js';
import type { Logger } from '../logger.js';
import { type AuditEntry, type AuditEventView, boundedEntry } from './audit-entry.js';
import type { AuditQuery, AuditRepository } from './audit.repository.js';
import type { InlineAudit } from './audited-writes.js';

export type { AuditEntry, AuditEventView } from './audit-entry.js';

/** Filters as clients send them: GraphQL gives typed values, REST strings; both are parsed here, once. */
export interface AuditFilter {
  clusterId?: string | number | null;
  actor?: string | null;
  action?: string | null;
  since?: Date | string | null;
  until?: Date | string | null;
}

export interface AuditPage {
  items: AuditEventView[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface AuditOptions {
  /** AUDIT_RETENTION_DAYS. */
  retentionDays: number;
  /** Who claims the pruning job (the replica id). */
  replicaId: string;
  /** How often pruning is due, across all replicas together. */
  pruneIntervalSeconds: number;
}

/** The names the page size and cursor go by on each transport (GraphQL `first`/`after`, REST `limit`/`cursor`). */
export interface PageArgNames {
  first: string;
  after: string;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;
const PRUNE_JOB = 'audit.prune';
const CURSOR_PREFIX = 'audit:';

/**
 * The audit log's application API: stores one event per write attempt (fed by the `write.attempted` domain event and
 * by producers that call `record` directly, such as the proxy), lets global admins page through it, and prunes it
 * after AUDIT_RETENTION_DAYS, once per interval across all replicas.
 */
export class AuditManager implements InlineAudit {
  private timer?: NodeJS.Timeout;
  private pruning?: Promise<unknown>;

  constructor(
    private readonly repo: AuditRepository,
    private readonly claims: PeriodicClaims,
    private readonly logger: Logger,
    private readonly options: AuditOptions,
  ) {}

  /** Appends one event (append-only: nothing updates or deletes an event except retention pruning). */
  async record(entry: AuditEntry): Promise<void> {
    await this.repo.append(boundedEntry(entry));
  }

  /** `record` as SQL, for a write to store its own event in its statement or transaction (AuditedWrites `WriteAudit`). */
  recordFrom(entry: AuditEntry, source: SQL): SQL {
    const { clusterId: _id, clusterName: _name, ...rest } = boundedEntry(entry);
    return this.repo.appendFrom(rest, source);
  }

  /**
   * Every write attempt raised on this replica becomes an event: the managers' writes through AuditedWrites
   * (`write.attempted`, refusals included) and the proxy's non-read requests (`proxy.forwarded`).
   */
  listenTo(events: DomainEventSource): () => void {
    const offs = [
      events.on('write.attempted', (entry) => this.record(entry)),
      // Proxied non-read requests: the proxy reports them itself once answered (it streams; no manager wraps it).
      events.on('proxy.forwarded', ({ entry: p }) =>
        this.record({
          actor: p.actor,
          action: `proxy.${p.verb}`,
          clusterId: p.clusterId,
          clusterName: p.clusterName,
          target: `${p.verb} ${p.path}`,
          outcome: p.status,
          requestId: p.requestId,
          sourceIp: p.sourceIp,
        }),
      ),
    ];
    return () => {
      for (const off of offs) off();
    };
  }

  /** `auditEvents` / `GET /api/v1/k8s/audit`: global admins only, newest first, opaque cursors. */
  async list(
    caller: Caller,
    filter: AuditFilter | null | undefined,
    first?: number | null,
    after?: string | null,
    names: PageArgNames = { first: 'first', after: 'after' },
  ): Promise<AuditPage> {
    requireAdmin(caller);
    const limit = parsePageSize(first, names.first);
    const query: AuditQuery = { ...parseFilter(filter ?? {}), limit: limit + 1 };
    if (after !== undefined && after !== null) query.beforeId = decodeCursor(after, names.after);
    const rows = await this.repo.page(query);
    const items = rows.slice(0, limit);
    const hasNextPage = rows.length > limit;
    return { items, pageInfo: { hasNextPage, endCursor: hasNextPage ? encodeCursor(items[items.length - 1]!.id) : null } };
  }

  /**
   * Deletes events older than the retention if this replica wins the interval's claim (a row in
   * `periodic_job_claims`, held for one interval); returns how many went, or null when another replica holds the
   * claim. So N replicas prune once per interval in total.
   */
  async prune(): Promise<number | null> {
    if (!(await this.claims.claim(PRUNE_JOB, this.options.replicaId, this.options.pruneIntervalSeconds))) return null;
    const deleted = await this.repo.deleteOlderThan(this.options.retentionDays);
    if (deleted > 0) this.logger.info({ deleted, retentionDays: this.options.retentionDays }, 'pruned audit events past their retention');
    return deleted;
  }

  /** Tries to prune now and then every interval; a failed attempt is logged and retried at the next tick. */
  startPruning(): void {
    const tick = () => {
      this.pruning = this.prune().catch((err) => this.logger.warn({ err }, 'audit pruning failed; retrying next interval'));
    };
    tick();
    this.timer = setInterval(tick, this.options.pruneIntervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.pruning;
  }
}

function parsePageSize(first: number | null | undefined, field: string): number {
  if (first === undefined || first === null) return DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw new ValidationError(field, `must be an integer from 1 to ${MAX_PAGE}`);
  return first;
}

const MAX_INT32 = 2_147_483_647;

function parseFilter(f: AuditFilter): Omit<AuditQuery, 'limit'> {
  const q: Omit<AuditQuery, 'limit'> = {};
  if (f.clusterId !== undefined && f.clusterId !== null) {
    const text = String(f.clusterId).trim();
    if (!/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > MAX_INT32)
      throw new ValidationError('clusterId', 'must be a positive integer');
    q.clusterId = Number(text);
  }
  if (f.actor !== undefined && f.actor !== null) q.actor = boundedText(f.actor, 'actor', 256);
  if (f.action !== undefined && f.action !== null) q.action = boundedText(f.action, 'action', 64);
  if (f.since !== undefined && f.since !== null) q.since = parseTime(f.since, 'since');
  if (f.until !== undefined && f.until !== null) q.until = parseTime(f.until, 'until');
  if (q.since && q.until && q.since > q.until) throw new ValidationError('until', 'must not be before since');
  return q;
}

function boundedText(v: string, field: string, max: number): string {
  if (v.length === 0 || v.length > max) throw new ValidationError(field, `must be 1-${max} characters`);
  return v;
}

// RFC 3339 with an explicit zone: a bare date-time would be read in the server's time zone.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

function parseTime(v: Date | string, field: string): Date {
  const d = typeof v === 'string' && RFC3339.test(v) ? new Date(v) : v instanceof Date ? v : undefined;
  if (!d || Number.isNaN(d.getTime())) throw new ValidationError(field, 'must be an RFC 3339 time, e.g. 2025-10-17T10:30:00Z');
  return d;
}

function encodeCursor(id: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${id}`).toString('base64url');
}

function decodeCursor(cursor: string, field: string): number {
  const text = cursor.length <= 64 ? Buffer.from(cursor, 'base64url').toString() : '';
  const m = /^audit:(\d{1,15})$/.exec(text);
  if (!m) throw new ValidationError(field, 'is not a cursor this endpoint returned');
  return Number(m[1]);
}
