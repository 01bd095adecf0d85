import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { ConnectionClosedError, type KubeEndpoint, RequestTimeoutError } from './kube-http.js';

/**
 * The streaming counterpart of `httpGet` (kube-http.ts), for the Kubernetes API proxy: any method, the caller's body
 * piped up as it arrives, and the answer handed back as a stream (or, for an upgrade, as the raw socket) instead of
 * being collected. Only the wait for the answer's status line is bounded (`firstByteTimeoutMs`): once the API server
 * answered, a watch or a followed log may stay open for as long as the client reads it, and the body flows with
 * backpressure (the caller pipes it).
 */

export interface StreamRequest {
  method: string;
  /** Path and query below the cluster's server URL, starting with '/'; already validated by the caller. */
  path: string;
  /** Headers to send, already cleaned by the caller; the cluster's credential is added here. */
  headers: OutgoingHttpHeaders;
  /** The request body, piped as it arrives (absent: no body). */
  body?: Readable;
  firstByteTimeoutMs: number;
  /** Aborts the request (the client went away). */
  signal?: AbortSignal;
}

export type StreamAnswer =
  | { kind: 'response'; response: IncomingMessage; request: ClientRequest }
  /** `101 Switching Protocols`: the socket now carries the upgraded protocol (WebSocket, SPDY) both ways. */
  | { kind: 'upgrade'; response: IncomingMessage; socket: Duplex; head: Buffer };

/**
 * Sends one request through the endpoint's agent and resolves when the API server answered (status line and headers).
 * Rejects on transport failures, on `firstByteTimeoutMs`, or when `signal` aborts, always destroying what it opened.
 */
export function streamRequest(ep: KubeEndpoint, r: StreamRequest): Promise<StreamAnswer> {
  if (r.signal?.aborted) return Promise.reject(r.signal.reason as Error);
  return new Promise((resolve, reject) => {
    let settled = false;
    const headers: OutgoingHttpHeaders = { ...r.headers };
    if (ep.headers.authorization) headers.authorization = ep.headers.authorization;
    const req = ep.transport.request({
      hostname: ep.hostname,
      port: ep.port,
      path: ep.basePath + r.path,
      method: r.method,
      agent: ep.agent,
      headers,
    });
    // The agent's idle timeout is for sockets resting in its pool; a request in flight (a quiet watch) keeps its socket
    // however long it is silent. The agent sets the idle timeout again when the socket returns to the pool.
    req.on('socket', (socket) => socket.setTimeout(0));
    const done = () => {
      settled = true;
      clearTimeout(timer);
      r.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: Error) => {
      if (settled) return;
      done();
      req.destroy();
      r.body?.unpipe(req);
      reject(err);
    };
    const timer = setTimeout(() => fail(new RequestTimeoutError(r.firstByteTimeoutMs)), r.firstByteTimeoutMs);
    const onAbort = () => fail(r.signal!.reason as Error);
    r.signal?.addEventListener('abort', onAbort, { once: true });

    req.on('error', fail);
    req.on('close', () => fail(new ConnectionClosedError()));
    req.on('response', (response) => {
      if (settled) return void response.destroy();
      done();
      resolve({ kind: 'response', response, request: req });
    });
    req.on('upgrade', (response, socket, head) => {
      if (settled) return void socket.destroy();
      done();
      resolve({ kind: 'upgrade', response, socket, head });
    });
    if (r.body) {
      r.body.on('error', (err) => fail(err));
      r.body.pipe(req);
    } else req.end();
  });
}
