import { randomUUID } from 'node:crypto';
import { isAdmin, requireUser, type Caller, type Principal } from '../auth/principal.js';
import { parseClusterId } from '../clusters/cluster.validation.js';
import type { ClusterView } from '../clusters/cluster.view.js';
import { ConflictError, NotFoundError, UnauthenticatedError } from '../errors.js';
import type { AuditedCaller, AuditedWrites } from '../audit/audited-writes.js';
import type { EventBus } from '../events/event-bus.js';
import type { ClusterAccess } from '../proxy/ports.js';
import { checkTtl, renderKubeconfig } from './issued-kubeconfig.js';
import type { IssuedTokenSigner } from './issued-token.js';
import { type AccessTokenView, isTokenId, type TokensRepository } from './tokens.repository.js';

export interface IssuedKubeconfig {
  kubeconfig: string;
  tokenId: string;
  expiresAt: Date;
}

/** Where issued kubeconfigs point: PUBLIC_URL and the CA of the gateway's HTTPS certificate (undefined: system roots). */
export interface PublicEndpoint {
  publicUrl: string;
  caPem: string | undefined;
}

export interface TokenManagerDeps {
  repo: TokensRepository;
  signer: IssuedTokenSigner;
  access: ClusterAccess;
  clusters: { get(id: number): Promise<ClusterView> };
  /** Issuing and revoking are audited writes, both allowed in read-only mode (README, "Read-only mode"). */
  writes: AuditedWrites;
  bus: EventBus;
  /** Undefined when the gateway serves no HTTPS and PUBLIC_URL is unset: nothing to point a kubeconfig at. */
  endpoint(): PublicEndpoint | undefined;
}

/** How long a "this jti is active" verdict is reused; a revocation clears it at once on every replica (NOTIFY). */
const ACTIVE_CACHE_MS = 30_000;
const ACTIVE_CACHE_MAX = 50_000;
/** last_used_at is written at most this often per token: it is a hint for people, not an audit trail. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Issued kubeconfigs and their tokens (DESIGN, Issued kubeconfigs): issue for a cluster the caller has any role on,
 * list one's own (global admins: all), revoke, and authenticate a token on the proxy (bound cluster, not revoked, not
 * expired) on every request.
 */
export class TokenManager {
  private readonly active = new Map<string, number>();
  /** Revocations seen on this replica: a lookup that raced one must not cache a stale "active" after it. */
  private readonly revoked = new Set<string>();
  private readonly touched = new Map<string, number>();
  private readonly stopListening: () => void;

  constructor(private readonly deps: TokenManagerDeps) {
    this.stopListening = deps.bus.subscribe((e) => {
      if (e.type === 'access.token.revoked') this.forget(e.jti);
    });
  }

  close(): void {
    this.stopListening();
  }

  async issue(
    caller: AuditedCaller,
    rawClusterId: string | number,
    ttlSeconds: number | null | undefined,
    ttlField = 'ttlSeconds',
  ): Promise<IssuedKubeconfig> {
    // Allowed in read-only mode: the token can only read then (the proxy refuses every other verb), and a viewer needs
    // kubectl for the reads that keep working. Still one audit event per attempt.
    const spec = {
      action: 'token.issue',
      clusterId: rawClusterId,
      allowedWhenReadOnly: true,
      detailOf: (k: IssuedKubeconfig) => `token ${k.tokenId} until ${k.expiresAt.toISOString()}`,
    } as const;
    return this.deps.writes.run(caller, spec, () => this.issueNow(caller, rawClusterId, ttlSeconds, ttlField));
  }

