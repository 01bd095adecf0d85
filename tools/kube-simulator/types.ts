/**
 * Public types of the Kubernetes API simulator. Everything a test, benchmark or demo needs to drive a
 * simulated cluster is declared here so the implementation files can stay small.
 */

/** How a virtual cluster misbehaves at the transport / HTTP level. */
export type SimMode =
  /** Normal, faithful API server behaviour. */
  | 'ok'
  /** The socket is destroyed as soon as the request arrives (per virtual cluster; use
   *  `sim.stopListening()` for a real "connection refused" on the whole server). */
  | 'refuse'
  /** Every request gets a 5xx `Status` (code from the `errorCode` knob, default 500). */
  | 'error5xx'
  /** The request is never answered; the socket stays open until the client gives up or `close()`. */
  | 'hang'
  /** Headers and part of the body are sent, then the socket is destroyed. */
  | 'reset'
  /** 200 with a JSON content type and a body that is not JSON. */
  | 'garbage';

/** A port of a simulated Service. */
export interface SimServicePort {
  /** Port name; the service proxy accepts it in place of the number (`svc:web/proxy`). */
  name?: string;
  port: number;
  /** Defaults to `port`. */
  targetPort?: number | string;
  /** Defaults to `TCP`. */
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  /** Upstream for the service proxy through this port; overrides the service-level `upstream`. */
  upstream?: string;
}

/** A simulated Service. */
export interface SimService {
  name: string;
  /** Defaults to `default`. */
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Defaults to a single `{ name: 'http', port: 80, targetPort: 80 }`. */
  ports?: SimServicePort[];
  /** Defaults to `ClusterIP`. */
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  /** Pod selector shown in `spec.selector` (informational only). */
  selector?: Record<string, string>;
  /**
   * Base URL (http or https) the service proxy forwards to, e.g. `http://127.0.0.1:9090`.
   * Without one (and without a per-port upstream), proxying answers 503 "no endpoints available".
   */
  upstream?: string;
}

/** A simulated `monitoring.coreos.com/v1` Prometheus custom resource. */
export interface SimPrometheus {
  name: string;
  /** Defaults to `monitoring`. */
  namespace?: string;
  labels?: Record<string, string>;
  /** `spec.routePrefix`, omitted from the object when undefined. */
  routePrefix?: string;
  /** `spec.externalUrl`, omitted when undefined. */
  externalUrl?: string;
  /** Defaults to 1. */
  replicas?: number;
  /** Defaults to `v2.54.1`. */
  version?: string;
}

/** Runtime-adjustable behaviour of one virtual cluster (`handle.set()` merges a partial). */
export interface ClusterKnobs {
  /** Number of nodes (default 3). */
  nodes: number;
  /** How many of the nodes (the last ones) report `Ready=False` (default 0). */
  notReadyNodes: number;
  /** Number of pods, generated on demand from their index and spread over the namespaces (default 10). */
  pods: number;
  /**
   * Namespaces: a list of names, or a count N (the first N of `default`, `kube-node-lease`, `kube-public`,
   * `kube-system`, `monitoring`, then `ns-1`, `ns-2`...). Namespaces used by services / prometheuses (and
   * `default`, home of the `kubernetes` service) are always added. Default: those 5 names.
   */
  namespaces: number | string[];
  /** `/version` gitVersion (default `v1.31.4`); also used as kubelet version of the nodes. */
  gitVersion: string;
  /** Delay before every response, in milliseconds (default 0). */
  latencyMs: number;
  mode: SimMode;
  /** HTTP status used by `mode: 'error5xx'` and by flapping (default 500). */
  errorCode: number;
  /** Credentials are rejected with 401, as an expired token or certificate would be. */
  expired: boolean;
  /** Alternate `ok` / `error5xx` every `everyN` requests (starting with `ok`); null disables. */
  flapping: { everyN: number } | null;
  /**
   * Resources the user may not read: `nodes`, `pods`, `services`, `namespaces`, `services/proxy`,
   * `prometheuses`, or `*` for all of them. Discovery and `/version` stay readable, as with real RBAC.
   */
  forbid: string[];
  /** Services (a `kubernetes` service in `default` is always present, as in a real cluster). */
  services: SimService[];
  /** Prometheus custom resources. */
  prometheuses: SimPrometheus[];
  /**
   * Whether the `monitoring.coreos.com` API group is served. Default (null): served iff there are prometheuses.
   */
  monitoringCrd: boolean | null;
  /** Do not send `metadata.remainingItemCount` on partial pages (older / differently configured servers). */
  omitRemainingItemCount: boolean;
}

/** Options of `sim.addCluster()`: initial knobs plus the identity of the virtual cluster. */
export interface AddClusterOptions extends Partial<ClusterKnobs> {
  /** Identifier (default `c1`, `c2`...). Also used in the default kubeconfig names. */
  id?: string;
  /** User name, also the client certificate CN (default `sim-user-<id>`). */
  user?: string;
  /** Bearer token (default: random opaque string, or a JWT when `tokenExp` is given). */
  token?: string;
  /** Make the token a JWT (`header.payload.sig`) with this `exp`; requests after that date get 401. */
  tokenExp?: Date;
  /** Alias of `tokenExp`. */
  tokenExpiresAt?: Date;
  /** notAfter of the client certificate (default: one year). A certificate past it is rejected with 401. */
  certNotAfter?: Date;
}

/** Options of `kubeconfig()`. */
export interface KubeconfigOptions {
  /** `token` (default) or `cert` (inline client certificate and key). */
  auth?: 'token' | 'cert';
  contextName?: string;
  clusterName?: string;
  userName?: string;
  /** Default namespace of the context. */
  namespace?: string;
  /** Override the CA PEM (e.g. to prove TLS verification fails with a wrong CA). */
  caPem?: string;
  /** Override the server URL. */
  server?: string;
  /** Override the token (e.g. a wrong one, to get 401). */
  token?: string;
}

/** One request as seen by the simulator. */
export interface RequestLogEntry {
  /** Virtual cluster id, or null when the request could not be authenticated. */
  cluster: string | null;
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** HTTP status sent, or 0 when no status was sent (`hang`, `refuse`). */
  status: number;
  /** Length in bytes of the response body sent (uncompressed). */
  bytes: number;
  /** `Date.now()` when the request arrived. */
  at: number;
  /** The request headers as received (lower-case names), to assert what a proxy forwarded or stripped. */
  headers?: Record<string, string | string[] | undefined>;
  /** Name, value, name, value … as sent: tells repeated headers (one `Impersonate-Group` per group) from a joined one. */
  rawHeaders?: string[];
}

/** A virtual cluster: what `addCluster()` returns and `sim.cluster` is. */
export interface ClusterHandle {
  readonly id: string;
  readonly user: string;
  readonly token: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  /** `https://127.0.0.1:PORT`. */
  readonly server: string;
  /** PEM of the CA that signed the server certificate. */
  readonly caPem: string;
  /** A copy of the current knobs. */
  readonly knobs: ClusterKnobs;
  /** Requests addressed to this cluster (oldest first; capped, oldest dropped). */
  readonly requestLog: RequestLogEntry[];
  /** Kubeconfig YAML with inline CA, server and credentials. */
  kubeconfig(opts?: KubeconfigOptions): string;
  /** Merge knobs at runtime; bumps the cluster resourceVersion. */
  set(knobs: Partial<ClusterKnobs>): void;
  clearLog(): void;
  /** Make every continue token issued so far answer 410 Expired (as after an etcd compaction). */
  expireContinueTokens(): void;
}
