import https from 'node:https';
import http from 'node:http';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import {
  CoreV1Api,
  CustomObjectsApi,
  ServerConfiguration,
  VersionApi,
  createConfiguration,
  type RequestContext,
  type SecurityAuthentication,
} from '@kubernetes/client-node';
import { credentialExpiry, type KubeconfigSpec } from './kubeconfig.js';

export interface KubeClientOptions {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /**
   * Socket ceiling per cluster. Kept above the most requests this gateway ever issues at once to one cluster (11, in
   * discovery): node-fetch 2 (inside client-node) fails requests that wait in the agent's queue for a kept-alive
   * socket with "Premature close", so requests must never queue. Concurrency is bounded by the callers instead.
   */
  maxSocketsPerCluster?: number;
}

/**
 * A ready-to-use client for one cluster. Built only from a sanitized `KubeconfigSpec`: @kubernetes/client-node's own
 * KubeConfig (which can run exec plug-ins and read files) is never involved, and one keep-alive agent per cluster is
 * reused across requests instead of a fresh agent and TLS handshake per call.
 */
export interface KubeClient {
  readonly server: string;
  readonly core: CoreV1Api;
  readonly version: VersionApi;
  readonly customObjects: CustomObjectsApi;
  readonly credentialExpiresAt: Date | null;
  /** Raw GET through the same agent and credentials (used for the service proxy, which the typed API lacks). */
  rawGet(path: string, opts?: { timeoutMs?: number }): Promise<{ status: number; body: string }>;
  /** Sockets this client holds open right now (for leak checks and metrics). */
  openSockets(): number;
  close(): void;
}

export class ConnectTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`connection not established within ${ms} ms`);
  }
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
          // One secure context per cluster, built once: otherwise Node parses the CA, certificate and key again for
          // every new connection, which dominates a sweep over many clusters.
          secureContext: tls.createSecureContext({
            ca: spec.caData ? Buffer.from(spec.caData, 'base64') : undefined,
            cert: spec.clientCertificateData ? Buffer.from(spec.clientCertificateData, 'base64') : undefined,
            key: spec.clientKeyData ? Buffer.from(spec.clientKeyData, 'base64') : undefined,
          }),
          rejectUnauthorized: !spec.insecureSkipTlsVerify,
          servername: spec.tlsServerName,
        }
      : {}),
  };
  const agent = withConnectTimeout(isHttps ? new https.Agent(agentOptions) : new http.Agent(agentOptions), opts.connectTimeoutMs);

  const authHeader = spec.token
    ? `Bearer ${spec.token}`
    : spec.username !== undefined
      ? `Basic ${Buffer.from(`${spec.username}:${spec.password ?? ''}`).toString('base64')}`
      : undefined;

  const auth: SecurityAuthentication = {
    getName: () => 'inline-kubeconfig-credentials',
    applySecurityAuthentication(ctx: RequestContext) {
      if (authHeader) ctx.setHeaderParam('Authorization', authHeader);
      ctx.setAgent(agent);
      if (!ctx.getSignal()) ctx.setSignal(AbortSignal.timeout(opts.requestTimeoutMs));
    },
  };
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration<Record<string, string>>(spec.server, {}),
    authMethods: { default: auth },
  });

  return {
    server: spec.server,
    core: new CoreV1Api(configuration),
    version: new VersionApi(configuration),
    customObjects: new CustomObjectsApi(configuration),
    credentialExpiresAt: credentialExpiry(spec),
    rawGet: (path, o = {}) => rawGet(spec.server, path, agent, authHeader, o.timeoutMs ?? opts.requestTimeoutMs),
    openSockets: () => countSockets(agent),
    close: () => agent.destroy(),
  };
}

function rawGet(server: string, path: string, agent: http.Agent, authHeader: string | undefined, timeoutMs: number): Promise<{ status: number; body: string }> {
  const url = new URL(path, server + '/');
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      { agent, method: 'GET', headers: { accept: 'application/json', ...(authHeader ? { authorization: authHeader } : {}) }, signal: AbortSignal.timeout(timeoutMs) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          // Responses read through the proxy are small (Prometheus build info, a query result); cap to stay safe.
          if (size > 4 * 1024 * 1024) req.destroy(new Error('response too large'));
          else chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

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
  const count = (m: NodeJS.ReadOnlyDict<unknown[]>) => Object.values(m).reduce((n, list) => n + (list?.length ?? 0), 0);
  return count(agent.sockets) + count(agent.freeSockets);
}
