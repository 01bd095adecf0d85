/**
 * The service proxy subresource (`/api/v1/namespaces/{ns}/services/{[scheme:]name[:port]}/proxy/{path}`):
 * resolves the service and port like the API server does, then forwards method, query, headers and body
 * to the configured upstream URL and streams the answer back. Errors are the real server's Statuses.
 */
import http from 'node:http';
import https from 'node:https';
import type { ClusterModel } from './model.js';
import { servicePorts } from './objects.js';
import { badRequest, notFound, serviceUnavailable, type KubeStatus } from './status.js';

/** Where to forward, or why not. */
export type ProxyTarget = { url: URL } | { status: KubeStatus };

/** Resolves `{ns}/{id}` (id = `name`, `name:port`, `scheme:name:port`) to an upstream URL for `rest` + query. */
export function resolveProxy(m: ClusterModel, ns: string, id: string, rest: string, query: URLSearchParams): ProxyTarget {
  const parts = id.split(':');
  if (parts.length > 3) return { status: badRequest(`invalid service request "${id}"`) };
  const [scheme, name = '', port = ''] = parts.length === 3 ? parts : ['', parts[0] ?? '', parts[1] ?? ''];
  if (!name || !['', 'http', 'https'].includes(scheme ?? '')) return { status: badRequest(`invalid service request "${id}"`) };
  const svc = m.services().find((s) => s.namespace === ns && s.name === name);
  if (!svc) return { status: notFound('services', name) };
  const ports = servicePorts(svc);
  let chosen = ports[0];
  if (port !== '') {
    if (/^\d+$/.test(port)) {
      chosen = ports.find((p) => p.port === Number(port));
      if (!chosen) return { status: serviceUnavailable(`no service port ${port} found for service "${name}"`) };
    } else {
      chosen = ports.find((p) => p.name === port);
      if (!chosen) return { status: serviceUnavailable(`no endpoints available for service "${id}"`) };
    }
  }
  const upstream = chosen?.upstream ?? svc.upstream;
  if (!upstream) return { status: serviceUnavailable(`no endpoints available for service "${name}"`) };
  const url = new URL(upstream);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${rest}`;
  url.search = query.toString();
  return { url };
}

/** Headers not forwarded: hop-by-hop ones, and credentials meant for the API server (it strips them too). */
const DROP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'authorization']);

function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !DROP.has(k.toLowerCase())) out[k] = v;
  return out;
}

/** What the proxy sent, for the request log. */
export interface ProxyOutcome {
  status: number;
  bytes: number;
}

/**
 * Forwards `req` to `url`, streaming the upstream response to `res`. When the upstream cannot be reached the
 * answer is the API server's 503 (`error trying to reach service: dial tcp ...: connect: connection refused`),
 * produced by `sendStatus`.
 */
export function forward(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  sendStatus: (s: KubeStatus) => ProxyOutcome,
): Promise<ProxyOutcome> {
  return new Promise((resolve) => {
    const client = url.protocol === 'https:' ? https : http;
    let bytes = 0;
    let done = false;
    // agent: false, so no pooled upstream connection outlives the proxied request.
    const upstream = client.request(url, { method: req.method, headers: forwardable(req.headers), rejectUnauthorized: false, agent: false }, (up) => {
      res.writeHead(up.statusCode ?? 502, forwardable(up.headers));
      up.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      up.pipe(res);
      up.on('end', () => {
        done = true;
        resolve({ status: up.statusCode ?? 502, bytes });
      });
      up.on('error', () => {
        res.destroy();
        resolve({ status: up.statusCode ?? 502, bytes });
      });
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        res.destroy();
        resolve({ status: res.statusCode, bytes });
        return;
      }
      const addr = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
      const why =
        err.code === 'ECONNREFUSED'
          ? `dial tcp ${addr}: connect: connection refused`
          : err.code === 'ECONNRESET'
            ? `read tcp ${addr}: read: connection reset by peer`
            : `dial tcp ${addr}: ${err.message}`;
      resolve(sendStatus(serviceUnavailable(`error trying to reach service: ${why}`)));
    });
    // The client going away (or the simulator closing) must not leave the upstream request dangling.
    res.on('close', () => {
      if (!done) upstream.destroy();
    });
    req.pipe(upstream);
  });
}
