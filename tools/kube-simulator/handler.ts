/**
 * Per-request pipeline: authenticate (client certificate CN, then bearer token) to pick the virtual cluster,
 * apply latency and failure modes, route, then write the reply (streaming big lists) and log it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { VirtualCluster } from './cluster.js';
import { pushLog } from './cluster.js';
import { forward } from './proxy.js';
import { execUpgrade, workloadRequest } from './workloads.js';
import type { Duplex } from 'node:stream';
import { route, type Reply } from './routes.js';
import { serverError, unauthorized, type KubeStatus } from './status.js';
import type { RequestLogEntry } from './types.js';

/** What the pipeline needs from the simulator. */
export interface HandlerContext {
  byToken(token: string): VirtualCluster | undefined;
  byUser(user: string): VirtualCluster | undefined;
  /** Answers credential-less probes of the health endpoints (anonymous access, as on a real server). */
  defaultCluster(): VirtualCluster;
  globalLog: RequestLogEntry[];
  server(): string;
  /** Resolves true after `ms`, or false at once if the simulator closes meanwhile. */
  delay(ms: number): Promise<boolean>;
}

const HEALTH = new Set(['/healthz', '/livez', '/readyz']);

interface Identity {
  cluster?: VirtualCluster;
  /** A credential was recognised but is no longer valid (expired token or certificate). */
  expired: boolean;
  anonymous: boolean;
}

export function identify(ctx: HandlerContext, req: IncomingMessage): Identity {
  const sock = req.socket as TLSSocket;
  const peer = typeof sock.getPeerCertificate === 'function' ? sock.getPeerCertificate() : undefined;
  const cnRaw: unknown = peer?.subject?.CN;
  const cn = Array.isArray(cnRaw) ? String(cnRaw[0]) : typeof cnRaw === 'string' ? cnRaw : undefined;
  let expiredCert: VirtualCluster | undefined;
  if (cn !== undefined) {
    // `authorized` is false for certificates not signed by the client CA, or expired ones.
    const c = ctx.byUser(cn);
    if (c && sock.authorized) return { cluster: c, expired: false, anonymous: false };
    if (c && String(sock.authorizationError) === 'CERT_HAS_EXPIRED') expiredCert = c;
  }
  // Like the API server's union authenticator, a failed certificate does not stop a valid token.
  const auth = req.headers.authorization;
  const token = auth && /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, '').trim() : undefined;
  const byToken = token ? ctx.byToken(token) : undefined;
  if (byToken) return { cluster: byToken, expired: byToken.tokenExpMs !== undefined && byToken.tokenExpMs <= Date.now(), anonymous: false };
  // Our own certificate past its notAfter: a 401, but attributed to its cluster (for the request log).
  if (expiredCert) return { cluster: expiredCert, expired: true, anonymous: false };
  return { expired: false, anonymous: cn === undefined && !auth };
}

export async function handleRequest(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Prefix rather than base URL: a path starting with `//` must stay a path, not become a host.
  const url = new URL(`https://simulator.invalid${req.url ?? '/'}`);
  const method = req.method ?? 'GET';
  const entry: RequestLogEntry = {
    cluster: null,
    method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    status: 0,
    bytes: 0,
    at: Date.now(),
    headers: { ...req.headers },
    rawHeaders: [...req.rawHeaders],
  };
  const id = identify(ctx, req);
  const cluster = id.cluster ?? (id.anonymous && HEALTH.has(url.pathname) ? ctx.defaultCluster() : undefined);
  const finish = (status: number, bytes: number): void => {
    entry.status = status;
    entry.bytes = bytes;
    if (cluster) cluster.log(entry);
    else pushLog(ctx.globalLog, entry);
  };
  if (!cluster) {
    finish(...writeJson(res, method, unauthorized(), 401));
    return;
  }
  entry.cluster = cluster.id;
  const mode = cluster.nextMode();
  const { latencyMs, errorCode, expired } = cluster.model.knobs;
  if (latencyMs > 0 && !(await ctx.delay(latencyMs))) return;
  if (res.destroyed) return finish(0, 0);

  switch (mode) {
    case 'refuse':
      req.socket.destroy();
      return finish(0, 0);
    case 'hang':
      // Never answer; the socket is tracked by the server and destroyed by close().
      return finish(0, 0);
    case 'reset': {
      const partial = '{"kind":"NodeList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"no';
      // Chunked (no Content-Length): clients such as node-fetch detect the truncated chunk stream as a
      // premature close, whereas a short Content-Length body can leave them waiting forever.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(partial, () => req.socket.destroy());
      return finish(200, partial.length);
    }
    case 'garbage': {
      const body = '<html><body>\u0000\u0001 this is {not json';
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return finish(200, Buffer.byteLength(body));
    }
    case 'error5xx':
      return finish(...writeJson(res, method, serverError(errorCode), errorCode));
    case 'ok':
      break;
  }
  if (expired || id.expired) return finish(...writeJson(res, method, unauthorized(), 401));

  const added = await workloadRequest(cluster, req, res, url);
  if (added) return finish(...added);

  const reply = route({
    model: cluster.model,
    user: cluster.user,
    method,
    path: url.pathname,
    query: url.searchParams,
    accept: req.headers.accept,
    server: ctx.server(),
  });
  if (reply.type === 'proxy') {
    if ('status' in reply.target) return finish(...writeJson(res, method, reply.target.status, reply.target.status.code));
    const out = await forward(req, res, reply.target.url, (s: KubeStatus) => {
      const [status, bytes] = writeJson(res, method, s, s.code);
      return { status, bytes };
    });
    return finish(out.status, out.bytes);
  }
  finish(...(await writeReply(res, method, reply)));
}

