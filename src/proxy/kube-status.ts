import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Errors on proxy paths are Kubernetes `v1 Status` objects, never the REST envelope: kubectl and client libraries
 * parse `reason`, `code` and `message` and print them as they would for the cluster itself.
 */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason: string; message: string }[] };
  code: number;
}

export function kubeStatus(code: number, reason: string, message: string, details?: KubeStatus['details']): KubeStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** A refusal the proxy decided itself, carried to the one place that writes it. */
export class ProxyRefusal extends Error {
  constructor(readonly status: KubeStatus) {
    super(status.message);
    this.name = 'ProxyRefusal';
  }
}

export const refuse = (code: number, reason: string, message: string, details?: KubeStatus['details']) =>
  new ProxyRefusal(kubeStatus(code, reason, message, details));

export function writeStatus(res: ServerResponse, status: KubeStatus, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(status);
  res.writeHead(status.code, {
    ...extraHeaders,
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
    ...(status.code === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}),
  });
  res.end(body);
}

/** The same answer on a socket whose request asked for an upgrade (no ServerResponse exists there). */
export function writeStatusToSocket(socket: Duplex, status: KubeStatus, requestId: string): void {
  const body = JSON.stringify(status);
  const head = [
    `HTTP/1.1 ${status.code} ${REASON_PHRASES[status.code] ?? 'Error'}`,
    'Content-Type: application/json',
    'Cache-Control: no-store',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    'Connection: close',
    ...(status.code === 401 ? ['WWW-Authenticate: Bearer'] : []),
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};