  private async issueNow(
    caller: Caller,
    rawClusterId: string | number,
    ttlSeconds: number | null | undefined,
    ttlField: string,
  ): Promise<IssuedKubeconfig> {
    const principal = requireUser(caller);
    const clusterId = parseClusterId(rawClusterId, 'clusterId');
    if ((await this.deps.access.roleOn(caller, clusterId)) === null) throw new NotFoundError(`cluster ${clusterId} not found`);
    const cluster = await this.deps.clusters.get(clusterId);
    const ttl = checkTtl(ttlSeconds, ttlField);
    const endpoint = this.deps.endpoint();
    if (!endpoint) throw new ConflictError('this gateway has no HTTPS address for kubeconfigs: set PUBLIC_URL, or TLS_CERT_FILE and TLS_KEY_FILE');

    const groups = principal.groups ?? [];
    const { token, jti, expiresAt } = this.deps.signer.sign(
      { subject: principal.subject, groups, admin: principal.role === 'admin', clusterId },
      ttl,
    );
    const stored = await this.deps.repo.insert({ id: randomUUID(), jti, subject: principal.subject, groups, clusterId, expiresAt });
    const kubeconfig = renderKubeconfig({
      clusterName: cluster.name,
      server: `${endpoint.publicUrl.replace(/\/+$/, '')}/api/v1/k8s/clusters/${clusterId}/proxy`,
      caPem: endpoint.caPem,
      user: principal.subject,
      token,
    });
    return { kubeconfig, tokenId: stored.id, expiresAt };
  }

  /** The caller's own tokens, newest first; a global admin sees everyone's. */
  list(caller: Caller): Promise<AccessTokenView[]> {
    const principal = requireUser(caller);
    return this.deps.repo.list(isAdmin(caller) ? undefined : principal.subject);
  }

  /**
   * Revokes one of the caller's tokens (global admins: any); effective on the next proxied request on every replica.
   * Allowed in read-only mode: a kubeconfig issued during a freeze (or leaked before it) must stay revocable.
   */
  async revoke(caller: AuditedCaller, rawId: string): Promise<boolean> {
    const spec = {
      action: 'token.revoke',
      allowedWhenReadOnly: true,
      clusterOf: (t: AccessTokenView) => ({ id: t.clusterId }),
      detailOf: (t: AccessTokenView) => `token ${t.id} of ${t.subject}`,
    } as const;
    await this.deps.writes.run(caller, spec, async () => {
      const principal = requireUser(caller);
      const id = String(rawId).trim();
      const found = isTokenId(id) ? await this.deps.repo.findById(id) : undefined;
      // Someone else's token does not exist for a non-admin (404, never 403).
      if (!found || (!isAdmin(caller) && found.subject !== principal.subject)) throw new NotFoundError(`access token ${id} not found`);
      const revoked = await this.deps.repo.revoke(id);
      if (revoked) this.forget(revoked.jti);
      return found;
    });
    return true;
  }

  /**
   * The principal of an issued token used on cluster `clusterId`'s proxy. Refused (UnauthenticatedError → 401 Status)
   * when the signature or expiry fails, when it is bound to another cluster, or when it is revoked or unknown.
   */
  async authenticate(token: string, clusterId: number): Promise<Principal> {
    const claims = this.deps.signer.verify(token);
    if (claims.clusterId !== clusterId) throw new UnauthenticatedError('the kubeconfig token is bound to another cluster');
    const now = Date.now();
    if (this.revoked.has(claims.jti)) throw new UnauthenticatedError('the kubeconfig token has been revoked');
    const until = this.active.get(claims.jti);
    if (until === undefined || until <= now) {
      const isActive = await this.deps.repo.isActive(claims.jti, clusterId);
      if (!isActive || this.revoked.has(claims.jti)) {
        this.active.delete(claims.jti);
        throw new UnauthenticatedError('the kubeconfig token has been revoked');
      }
      if (this.active.size >= ACTIVE_CACHE_MAX) this.active.delete(this.active.keys().next().value!);
      this.active.set(claims.jti, Math.min(now + ACTIVE_CACHE_MS, claims.expiresAt));
    }
    this.touch(claims.jti, now);
    return { subject: claims.subject, role: claims.admin ? 'admin' : 'user', groups: claims.groups, expiresAt: claims.expiresAt };
  }

  private forget(jti: string): void {
    this.active.delete(jti);
    if (this.revoked.size >= ACTIVE_CACHE_MAX) this.revoked.clear();
    this.revoked.add(jti);
  }

  private touch(jti: string, now: number): void {
    const last = this.touched.get(jti);
    if (last !== undefined && now - last < TOUCH_EVERY_MS) return;
    if (this.touched.size >= ACTIVE_CACHE_MAX) this.touched.clear();
    this.touched.set(jti, now);
    this.deps.repo.touch(jti).catch(() => this.touched.delete(jti));
  }
}