function baseHeaders(contentType: string): Record<string, string> {
  return { 'Audit-Id': randomUUID(), 'Cache-Control': 'no-cache, private', 'Content-Type': contentType };
}

/** Writes a JSON body; returns [status, bytes]. */
function writeJson(res: ServerResponse, method: string, body: unknown, status: number): [number, number] {
  const text = JSON.stringify(body);
  const len = Buffer.byteLength(text);
  res.writeHead(status, { ...baseHeaders('application/json'), 'Content-Length': String(len) });
  res.end(method === 'HEAD' ? undefined : text);
  return [status, method === 'HEAD' ? 0 : len];
}

async function writeReply(res: ServerResponse, method: string, reply: Exclude<Reply, { type: 'proxy' }>): Promise<[number, number]> {
  if (reply.type === 'json') return writeJson(res, method, reply.body, reply.status);
  if (reply.type === 'text') {
    const len = Buffer.byteLength(reply.body);
    res.writeHead(reply.status, { ...baseHeaders('text/plain; charset=utf-8'), 'X-Content-Type-Options': 'nosniff', 'Content-Length': String(len) });
    res.end(method === 'HEAD' ? undefined : reply.body);
    return [reply.status, method === 'HEAD' ? 0 : len];
  }
  // Stream: `{...head, "<key>":[` + items + `]}` in ~64 KiB chunks, honouring backpressure, so a 100,000-pod
  // list never exists as one string.
  res.writeHead(200, baseHeaders('application/json'));
  if (method === 'HEAD') {
    res.end();
    return [200, 0];
  }
  const head = JSON.stringify(reply.head);
  let bytes = 0;
  let buf = `${head.slice(0, -1)},"${reply.key}":[`;
  let first = true;
  const flush = async (): Promise<boolean> => {
    bytes += Buffer.byteLength(buf);
    const ok = res.write(buf);
    buf = '';
    if (!ok && !res.destroyed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
    return !res.destroyed;
  };
  for (const item of reply.items) {
    buf += (first ? '' : ',') + JSON.stringify(item);
    first = false;
    if (buf.length >= 65536 && !(await flush())) return [200, bytes];
  }
  buf += ']}';
  bytes += Buffer.byteLength(buf);
  res.end(buf);
  return [200, bytes];
}

/** Upgrade requests (exec over WebSocket): authenticated like any request, logged, then answered by workloads.ts. */
export function handleUpgrade(ctx: HandlerContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const url = new URL(`https://simulator.invalid${req.url ?? '/'}`);
  const entry: RequestLogEntry = {
    cluster: null,
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    status: 0,
    bytes: 0,
    at: Date.now(),
    headers: { ...req.headers },
    rawHeaders: [...req.rawHeaders],
  };
  socket.on('error', () => socket.destroy());
  const cluster = identify(ctx, req).cluster;
  if (!cluster) {
    socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    entry.status = 401;
    return pushLog(ctx.globalLog, entry);
  }
  entry.cluster = cluster.id;
  entry.status = execUpgrade(cluster, req, socket, head);
  cluster.log(entry);
}
