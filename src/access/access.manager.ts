import { isAdmin, requireUser, type Caller, type Principal } from '../auth/principal.js';
import { clusterNotFound } from '../clusters/cluster.repository.js';
import { parseClusterId } from '../clusters/cluster.validation.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import { type AuditedCaller, AuditedWrites } from '../audit/audited-writes.js';
import { BatchLoader } from '../util/batch-loader.js';
import type { ClusterGrantView, GrantsRepository } from './grants.repository.js';
import { ReadOnlyGuard } from './read-only.js';
import { CLUSTER_ROLES, type ClusterRoleValue, type DefaultClusterRole, highestRole, roleAtLeast, SUBJECT_KINDS } from './roles.js';

/** grantClusterAccess / POST …/grants, as the transports pass it (raw: this manager validates). */
export interface GrantInput {
  clusterId: string | number;
  subject: unknown;
  subjectKind: unknown;
  role: unknown;
}

/** The longest subject (user `sub` or group name) a grant may name; the column is varchar(256) to match. */
export const GRANT_SUBJECT_MAX_LENGTH = 256;
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/**
 * The access model (DESIGN.md "Access"): a caller's role on a cluster is ADMIN for global admins, else the highest of
 * its user grant, its group grants and DEFAULT_CLUSTER_ROLE. No role means the cluster does not exist for the caller:
 * `requireRole` answers exactly what a missing cluster answers. Every other manager asks here; nothing caches a
 * decision beyond one batch, so a revoked grant takes effect on the very next request or pushed update.
 */
export class AccessManager {
  /**
   * Role checks of one request (every list item's `myRole`, every alias) are one query: a BatchLoader per request
   * context (per subscription on WebSocket), gone with it. It remembers nothing after a batch is answered.
   */
  private readonly grantRoles = new WeakMap<object, BatchLoader<number, ClusterRoleValue>>();

  constructor(
    private readonly grants: GrantsRepository,
    private readonly defaultRole: DefaultClusterRole,
    /** Read-only refusal and one audit event per grant or revocation attempt; the default (trusted in-process use) is writable and unaudited. */
    private readonly writes = new AuditedWrites(new ReadOnlyGuard(false)),
  ) {}

  /** The caller's role on a cluster, or null (the cluster does not exist for it). Does not check the cluster exists. */
  async roleOn(caller: Caller, clusterId: number): Promise<ClusterRoleValue | null> {
    const principal = requireUser(caller);
    if (isAdmin(caller)) return 'admin';
    const fallback = this.defaultRole === 'none' ? null : this.defaultRole;
    const granted = await this.grantRoleOf(caller, principal, clusterId);
    return highestRole([granted ?? null, fallback]);
  }

  /**
   * The caller's role if it is at least `min`. No role: NotFoundError, word for word what a missing cluster gets
   * ("cluster N not found"), never FORBIDDEN; a role below `min`: ForbiddenError naming the role needed.
   */
  async requireRole(caller: Caller, clusterId: number, min: ClusterRoleValue): Promise<ClusterRoleValue> {
    const role = await this.roleOn(caller, clusterId);
    if (role === null) throw clusterNotFound(clusterId);
    if (!roleAtLeast(role, min)) throw new ForbiddenError(`this operation requires the ${min} role on cluster ${clusterId}`);
    return role;
  }

  /**
   * `requireRole` for callers that need the check, not the role: when the caller's floor (global admin, or
   * DEFAULT_CLUSTER_ROLE) already reaches `min`, no grant is read, since grants only ever raise a role.
   */
  async requireAtLeast(caller: Caller, clusterId: number, min: ClusterRoleValue): Promise<void> {
    requireUser(caller);
    if (roleAtLeast(this.floorOf(caller), min)) return;
    await this.requireRole(caller, clusterId, min);
  }

  /** Whether the cluster exists for the caller (any role); reads grants only when the caller's floor is no role. */
  async sees(caller: Caller, clusterId: number): Promise<boolean> {
    requireUser(caller);
    return this.floorOf(caller) !== null || (await this.roleOn(caller, clusterId)) !== null;
  }

  /** The role a caller holds on every cluster whatever its grants: admin for global admins, else DEFAULT_CLUSTER_ROLE. */
  private floorOf(caller: Caller): ClusterRoleValue | null {
    if (isAdmin(caller)) return 'admin';
    return this.defaultRole === 'none' ? null : this.defaultRole;
  }

  /** Every cluster (`'all'`: global admins, or DEFAULT_CLUSTER_ROLE viewer), else the ids the caller holds a grant on. */
  async visibleClusters(caller: Caller): Promise<'all' | ReadonlySet<number>> {
    const principal = requireUser(caller);
    if (this.seesEveryCluster(caller)) return 'all';
    return new Set((await this.grants.rolesOf(principal)).keys());
  }

  /** True when the caller sees every live cluster (so one rendered list answer fits it and everyone alike). */
  seesEveryCluster(caller: Caller): boolean {
    return caller.principal !== null && (isAdmin(caller) || this.defaultRole !== 'none');
  }

