import type { Caller, Principal } from '../auth/principal.js';
import type { KubeClient } from '../kube/kube-client.js';

/**
 * The seams the proxy works through, each named for its role. The proxy decides nothing about who may see a cluster,
 * whether the gateway is read-only, or what is audited: it asks these.
 */

export type ClusterRoleValue = 'viewer' | 'editor' | 'admin';

export const ROLE_RANK: Record<ClusterRoleValue, number> = { viewer: 1, editor: 2, admin: 3 };

/** The caller's role on a cluster; null means the cluster does not exist for this caller (404, never 403). */
export interface ClusterAccess {
  roleOn(caller: Caller, clusterId: number): Promise<ClusterRoleValue | null>;
}

/** Read-only mode: `assertWritable` throws a ForbiddenError (reason READ_ONLY) when writes are refused. */
export interface WriteGuard {
  assertWritable(): void;
}

/** One proxied request that was not a read, after it was answered (or refused). Never a body or a header value. */
export interface ProxiedRequestEntry {
  actor: string;
  clusterId: number;
  clusterName: string;
  verb: string;
  /** `pods`, `pods/exec`, or the non-resource path. */
  resource: string;
  namespace: string | null;
  name: string | null;
  /** The Kubernetes path without its query (the query may carry anything). */
  path: string;
  status: number;
  requestId: string;
  sourceIp: string | null;
}

export interface ProxyAuditSink {
  proxied(entry: ProxiedRequestEntry): void;
}

/** A cluster the proxy can forward to. */
export interface ProxyTarget {
  id: number;
  name: string;
  enabled: boolean;
  /** Send `Impersonate-User` / `Impersonate-Group` for the caller (the cluster's `impersonate` flag). */
  impersonate: boolean;
  client: KubeClient;
}

/** Resolves clusters for the proxy (live ones only; NotFoundError otherwise). */
export interface ProxyTargets {
  byId(rawId: string): Promise<ProxyTarget>;
  /** Context switching: by name (header or query), by id (header), else the default cluster; NotFoundError if none. */
  current(selector: { name?: string; id?: string }): Promise<ProxyTarget>;
}

/** Who is calling the proxy: a gateway user token or a cluster-bound issued token. */
export interface ProxyAuthenticator {
  /**
   * The principal of `token` for a request to cluster `clusterId`, or throws UnauthenticatedError (401 Status): bad,
   * expired, revoked, or bound to another cluster.
   */
  authenticate(token: string, clusterId: number): Promise<Principal>;
}
