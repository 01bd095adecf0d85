import { createHash } from 'node:crypto';
import https from 'node:https';
import http from 'node:http';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { type KubeEndpoint, endpointOf, httpGet } from './kube-http.js';
import { type KubeReads, kubeReads } from './kube-reads.js';
import { credentialExpiry, type KubeconfigSpec } from './kubeconfig.js';

export interface KubeClientOptions {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Socket ceiling per cluster; requests beyond it wait in the agent's queue. Concurrency is bounded by the callers. */
  maxSocketsPerCluster?: number;
}

/**
 * A ready-to-use client for one cluster: the gateway's typed reads (kube-reads.ts) over one keep-alive agent and one
 * TLS secure context per cluster, reused across requests. Built only from a sanitized `KubeconfigSpec`: a client
 * library's kubeconfig loader (which can run exec plug-ins and read files) is never involved. API errors reject with
 * `KubeApiError`, transport failures with the socket's error (`probe.classifyKubeError` tells them apart).
 */
export interface KubeClient {
  readonly server: string;
  /** GETs only: version, nodes, pods, namespaces, services and cluster-wide custom objects. */
  readonly reads: KubeReads;
  readonly credentialExpiresAt: Date | null;
  /** Raw GET through the same agent and credentials (used for the service proxy, which the typed API lacks). */
  rawGet(path: string, opts?: { timeoutMs?: number }): Promise<{ status: number; body: string }>;
  /**
   * The same client (agent, credentials) whose requests are all cut short when `signal` aborts: how a whole probe or
   * connection test is held to its deadline without touching other work on the same cluster.
   */
  withSignal(signal: AbortSignal): KubeClient;
  /**
   * Where the Kubernetes API proxy sends this cluster's requests: the same TLS context and credentials as the typed
   * APIs, through an agent of its own with no socket ceiling (watches, followed logs and upgrades hold a connection for
   * as long as the client keeps them; 32 pooled sockets would be 32 watches per cluster) that keeps up to 32 idle
   * sockets for 30 s, so a burst of kubectl requests does not pay a TLS handshake each. Only clusters someone is using
   * through the proxy hold any.
   */
  readonly proxyEndpoint: KubeEndpoint;
  /** Sockets this client holds open right now (for leak checks and metrics). */
  openSockets(): number;
  /**
   * Closes the keep-alive sockets no request is using. The client stays usable: the next request connects again
   * (resuming the cached TLS session, so cheaper than a first handshake).
   */
  releaseIdleSockets(): void;
  close(): void;
}

export class ConnectTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`connection not established within ${ms} ms`);
  }
}

const MiB = 1024 * 1024;
// Responses read through the service proxy are small (Prometheus build info, a query result).
const MAX_RAW_BYTES = 4 * MiB;

/**
 * The most bytes (on the wire, and again after decompression) a typed read may bring, by request kind: a hostile API
 * server decides what it sends, so each kind gets a little more than a real cluster ever needs. `/version` and a
 * `limit=1` count are a few hundred bytes; a page of 500 nodes or pods a few MB; other reads (discovery's service and
 * custom-resource lists) are unpaged, so they get more.
 */
export function responseCapFor(pathAndQuery: string): number {
  const url = new URL(pathAndQuery, 'http://x');
  if (url.pathname.endsWith('/version')) return MiB;
  const limit = Number(url.searchParams.get('limit') ?? NaN);
  if (limit === 1) return MiB;
  if (limit > 0 && limit <= 500) return 16 * MiB;
  return 32 * MiB;
}

