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
  /**
   * Headers to send, already cleaned by the caller, in an object built for this request: the cluster's credential is
   * added to it here (no copy per request).
   */
  headers: OutgoingHttpHeaders;
  /** The request body, piped as it arrives (absent: no body). */
  body?: Readable;
  firstByteTimeoutMs: number;
}

export type StreamAnswer =
  | { kind: 'response'; response: IncomingMessage; request: ClientRequest }
  /** `101 Switching Protocols`: the socket now carries the upgraded protocol (WebSocket, SPDY) both ways. */
  | { kind: 'upgrade'; response: IncomingMessage; socket: Duplex; head: Buffer };

/** A request on its way: its answer, and how to give up on it (the client went away). */
export interface StreamCall {
  answer: Promise<StreamAnswer>;
  /** Destroys what the request opened and rejects `answer` with `reason`, unless the answer already came. */
  cancel(reason: Error): void;
}

// The agent's idle timeout is for sockets resting in its pool; a request in flight (a quiet watch) keeps its socket
// however long it is silent. The agent sets the idle timeout again when the socket returns to the pool.
const noIdleTimeout = (socket: Duplex & { setTimeout(ms: number): unknown }) => socket.setTimeout(0);

/**
 * Sends one request through the endpoint's agent; `answer` resolves when the API server answered (status line and
 * headers). It rejects on transport failures, on `firstByteTimeoutMs`, or on `cancel`, always destroying what it
 * opened. A plain callback rather than an AbortSignal: this runs once per proxied request, and an AbortController
 * with its EventTarget listener cost more than the rest of the bookkeeping here.
 */
export function streamRequest(ep: KubeEndpoint, r: StreamRequest): StreamCall {
  let settled = false;
  let fail: (err: Error) => void = () => undefined;
  const answer = new Promise<StreamAnswer>((resolve, reject) => {
    const headers = r.headers;
    if (ep.headers.authorization) headers.authorization = ep.headers.authorization;
    const req = ep.transport.request({
      hostname: ep.hostname,
      port: ep.port,
      path: ep.basePath + r.path,
      method: r.method,
      agent: ep.agent,
      headers,
    });
    req.on('socket', noIdleTimeout);
    fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      r.body?.unpipe(req);
      reject(err);
    };
    const timer = setTimeout(() => fail(new RequestTimeoutError(r.firstByteTimeoutMs)), r.firstByteTimeoutMs);

    req.on('error', fail);
    // Every request closes once it is done; only one that closes unanswered is a failure (no error built otherwise).
    req.on('close', () => {
      if (!settled) fail(new ConnectionClosedError());
    });
    req.on('response', (response) => {
      if (settled) return void response.destroy();
      settled = true;
      clearTimeout(timer);
      resolve({ kind: 'response', response, request: req });
    });
    req.on('upgrade', (response, socket, head) => {
      if (settled) return void socket.destroy();
      settled = true;
      clearTimeout(timer);
      resolve({ kind: 'upgrade', response, socket, head });
    });
    if (r.body) {
      r.body.on('error', (err) => fail(err));
      r.body.pipe(req);
    } else req.end();
  });
  return { answer, cancel: (reason) => fail(reason) };
}
