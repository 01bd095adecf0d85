import { ForbiddenError } from '../errors.js';

/**
 * A write refused because the gateway runs with READ_ONLY=true. It is a FORBIDDEN (403) like any refusal, with a
 * `reason` both transports expose (REST envelope `reason`, GraphQL `extensions.reason`) so clients can tell it apart
 * from a missing role. The message is the contract's wording.
 */
export class ReadOnlyError extends ForbiddenError {
  readonly reason = 'READ_ONLY';
  constructor() {
    super('只读模式已启用');
  }
}

/**
 * The read-only switch (READ_ONLY). Every manager write asks it through AuditedWrites before it changes anything
 * (cluster writes, C7, grants, webhooks, imports), and the proxy for every non-read verb. C6 and issuing or revoking a
 * kubeconfig token are allowed (audit/audited-writes.ts `allowedWhenReadOnly`). Reads never consult it, and
 * neither does the gateway's own bookkeeping (health probes, discovery leases, audit rows, pruning): read-only
 * freezes what users can change, not what the gateway observes.
 */
export class ReadOnlyGuard {
  constructor(readonly enabled: boolean) {}

  assertWritable(): void {
    if (this.enabled) throw new ReadOnlyError();
  }
}