export function createKubeClient(spec: KubeconfigSpec, opts: KubeClientOptions): KubeClient {
  const isHttps = spec.server.startsWith('https:');
  const agentOptions: https.AgentOptions = {
    keepAlive: true,
    keepAliveMsecs: 15_000,
    maxSockets: opts.maxSocketsPerCluster ?? 32,
    maxFreeSockets: 4,
    // Idle keep-alive sockets are closed after a while so thousands of clusters do not pin thousands of sockets.
    timeout: 30_000,
    ...(isHttps
      ? {
          secureContext: secureContextFor(spec),
          rejectUnauthorized: !spec.insecureSkipTlsVerify,
          servername: spec.tlsServerName,
        }
      : {}),
  };
  const agent = withConnectTimeout(isHttps ? new https.Agent(agentOptions) : new http.Agent(agentOptions), opts.connectTimeoutMs);
  const streamOptions: https.AgentOptions = { ...agentOptions, maxSockets: Infinity, maxFreeSockets: 32 };
  const streamAgent = withConnectTimeout(isHttps ? new https.Agent(streamOptions) : new http.Agent(streamOptions), opts.connectTimeoutMs);
  const authHeader = spec.token
    ? `Bearer ${spec.token}`
    : spec.username !== undefined
      ? `Basic ${Buffer.from(`${spec.username}:${spec.password ?? ''}`).toString('base64')}`
      : undefined;
  // Only the endpoint (with the ready header) is kept: not the spec, so decoded kubeconfig text is not held per cluster.
  const ep = endpointOf(spec.server, agent, authHeader);
  const proxyEndpoint = endpointOf(spec.server, streamAgent, authHeader);
  const credentialExpiresAt = credentialExpiry(spec);
  // A few closures: cheap enough to build once more per probe for a client bound to the probe's signal.
  const clientFor = (signal: AbortSignal | undefined): KubeClient => ({
    server: spec.server,
    reads: kubeReads(ep, { timeoutMs: opts.requestTimeoutMs, capFor: responseCapFor, signal }),
    credentialExpiresAt,
    rawGet: async (path, o = {}) => {
      const fullPath = ep.basePath + (path.startsWith('/') ? path : `/${path}`);
      const { status, body } = await httpGet(ep, fullPath, { timeoutMs: o.timeoutMs ?? opts.requestTimeoutMs, maxBytes: MAX_RAW_BYTES, signal });
      return { status, body };
    },
    withSignal: (s) => clientFor(s),
    proxyEndpoint,
    openSockets: () => countSockets(agent) + countSockets(streamAgent),
    releaseIdleSockets: () => {
      for (const list of Object.values(agent.freeSockets)) for (const socket of [...(list ?? [])]) socket.destroy();
    },
    close: () => {
      agent.destroy();
      streamAgent.destroy();
    },
  });
  return clientFor(undefined);
}

/**
 * The TLS secure context for a cluster's CA and client certificate, built once per client rather than per connection
 * (Node would otherwise parse the CA, certificate and key again for every socket). Clusters with identical credentials
 * material (kubeconfigs issued by one proxy or provider, one CA for a fleet) share one context: building one costs
 * about as much CPU as a full TLS handshake. Weakly held, so a context lives exactly as long as some client uses it.
 */
function secureContextFor(spec: KubeconfigSpec): tls.SecureContext {
  const key = createHash('sha256')
    .update(`${spec.caData ?? ''}|${spec.clientCertificateData ?? ''}|${spec.clientKeyData ?? ''}`)
    .digest('base64');
  const shared = secureContexts.get(key)?.deref();
  if (shared) return shared;
  const context = tls.createSecureContext({
    ca: spec.caData ? Buffer.from(spec.caData, 'base64') : undefined,
    cert: spec.clientCertificateData ? Buffer.from(spec.clientCertificateData, 'base64') : undefined,
    key: spec.clientKeyData ? Buffer.from(spec.clientKeyData, 'base64') : undefined,
  });
  secureContexts.set(key, new WeakRef(context));
  forgetContext.register(context, key);
  return context;
}
const secureContexts = new Map<string, WeakRef<tls.SecureContext>>();
const forgetContext = new FinalizationRegistry<string>((key) => {
  if (secureContexts.get(key)?.deref() === undefined) secureContexts.delete(key);
});

/** Node agents have no connect timeout; without one a black-holed API server holds a probe for minutes. */
function withConnectTimeout<A extends http.Agent>(agent: A, ms: number): A {
  const original = (agent as unknown as { createConnection: (...args: unknown[]) => Duplex }).createConnection.bind(agent);
  (agent as unknown as { createConnection: (...args: unknown[]) => Duplex }).createConnection = (...args: unknown[]) => {
    const socket = original(...args);
    const timer = setTimeout(() => socket.destroy(new ConnectTimeoutError(ms)), ms);
    timer.unref();
    const clear = () => clearTimeout(timer);
    socket.once('secureConnect', clear);
    socket.once('connect', () => {
      if (!(socket as { encrypted?: boolean }).encrypted) clear();
    });
    socket.once('close', clear);
    return socket;
  };
  return agent;
}

function countSockets(agent: http.Agent): number {
  // Destroyed sockets leave the agent's lists only on their 'close' event; they are not open any more.
  const count = (m: NodeJS.ReadOnlyDict<Duplex[]>) => Object.values(m).reduce((n, list) => n + (list?.filter((s) => !s.destroyed).length ?? 0), 0);
  return count(agent.sockets) + count(agent.freeSockets);
}
