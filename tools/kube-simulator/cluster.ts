/**
 * A virtual cluster: identity (token, client certificate), knobs, request log and kubeconfig rendering.
 * Many of them share one HTTPS server; the request credential selects which one answers.
 */
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { ClusterModel } from './model.js';
import type { ClientCredential } from './tls.js';
import type { ClusterHandle, ClusterKnobs, KubeconfigOptions, RequestLogEntry, SimMode } from './types.js';

/** Log entries kept per log; older ones are dropped so long benchmarks do not grow memory without bound. */
export const MAX_LOG_ENTRIES = 20_000;

export function pushLog(log: RequestLogEntry[], e: RequestLogEntry): void {
  log.push(e);
  if (log.length > MAX_LOG_ENTRIES) log.splice(0, log.length - MAX_LOG_ENTRIES);
}

const b64url = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/**
 * A JWT-shaped service-account-like token with an `exp` claim. The signature is random bytes: the simulator
 * recognises the whole string, it never verifies signatures (clients only decode the payload).
 */
export function makeJwt(sub: string, exp: Date): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', kid: randomBytes(8).toString('hex') };
  const payload = {
    aud: ['https://kubernetes.default.svc.cluster.local'],
    exp: Math.floor(exp.getTime() / 1000),
    iat: Math.min(now, Math.floor(exp.getTime() / 1000) - 3600),
    iss: 'https://kubernetes.default.svc.cluster.local',
    sub,
    jti: randomBytes(8).toString('hex'),
  };
  return `${b64url(header)}.${b64url(payload)}.${randomBytes(32).toString('base64url')}`;
}

/** Construction parameters (resolved by the simulator). */
export interface VirtualClusterInit {
  id: string;
  user: string;
  token: string;
  tokenExpMs?: number;
  cred: ClientCredential;
  certNotAfterMs: number;
  knobs: Partial<ClusterKnobs>;
  salt: number;
  caPem: string;
  server: () => string;
  globalLog: RequestLogEntry[];
}

export class VirtualCluster implements ClusterHandle {
  readonly id: string;
  readonly user: string;
  readonly token: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  readonly requestLog: RequestLogEntry[] = [];
  readonly model: ClusterModel;
  /** Token `exp` in ms, if the token is a JWT. */
  readonly tokenExpMs?: number;
  readonly certNotAfterMs: number;
  /** Requests seen, for flapping. */
  private requests = 0;
  private readonly init: VirtualClusterInit;

  constructor(init: VirtualClusterInit) {
    this.init = init;
    this.id = init.id;
    this.user = init.user;
    this.token = init.token;
    this.tokenExpMs = init.tokenExpMs;
    this.clientCertPem = init.cred.certPem;
    this.clientKeyPem = init.cred.keyPem;
    this.certNotAfterMs = init.certNotAfterMs;
    this.model = new ClusterModel(init.knobs, init.salt);
  }

  get server(): string {
    return this.init.server();
  }

  get caPem(): string {
    return this.init.caPem;
  }

  get knobs(): ClusterKnobs {
    return structuredClone(this.model.knobs);
  }

  set(knobs: Partial<ClusterKnobs>): void {
    if (knobs.flapping !== undefined) this.requests = 0;
    this.model.set(knobs);
  }

  clearLog(): void {
    this.requestLog.length = 0;
  }

  expireContinueTokens(): void {
    this.model.compactedRv = this.model.rv;
    this.model.rv++;
  }

  /** Records a finished request in this cluster's log and the global one. */
  log(e: RequestLogEntry): void {
    pushLog(this.requestLog, e);
    pushLog(this.init.globalLog, e);
  }

  /** Counts a request and returns the mode that applies to it (flapping turns some into error5xx). */
  nextMode(): SimMode {
    const n = this.requests++;
    const { mode, flapping } = this.model.knobs;
    if (mode !== 'ok' || !flapping || flapping.everyN <= 0) return mode;
    return Math.floor(n / flapping.everyN) % 2 === 0 ? 'ok' : 'error5xx';
  }

  kubeconfig(opts: KubeconfigOptions = {}): string {
    const clusterName = opts.clusterName ?? `sim-${this.id}`;
    const userName = opts.userName ?? `sim-${this.id}-${opts.auth === 'cert' ? 'cert' : 'token'}`;
    const contextName = opts.contextName ?? `sim-${this.id}`;
    const user: Record<string, string> =
      opts.auth === 'cert'
        ? {
            'client-certificate-data': Buffer.from(this.clientCertPem).toString('base64'),
            'client-key-data': Buffer.from(this.clientKeyPem).toString('base64'),
          }
        : { token: opts.token ?? this.token };
    const context: Record<string, string> = { cluster: clusterName, user: userName };
    if (opts.namespace) context.namespace = opts.namespace;
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: clusterName,
          cluster: {
            'certificate-authority-data': Buffer.from(opts.caPem ?? this.caPem).toString('base64'),
            server: opts.server ?? this.server,
          },
        },
      ],
      users: [{ name: userName, user }],
      contexts: [{ name: contextName, context }],
      'current-context': contextName,
      preferences: {},
    });
  }
}
