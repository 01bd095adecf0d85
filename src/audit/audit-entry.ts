/**
 * One audited write, as every producer hands it over (cluster writes through AuditedWrites, the proxy for proxied
 * non-read requests, grants, tokens, webhooks, imports). It names who did what to which cluster and how it ended —
 * never a request body, a header value or a credential: producers pass identifiers and paths only.
 */
export interface AuditEntry {
  /** The token's `sub`. */
  actor: string;
  /** Dotted `<domain>.<verb>`, e.g. `cluster.update`; the list of names is in the README's audit section. */
  action: string;
  clusterId?: number | null;
  /** The name at the time of the write, kept because a deleted cluster's row no longer explains the id. */
  clusterName?: string | null;
  /** What was acted on: `PUT /api/v1/k8s/clusters/5`, `mutation updateCluster`, a proxied resource path. */
  target?: string | null;
  /** HTTP-like status: 200/201/202 on success, else the status the caller was answered with (403, 404, 409 …). */
  outcome: number;
  requestId?: string | null;
  sourceIp?: string | null;
}

/** A stored audit event. */
export interface AuditEventView {
  id: string;
  at: Date;
  actor: string;
  action: string;
  clusterId: number | null;
  clusterName: string | null;
  target: string | null;
  outcome: number;
  requestId: string | null;
  sourceIp: string | null;
}

// Bounds on what a producer can make us store: the fields are identifiers, never documents.
const LIMITS = { actor: 256, action: 64, clusterName: 253, target: 512, requestId: 64, sourceIp: 64 } as const;
/** The bound on a stored cluster name, for rows built in SQL (audit.repository.ts `appendFrom`). */
export const CLUSTER_NAME_CAP = LIMITS.clusterName;
const cap = (v: string | null | undefined, max: number): string | null => (v === undefined || v === null ? null : v.slice(0, max));

/** An entry as it is stored: every text bounded, absent fields null. */
export type StoredAuditEntry = Omit<AuditEventView, 'id' | 'at'>;

export function boundedEntry(e: AuditEntry): StoredAuditEntry {
  return {
    actor: e.actor.slice(0, LIMITS.actor),
    action: e.action.slice(0, LIMITS.action),
    clusterId: e.clusterId ?? null,
    clusterName: cap(e.clusterName, LIMITS.clusterName),
    target: cap(e.target, LIMITS.target),
    outcome: e.outcome,
    requestId: cap(e.requestId, LIMITS.requestId),
    sourceIp: cap(e.sourceIp, LIMITS.sourceIp),
  };
}
