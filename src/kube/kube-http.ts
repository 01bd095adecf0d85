import http from 'node:http';
import https from 'node:https';
import { gunzipSync } from 'node:zlib';

/**
 * The HTTP underneath every kube client: a GET through the cluster's keep-alive agent, one timer per request, the body
 * collected as a string. @kubernetes/client-node's typed APIs send through it (as their `HttpLibrary`), as does the
 * raw service-proxy GET. Plain node:http instead of client-node's default fetch layer: a health sweep over thousands
 * of clusters is CPU bound, and the fetch stack (streams, Headers, a body mixin per response, an AbortSignal timer per
 * request) cost more than the TLS and JSON work itself.
 */

/** Named like the DOMException of `AbortSignal.timeout`, which callers (and `classifyKubeError`) already recognise. */
export class RequestTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`request timeout: no complete answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

export class ResponseTooLargeError extends Error {
  constructor(limit: number) {
    super(`response larger than ${limit} bytes`);
    this.name = 'ResponseTooLargeError';
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

/**
 * GET `path` (the full request path on the server, base path and query included) and collect the body. Resolves for
 * any status; rejects on transport failures, on `timeoutMs` for the whole exchange (connect, headers and body), and on
 * bodies over `maxBytes`.
 */
export function httpGet(ep: KubeEndpoint, path: string, timeoutMs: number, maxBytes: number): Promise<KubeHttpResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    // Why we cut the request short: destroying it also fails the response with a generic "aborted" first.
    let cutShort: Error | undefined;
    const req = ep.transport.request({ hostname: ep.hostname, port: ep.port, path, method: 'GET', agent: ep.agent, headers: ep.headers });
    const cut = (err: Error) => {
      cutShort ??= err;
      req.destroy(err);
    };
    // One plain timer (cleared on every outcome) rather than AbortSignal.timeout, which leaves a timer per request behind.
    const timer = setTimeout(() => cut(new RequestTimeoutError(timeoutMs)), timeoutMs);
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(cutShort ?? err);
    };
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) cut(new ResponseTooLargeError(maxBytes));
        else chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try {
          let raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          if (res.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw, { maxOutputLength: maxBytes });
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8') });
        } catch (err) {
          reject(err instanceof RangeError ? new ResponseTooLargeError(maxBytes) : (err as Error));
        }
      });
    });
    req.end();
  });
}
