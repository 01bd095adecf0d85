import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from './metrics.js';
import { requestIdFrom } from './request-context.js';
import { routeOf } from './route-of.js';

/**
 * What every HTTP request leaves behind, whichever path served it (Express or the cached-read lane): an
 * `X-Request-Id` header, one access-log line and one latency observation, both by route template. Routes, never raw
 * paths or headers: an access log must never carry a token. The line names the client address the auth brake and
 * the audit log use (TRUST_PROXY applies), so one client's traces can be followed across all three.
 */
export class RequestRecorder {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
    private readonly clientOf: (req: IncomingMessage) => string | undefined = (req) => req.socket.remoteAddress,
  ) {}

  /** `lane`: answered ahead of Express (http/cached-reads.ts), counted by lane. */
  finish(req: IncomingMessage, requestId: string, route: string, status: number, startedMs: number, lane?: 'cached' | 'compiled'): void {
    const ms = performance.now() - startedMs;
    const method = req.method ?? 'GET';
    this.metrics.observeHttp(method, route, status, ms / 1000);
    if (lane === 'cached') this.metrics.countCachedRead(route);
    else if (lane === 'compiled') this.metrics.countCompiledRead(route);
    if (this.logger.isLevelEnabled('info'))
      this.logger.info({ requestId, method, path: route, status, ms: Math.round(ms), client: this.clientOf(req) }, 'request');
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      const started = performance.now();
      const requestId = requestIdFrom(req.headers);
      res.setHeader('X-Request-Id', requestId);
      res.locals.requestId = requestId;
      res.once('finish', () => this.finish(req, requestId, routeOf(req), res.statusCode, started));
      next();
    };
  }
}
