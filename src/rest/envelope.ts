import type { NextFunction, Request, Response } from 'express';
import { isConnectionError } from '../db/errors.js';
import { ClusterUnreachableError, DomainError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';

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

const STATUS_BY_CODE: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  CONFLICT: 409,
  CLUSTER_UNREACHABLE: 503,
  SERVICE_UNAVAILABLE: 503,
};

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The one mapping from errors to REST status + envelope. Unknown errors are masked and logged with the request id. */
export function restErrorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const requestId = String(res.getHeader('x-request-id') ?? '');
    if (err instanceof DomainError) {
      const status = STATUS_BY_CODE[err.code] ?? 500;
      if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
      let message = err.message;
      const extra: Record<string, unknown> = {};
      if (err instanceof ValidationError) {
        // GraphQL names fields in camelCase; the REST contract in snake_case.
        const [head, ...rest] = err.field.split('.');
        const field = [snake(head!), ...rest].join('.');
        message = `${field}: ${err.detail}`;
        extra.field = field;
      }
      if (err instanceof ClusterUnreachableError) extra.reason = err.reason;
      res.status(status).json({ code: status, message, data: null, ...extra });
      return;
    }
    const httpError = err as { type?: string; status?: number; statusCode?: number };
    if (httpError.type === 'entity.parse.failed') {
      res.status(400).json({ code: 400, message: 'request body is not valid JSON', data: null });
      return;
    }
    if (httpError.type === 'entity.too.large') {
      res.status(413).json({ code: 413, message: 'request body is too large', data: null });
      return;
    }
    const status = httpError.status ?? httpError.statusCode;
    if (status && status >= 400 && status < 500) {
      res.status(status).json({ code: status, message: 'bad request', data: null });
      return;
    }
    if (isConnectionError(err)) {
      logger.warn({ requestId, path: req.path }, 'database unavailable');
      res.status(503).json({ code: 503, message: 'the database is unavailable; try again shortly', data: null });
      return;
    }
    logger.error({ err, requestId, method: req.method, path: req.path }, 'unexpected error in REST handler');
    res.status(500).json({ code: 500, message: `Internal server error (request id ${requestId})`, data: null });
  };
}
