import type { NextFunction, Request, Response } from 'express';
import { isConnectionError } from '../db/errors.js';
import { TooManyAuthFailuresError } from '../http/auth-failure-limiter.js';
import type { Logger } from '../logger.js';

/**
 * Answers on `/graphql` that never reach Apollo (the 401 brake, body limits, malformed JSON, content types) as GraphQL
 * responses: `{"errors":[{"message","extensions":{"code"}}]}` in the media type the client negotiated, with the same
 * HTTP status REST gives. GraphQL clients (urql, Apollo Client) read `errors`; a REST envelope reached them as
 * `data: null` with no error at all.
 */

const GRAPHQL_RESPONSE = 'application/graphql-response+json';
const JSON_TYPE = 'application/json';

/** Apollo's own choice: application/json unless the client prefers the GraphQL-over-HTTP media type. */
export function negotiatedMediaType(req: Request): string {
  const preferred = req.accepts([JSON_TYPE, GRAPHQL_RESPONSE]);
  return `${preferred === GRAPHQL_RESPONSE ? GRAPHQL_RESPONSE : JSON_TYPE}; charset=utf-8`;
}

export function sendGraphQLError(req: Request, res: Response, status: number, code: string, message: string): void {
  res.status(status).setHeader('Content-Type', negotiatedMediaType(req));
  res.send(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/** The one body type GraphQL reads here (a GET carries its operation in the query string). */
const JSON_BODY = /^application\/json\s*(;|$)/i;

/**
 * POST must say its body is JSON. Express would leave any other body unread and Apollo would answer with its CSRF
 * refusal or a missing body; this says what to fix. 400, the status these requests always got (Apollo's CSRF check).
 */
export function requireGraphQLJson(req: Request, res: Response, next: NextFunction): void {
  if (req.method !== 'POST') return next();
  const type = req.headers['content-type'];
  if (type === undefined || !JSON_BODY.test(type))
    return sendGraphQLError(req, res, 400, 'BAD_REQUEST', 'a POST body must be JSON (Content-Type: application/json)');
  next();
}

/** Express errors on the GraphQL path (body parsing, the brake) as GraphQL responses; statuses as REST gives them. */
export function graphqlHttpErrorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (err instanceof TooManyAuthFailuresError) return sendGraphQLError(req, res, 429, 'TOO_MANY_AUTH_FAILURES', err.message);
    const httpError = err as { type?: string; status?: number; statusCode?: number };
    if (httpError.type === 'entity.parse.failed') return sendGraphQLError(req, res, 400, 'BAD_REQUEST', 'request body is not valid JSON');
    if (httpError.type === 'entity.too.large') return sendGraphQLError(req, res, 413, 'PAYLOAD_TOO_LARGE', 'request body is too large');
    const status = httpError.status ?? httpError.statusCode;
    if (status === 415) return sendGraphQLError(req, res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'the request body must be JSON in UTF-8, not compressed');
    if (status && status >= 400 && status < 500) return sendGraphQLError(req, res, status, 'BAD_REQUEST', 'bad request');
    const requestId = String(res.getHeader('x-request-id') ?? '');
    if (isConnectionError(err)) return sendGraphQLError(req, res, 503, 'SERVICE_UNAVAILABLE', 'the database is unavailable; try again shortly');
    logger.error({ err, requestId, method: req.method, path: req.path }, 'unexpected error on the GraphQL path');
    sendGraphQLError(req, res, 500, 'INTERNAL_SERVER_ERROR', `Internal server error (request id ${requestId})`);
  };
}
