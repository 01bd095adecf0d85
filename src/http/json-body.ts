import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';

/**
 * JSON request bodies read ahead of Express by the cached-read lane, which has to see a GraphQL request's body to know
 * whether it can answer from memory. When it cannot, the outcome travels on the request and `preReadJsonBody()` stands
 * in for `express.json()` with the same result: the parsed value as `req.body`, or the same `entity.parse.failed`
 * error that the error mapper turns into a 400. Only plain bodies are read ahead (JSON in UTF-8, not compressed, with a
 * Content-Length up to 64 KiB); anything else is left to express.json and its full rules.
 */
export const MAX_PRE_READ_BYTES = 64 * 1024;
/** The largest JSON body REST and GraphQL accept (413 beyond); the OpenAPI document states the same figure. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
const PLAIN_JSON = /^application\/json\s*(?:;\s*charset="?utf-8"?\s*)?$/i;
const PRE_READ = Symbol('preReadJsonBody');

export type JsonBodyOutcome = { value: unknown } | { error: Error };
type PreReadRequest = IncomingMessage & { [PRE_READ]?: JsonBodyOutcome; body?: unknown };

export function isPlainJsonBody(req: IncomingMessage): boolean {
  const h = req.headers;
  if (h['content-type'] === undefined || !PLAIN_JSON.test(h['content-type'])) return false;
  if (h['transfer-encoding'] !== undefined) return false;
  const encoding = h['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  const length = Number(h['content-length']);
  return Number.isInteger(length) && length > 0 && length <= MAX_PRE_READ_BYTES;
}

/** Reads and parses a plain JSON body; undefined if the client went away first. */
export function readJsonBody(req: IncomingMessage): Promise<JsonBodyOutcome | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(parseJson(Buffer.concat(chunks).toString('utf8'))));
    req.once('error', () => resolve(undefined));
    req.once('close', () => resolve(undefined)); // after 'end' this is a no-op: a promise settles once
  });
}

/** body-parser's strict JSON rules: a leading BOM is dropped, an empty body is `{}`, only objects and arrays. */
function parseJson(text: string): JsonBodyOutcome {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) return { value: {} };
  const first = /^[\x20\x09\x0a\x0d]*(.)/s.exec(body)?.[1];
  if (first !== '{' && first !== '[') return { error: parseError(`Unexpected token ${first ?? 'end'} in JSON`) };
  try {
    return { value: JSON.parse(body) as unknown };
  } catch (err) {
    return { error: parseError((err as Error).message) };
  }
}

function parseError(message: string): Error {
  return Object.assign(new SyntaxError(message), { status: 400, statusCode: 400, expose: true, type: 'entity.parse.failed' });
}

/** Hands a body read ahead to Express (see above). */
export function handOver(req: IncomingMessage, outcome: JsonBodyOutcome): void {
  (req as PreReadRequest)[PRE_READ] = outcome;
}

/** Put before `express.json()`: a body already read is used as is; express.json then skips the finished request. */
export function preReadJsonBody(): RequestHandler {
  return (req, _res, next) => {
    const outcome = (req as PreReadRequest)[PRE_READ];
    if (!outcome) return next();
    if ('error' in outcome) return next(outcome.error);
    req.body = outcome.value;
    next();
  };
}
