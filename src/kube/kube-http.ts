import http from 'node:http';
import https from 'node:https';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/**
 * The HTTP underneath every kube client: a GET through the cluster's keep-alive agent, one timer per request, the body
 * collected as a string. The typed reads (kube-reads.ts) send through it, as does the raw service-proxy GET. Plain
 * node:http instead of a fetch-based client: a health sweep over thousands of clusters is CPU bound, and the fetch
 * stack (streams, Headers, a body mixin per response, an AbortSignal timer per request) cost more than the TLS and
 * JSON work itself.
 *
 * The server at the other end may be hostile (SECURITY.md, threat model): every request settles, whatever it does,
 * within `timeoutMs`, with at most `maxBytes` read from the wire and at most `maxBytes` decompressed.
 */

/** Named like the DOMException of `AbortSignal.timeout`, which callers (and `classifyKubeError`) already recognise. */
export class RequestTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`request timeout: no complete answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** The server sent (or its compressed body expanded to) more than the request kind allows. The server did answer. */
export class ResponseTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`response larger than ${limit} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** An answer that is not an HTTP response to a GET: `101 Switching Protocols`, an unknown or corrupt encoding. */
export class UnexpectedResponseError extends Error {
  constructor(readonly what: string) {
    super(`unexpected response from the API server: ${what}`);
    this.name = 'UnexpectedResponseError';
  }
}

/** The connection closed before a complete response arrived (no error event of its own). */
export class ConnectionClosedError extends Error {
  readonly code = 'ECONNRESET';
  constructor() {
    super('the connection closed before the response was complete');
    this.name = 'ConnectionClosedError';
  }
}

/** Where and how to send requests for one cluster; built once per client. */
export interface KubeEndpoint {
  transport: typeof http | typeof https;
  hostname: string;
  port: number;
  /** Path prefix of the server URL ('' or '/prefix', no trailing slash). */
  basePath: string;
  agent: http.Agent;
  headers: Record<string, string>;
}

export function endpointOf(server: string, agent: http.Agent, authHeader: string | undefined): KubeEndpoint {
  const url = new URL(server);
  const isHttps = url.protocol === 'https:';
  return {
    transport: isHttps ? https : http,
    // URL keeps IPv6 literals bracketed; node:http wants them bare.
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : isHttps ? 443 : 80,
    basePath: url.pathname.replace(/\/+$/, ''),
    agent,
    headers: { accept: 'application/json', 'accept-encoding': 'gzip', ...(authHeader ? { authorization: authHeader } : {}) },
  };
}

export interface KubeHttpResponse {
  status: number;
  /** Lower-case names, as node:http gives them. */
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpGetOptions {
  /** The whole exchange: connect, headers and body. */
  timeoutMs: number;
  /** Most bytes read from the wire, and most bytes after decompression. */
  maxBytes: number;
  /** Cuts the request short (a whole-probe deadline); rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A streaming decompressor for a Content-Encoding, null for none; undefined when the encoding is not one we read. */
function decoderFor(encoding: string | undefined): Transform | null | undefined {
  switch ((encoding ?? 'identity').trim().toLowerCase()) {
    case '':
    case 'identity':
      return null;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

/**
 * GET `path` (the full request path on the server, base path and query included) and collect the body. Resolves for
 * any status; rejects on transport failures, on `timeoutMs`, on an aborted `signal`, on bodies over `maxBytes` (on the
 * wire or decompressed), on `101` upgrades and on encodings it cannot read. Always settles: the timer and the signal
 * reject directly rather than relying on events from a request that may already be destroyed.
 */
export function httpGet(ep: KubeEndpoint, path: string, opts: HttpGetOptions): Promise<KubeHttpResponse> {
  const { timeoutMs, maxBytes, signal } = opts;
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    let settled = false;
    let decoder: Transform | null = null;
    const req = ep.transport.request({ hostname: ep.hostname, port: ep.port, path, method: 'GET', agent: ep.agent, headers: ep.headers });
    const settle = (outcome: { err: Error } | { value: KubeHttpResponse }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if ('err' in outcome) {
        // Whatever is still open for this request goes: the socket (never returned to the pool) and the decompressor.
        req.destroy();
        decoder?.destroy();
        reject(outcome.err);
      } else resolve(outcome.value);
    };
    const fail = (err: Error) => settle({ err });
    // One plain timer (cleared on every outcome) rather than AbortSignal.timeout, which leaves a timer per request behind.
    const timer = setTimeout(() => fail(new RequestTimeoutError(timeoutMs)), timeoutMs);
    const onAbort = () => fail(signal!.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });

    req.on('error', fail);
    // A 101 answer hands the socket over; without this listener node:http destroys it and the request never settles.
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      fail(new UnexpectedResponseError('101 Switching Protocols to a GET'));
    });
    let answered = false;
    req.on('close', () => {
      if (!answered) fail(new ConnectionClosedError());
    });
    req.on('response', (res) => {
      answered = true;
      const decoding = decoderFor(res.headers['content-encoding']);
      if (decoding === undefined) return fail(new UnexpectedResponseError('an unsupported Content-Encoding'));
      decoder = decoding;
      let wireBytes = 0;
      let bodyBytes = 0;
      const chunks: Buffer[] = [];
      const collect = (chunk: Buffer) => {
        bodyBytes += chunk.length;
        if (bodyBytes > maxBytes) fail(new ResponseTooLargeError(maxBytes));
        else chunks.push(chunk);
      };
      const done = () =>
        settle({
          value: {
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8'),
          },
        });
      res.on('data', (chunk: Buffer) => {
        wireBytes += chunk.length;
        if (wireBytes > maxBytes) return fail(new ResponseTooLargeError(maxBytes));
        // The decompressor is fed as the bytes arrive; its output is counted (and the request cut) chunk by chunk, so a
        // small compressed body never expands further than `maxBytes` in memory.
        if (decoder) decoder.write(chunk);
        else collect(chunk);
      });
      res.on('error', fail);
      res.on('close', () => {
        if (!res.complete) fail(new ConnectionClosedError());
      });
      if (decoder) {
        decoder.on('data', collect);
        decoder.on('error', () => fail(new UnexpectedResponseError('a corrupt compressed body')));
        decoder.on('end', done);
        res.on('end', () => decoder!.end());
      } else res.on('end', done);
    });
    req.end();
  });
}