  /** Cluster.grants, GET …/grants: cluster admins only. */
  async listGrants(caller: Caller, rawClusterId: string | number, field = 'clusterId'): Promise<ClusterGrantView[]> {
    const clusterId = parseClusterId(rawClusterId, field);
    await this.requireRole(caller, clusterId, 'admin');
    return this.grants.listForCluster(clusterId);
  }

  /**
   * `Cluster.grants` on a cluster the caller already reads: its grants for cluster admins, empty for everyone else.
   * Empty rather than FORBIDDEN because the field sits inside lists: one error would null the whole `clusters` answer.
   */
  async grantsShownTo(caller: Caller, clusterId: number): Promise<ClusterGrantView[]> {
    return roleAtLeast(await this.roleOn(caller, clusterId), 'admin') ? this.grants.listForCluster(clusterId) : [];
  }

  /** grantClusterAccess / POST …/grants: creates the grant, or changes the role of the subject's existing one. */
  async grant(caller: AuditedCaller, input: GrantInput, clusterIdField = 'clusterId'): Promise<ClusterGrantView> {
    const spec = {
      action: 'access.grant',
      clusterId: input.clusterId,
      detailOf: (g: ClusterGrantView) => `grant ${g.id} ${g.subjectKind}:${g.subject}=${g.role}`,
    };
    return this.writes.run(caller, spec, async () => {
      const principal = requireUser(caller);
      const clusterId = parseClusterId(input.clusterId, clusterIdField);
      const subject = parseSubject(input.subject);
      const subjectKind = parseChoice(input.subjectKind, SUBJECT_KINDS, 'subjectKind');
      const role = parseChoice(input.role, CLUSTER_ROLES, 'role');
      await this.requireRole(caller, clusterId, 'admin');
      const grant = await this.grants.upsert({ clusterId, subject, subjectKind, role, createdBy: principal.subject });
      if (!grant) throw clusterNotFound(clusterId);
      return grant;
    });
  }

  /**
   * revokeClusterAccess / DELETE …/grants/:grantId. A grant on a cluster the caller cannot see is "not found" like any
   * absent grant; `inCluster` (REST's path) must match the grant's cluster.
   */
  async revoke(caller: AuditedCaller, rawGrantId: string | number, opts: { inCluster?: string | number; field?: string } = {}): Promise<void> {
    const spec = {
      action: 'access.revoke',
      clusterId: opts.inCluster,
      clusterOf: (g: ClusterGrantView) => ({ id: g.clusterId }),
      detailOf: (g: ClusterGrantView) => `grant ${g.id} ${g.subjectKind}:${g.subject}`,
    };
    await this.writes.run(caller, spec, async () => {
      requireUser(caller);
      const expectedCluster = opts.inCluster === undefined ? undefined : parseClusterId(opts.inCluster, 'id');
      const grantId = parseId(rawGrantId, opts.field ?? 'id');
      const existing = await this.grants.findById(grantId);
      const notFound = new NotFoundError(`grant ${rawGrantId} not found`);
      if (!existing || (expectedCluster !== undefined && existing.clusterId !== expectedCluster)) throw notFound;
      if ((await this.roleOn(caller, existing.clusterId)) === null) throw notFound;
      await this.requireRole(caller, existing.clusterId, 'admin');
      const deleted = await this.grants.delete(grantId);
      if (!deleted) throw notFound;
      return deleted;
    });
  }

  private grantRoleOf(caller: Caller, principal: Principal, clusterId: number): Promise<ClusterRoleValue | undefined> {
    let loader = this.grantRoles.get(caller);
    if (!loader) this.grantRoles.set(caller, (loader = new BatchLoader((ids) => this.highestGrantRoles(principal, ids))));
    return loader.load(clusterId);
  }

  private async highestGrantRoles(holder: Principal, clusterIds: number[]): Promise<Map<number, ClusterRoleValue>> {
    const roles = await this.grants.rolesOf(holder, clusterIds);
    return new Map([...roles].map(([id, list]) => [id, highestRole(list)!]));
  }
}

function parseSubject(raw: unknown): string {
  if (typeof raw !== 'string') throw new ValidationError('subject', 'must be a string');
  const subject = raw.trim();
  if (subject === '') throw new ValidationError('subject', 'is required (a user id or a group name)');
  if ([...subject].length > GRANT_SUBJECT_MAX_LENGTH) throw new ValidationError('subject', `must be at most ${GRANT_SUBJECT_MAX_LENGTH} characters`);
  if (CONTROL.test(subject)) throw new ValidationError('subject', 'must not contain control or invisible characters');
  return subject;
}

function parseChoice<V extends string>(raw: unknown, choices: readonly V[], field: string): V {
  if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw))
    throw new ValidationError(field, `must be one of ${choices.join(', ')}`);
  return raw as V;
}

function parseId(raw: string | number, field: string): number {
  const text = String(raw).trim();
  if (!/^\d{1,30}$/.test(text) || Number(text) < 1) throw new ValidationError(field, 'must be a positive integer');
  const id = Number(text);
  if (id > 2_147_483_647) throw new NotFoundError(`grant ${text} not found`);
  return id;
}
