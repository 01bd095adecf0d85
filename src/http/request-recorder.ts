import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from './metrics.js';
import { requestIdFrom } from './request-context.js';
import { routeOf } from './route-of.js';

/**
 * What every HTTP request leaves behind, whichever path served it (Express or the cached-read lane): an
 * `X-Request-Id` header, one access-log line and one latency observation, both by route template. Routes, never raw
 * paths or headers: an access log must never carry a token.
 */
export class RequestRecorder {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
  ) {}

  finish(requestId: string, method: string, route: string, status: number, startedMs: number, fromCache = false): void {
    const ms = performance.now() - startedMs;
    this.metrics.observeHttp(method, route, status, ms / 1000);
    if (fromCache) this.metrics.countCachedRead(route);
    if (this.logger.isLevelEnabled('info')) this.logger.info({ requestId, method, path: route, status, ms: Math.round(ms) }, 'request');
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      const started = performance.now();
      const requestId = requestIdFrom(req.headers);
      res.setHeader('X-Request-Id', requestId);
      res.locals.requestId = requestId;
      res.once('finish', () => this.finish(requestId, req.method, routeOf(req), res.statusCode, started));
      next();
    };
  }
}
