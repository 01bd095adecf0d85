/**
 * Small HTTPS client helpers for talking to a simulator without a Kubernetes client library: useful for
 * tests that need raw status codes, headers, timeouts or certificate auth.
 */
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { ClusterHandle } from './types.js';

/** Options of `rawRequest()`. */
export interface RawRequestOptions {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  /** Abort (reject with `Error('timeout')`) after this many ms. Default 5000. */
  timeoutMs?: number;
  /** `token` (default), `cert` (client certificate), or `none`. */
  auth?: 'token' | 'cert' | 'none';
  /** Override the bearer token. */
  token?: string;
  /** CA to trust (default: the simulator CA). */
  caPem?: string;
}

/** A fully read response. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTPS request to the virtual cluster `h` (no connection reuse: `agent: false`). */
export function rawRequest(h: ClusterHandle, path: string, o: RawRequestOptions = {}): Promise<RawResponse> {
  const url = new URL(path, h.server);
  const auth = o.auth ?? 'token';
  const headers: Record<string, string> = { Accept: 'application/json', ...o.headers };
  if (auth === 'token') headers.Authorization = `Bearer ${o.token ?? h.token}`;
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: o.method ?? 'GET',
        headers,
        ca: o.caPem ?? h.caPem,
        agent: false,
        ...(auth === 'cert' ? { cert: h.clientCertPem, key: h.clientKeyPem } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(o.timeoutMs ?? 5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(o.body);
  });
}
