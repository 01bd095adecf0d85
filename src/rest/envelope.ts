import type { NextFunction, Request, Response } from 'express';
import { isConnectionError } from '../db/errors.js';
import { ReadOnlyError } from '../access/read-only.js';
import {
  ClusterUnreachableError,
  DomainError,
  HTTP_STATUS_BY_CODE,
  PrometheusNotConfiguredError,
  PrometheusUnreachableError,
  ValidationError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import { TooManyAuthFailuresError } from '../http/auth-failure-limiter.js';

/** The contract's response envelope. */
export interface Envelope<T> {
  code: number;
  message: string;
  data: T;
}

export function send<T>(res: Response, status: number, message: string, data: T): void {
  const body: Envelope<T> = { code: status, message, data };
  res.status(status).json(body);
}

/** Every REST error answer: the envelope with `data: null`, plus `field` / `reason` where they apply. */
export function sendError(
  res: Response,
  status: number,
  message: string,
  extra: { field?: string; reason?: string; discovery_state?: string } = {},
): void {
  res.status(status).json({ code: status, message, data: null, ...extra });
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The one mapping from errors to REST status + envelope. A 503 comes from exactly three places here: a cluster or its
 * Prometheus that cannot be reached (`ClusterUnreachableError`, `PrometheusUnreachableError`, with `reason`) and a
 * database that cannot be reached (`isConnectionError`, db/errors.ts). Unknown errors are masked as 500 and logged with the request id.
 */
export function restErrorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const requestId = String(res.getHeader('x-request-id') ?? '');
    if (err instanceof DomainError) {
      const status = HTTP_STATUS_BY_CODE[err.code] ?? 500;
      if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
      if (err instanceof ValidationError) {
        // GraphQL names fields in camelCase; the REST contract in snake_case.
        const [head, ...rest] = err.field.split('.');
        const field = [snake(head!), ...rest].join('.');
        return sendError(res, status, `${field}: ${err.detail}`, { field });
      }
      if (err instanceof ClusterUnreachableError || err instanceof PrometheusUnreachableError || err instanceof ReadOnlyError) {
        return sendError(res, status, err.message, { reason: err.reason });
      }
      if (err instanceof PrometheusNotConfiguredError) return sendError(res, status, err.message, { discovery_state: err.discoveryState });
      return sendError(res, status, err.message);
    }
    if (err instanceof TooManyAuthFailuresError) return sendError(res, 429, err.message);
    const httpError = err as { type?: string; status?: number; statusCode?: number };
    if (httpError.type === 'entity.parse.failed') return sendError(res, 400, 'request body is not valid JSON');
    if (httpError.type === 'entity.too.large') return sendError(res, 413, 'request body is too large');
    const status = httpError.status ?? httpError.statusCode;
    if (status && status >= 400 && status < 500) return sendError(res, status, 'bad request');
    if (isConnectionError(err)) {
      logger.warn({ requestId, path: req.path }, 'database unavailable');
      return sendError(res, 503, 'the database is unavailable; try again shortly');
    }
    logger.error({ err, requestId, method: req.method, path: req.path }, 'unexpected error in REST handler');
    sendError(res, 500, `Internal server error (request id ${requestId})`);
  };
}
