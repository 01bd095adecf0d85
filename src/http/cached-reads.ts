import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { TokenVerifier } from '../auth/jwt.js';
import type { RequestContext } from '../auth/principal.js';
import type { CompiledQueries } from '../graphql/compiled-queries.js';
import { contentTypeForAccept, type GraphQLRequestBody, type ListResponseCache } from '../graphql/list-response-cache.js';
import { hasListParams } from '../rest/cluster-list.params.js';
import { NO_STORE } from '../rest/responses.js';
import type { AuthFailureLimiter } from './auth-failure-limiter.js';
import { handOver, isPlainJsonBody, readJsonBody } from './json-body.js';
import type { RequestRecorder } from './request-recorder.js';
import { contextFromHeaders, requestIdFrom, restTarget } from './request-context.js';
import type { HeaderList } from './security-headers.js';

export interface CachedReadsDeps {
  verifier: TokenVerifier;
  recorder: RequestRecorder;
  limiter: AuthFailureLimiter;
  securityHeaders: HeaderList;
  /** REST C1's path and its rendered body for an authenticated caller (through the same manager as Express). */
  restListPath: string;
  restListBody(ctx: RequestContext): Promise<Buffer>;
  /** REST C2 (`<restListPath>/:id`) rendered for a caller, through the same manager calls as Express. */
  restDetailBody(ctx: RequestContext, rawId: string): Promise<Buffer>;
  graphqlPath: string;
  graphqlResponses: ListResponseCache;
  /** Queries executed here when no rendered answer is kept (graphql/compiled-queries.ts); absent: Apollo runs them. */
  compiledQueries?: CompiledQueries;
}

type Answer = { contentType: string; body: Buffer };
/** Which lane answered: rendered bytes from a cache, or a query executed here. */
export type Lane = 'cached' | 'compiled';

/**
 * The two hottest reads, answered from rendered bytes straight on node:http, ahead of Express and Apollo: REST C1 and
 * GraphQL list queries (POST, or GET as urql sends them) whose answer is cached and current
 * (graphql/list-response-cache.ts). Per request, Express's
 * routing and Apollo's pipeline cost several times what writing a cached answer does.
 *
 * Only the happy path of an authenticated caller is taken here, and it leaves what Express would: the same status,
 * headers and bytes, a request id, an access-log line and a latency observation under the same route. Everything
 * else (no or bad token, a braked client address, a cache miss, any other request) goes on to `next` untouched;
 * a GraphQL body read here travels with the request (http/json-body.ts).
 */
export function cachedReads(deps: CachedReadsDeps, next: RequestListener): RequestListener {
  const restPathWithQuery = `${deps.restListPath}?`;
  const restDetailPrefix = `${deps.restListPath}/`;
  const graphqlPathWithQuery = `${deps.graphqlPath}?`;
  // The security headers as writeHead takes them, flattened once rather than per answer, and the `no-store` every
  // API answer carries (rest/router.ts, graphql/apollo.ts).
  const staticHeaders = [...deps.securityHeaders.flat(), 'Cache-Control', NO_STORE];

  /** The caller's context if this request may be answered here at all. */
  const authenticated = (req: IncomingMessage): RequestContext | undefined => {
    if (req.headers.authorization === undefined || deps.limiter.isBraked(deps.limiter.clientOf(req))) return undefined;
    const ctx = contextFromHeaders(req.headers, deps.verifier, requestIdFrom(req.headers));
    return ctx.principal ? ctx : undefined;
  };

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
    route: string,
    answer: Answer,
    started: number,
    lane: Lane = 'cached',
  ) => {
    res.writeHead(200, [
      ...staticHeaders,
      'X-Request-Id',
      ctx.requestId,
      'Content-Type',
      answer.contentType,
      'Content-Length',
      String(answer.body.length),
    ]);
    res.end(answer.body, () => deps.recorder.finish(req, ctx.requestId, route, 200, started, lane));
  };

  const restList = async (req: IncomingMessage, res: ServerResponse, ctx: RequestContext, started: number) => {
    let body: Buffer;
    try {
      body = await deps.restListBody(ctx);
    } catch {
      return next(req, res); // e.g. the database is down: Express answers with the mapped error
    }
    send(req, res, ctx, deps.restListPath, { contentType: 'application/json; charset=utf-8', body }, started);
  };

  /**
   * Executes the operation here when the compiled lane takes it and it succeeds; false leaves the request to Apollo.
   * The context is the one Express gives Apollo (client address, audit target); an execution that throws (a bug) is
   * left to Apollo too, which answers it with its own masking.
   */
  const graphqlCompiled = async (req: IncomingMessage, res: ServerResponse, ctx: RequestContext, request: GraphQLRequestBody, started: number) => {
    const contentType = deps.compiledQueries && contentTypeForAccept(req.headers.accept);
    const compiled = contentType && deps.compiledQueries!.prepare(request);
    if (!compiled) return false;
    const context: RequestContext = { ...ctx, sourceIp: deps.limiter.clientOf(req), target: restTarget('POST', deps.graphqlPath) };
    const rendered = await deps.compiledQueries!.execute(compiled, context).catch(() => undefined);
    if (rendered === undefined) return false;
    send(req, res, ctx, deps.graphqlPath, { contentType, body: Buffer.from(rendered) }, started, 'compiled');
    return true;
  };

  /**
   * C2, executed here: the same manager calls and bytes as Express. Any failure (no such cluster, no role on it, the
   * database down) goes on to Express, which runs the read again and answers with the one REST error mapper; reads
   * have no side effects and are not audited, so a second run costs time only, on error paths.
   */
  const restDetail = async (req: IncomingMessage, res: ServerResponse, ctx: RequestContext, rawId: string, started: number) => {
    let body: Buffer;
    try {
      body = await deps.restDetailBody({ ...ctx, sourceIp: deps.limiter.clientOf(req), target: restTarget('GET', req.url ?? '') }, rawId);
    } catch {
      return next(req, res);
    }
    send(req, res, ctx, `${deps.restListPath}/:id`, { contentType: 'application/json; charset=utf-8', body }, started, 'compiled');
  };

  /** A GET query (GraphQL over HTTP): the same lookup with the operation from the query string. */
  const graphqlGetList = async (req: IncomingMessage, res: ServerResponse, ctx: RequestContext, request: GraphQLRequestBody, started: number) => {
    const answer = await deps.graphqlResponses.lookup(request, req.headers.accept, ctx).catch(() => undefined);
    if (answer) return send(req, res, ctx, deps.graphqlPath, answer, started);
    if (await graphqlCompiled(req, res, ctx, request, started)) return;
    next(req, res);
  };

  const graphqlList = async (req: IncomingMessage, res: ServerResponse, ctx: RequestContext, started: number) => {
    const outcome = await readJsonBody(req);
    if (!outcome) return; // the client went away
    if ('value' in outcome && isObject(outcome.value)) {
      const answer = await deps.graphqlResponses.lookup(outcome.value, req.headers.accept, ctx).catch(() => undefined);
      if (answer) return send(req, res, ctx, deps.graphqlPath, answer, started);
      if (await graphqlCompiled(req, res, ctx, outcome.value, started)) return;
    }
    handOver(req, outcome);
    next(req, res);
  };

  return (req, res) => {
    const started = performance.now();
    const url = req.url ?? '';
    // C1 with list parameters (filters, pages) is computed per request by Express; only the whole list is kept rendered.
    if (req.method === 'GET' && (url === deps.restListPath || (url.startsWith(restPathWithQuery) && !hasListParams(url)))) {
      const ctx = authenticated(req);
      if (ctx) return void restList(req, res, ctx, started).catch((err: Error) => res.destroy(err));
    } else if (req.method === 'GET' && url.startsWith(restDetailPrefix) && CLUSTER_ID.test(url.slice(restDetailPrefix.length))) {
      const ctx = authenticated(req);
      if (ctx) return void restDetail(req, res, ctx, url.slice(restDetailPrefix.length), started).catch((err: Error) => res.destroy(err));
    } else if (req.method === 'POST' && url === deps.graphqlPath && isPlainJsonBody(req)) {
      const ctx = authenticated(req);
      if (ctx) return void graphqlList(req, res, ctx, started).catch((err: Error) => res.destroy(err));
    } else if (req.method === 'GET' && url.startsWith(graphqlPathWithQuery)) {
      const request = graphqlGetRequest(url.slice(graphqlPathWithQuery.length));
      const ctx = request && authenticated(req);
      if (ctx) return void graphqlGetList(req, res, ctx, request, started).catch((err: Error) => res.destroy(err));
    }
    next(req, res);
  };
}

/**
 * The operation of a GET query string, when it reads exactly as Apollo would read it (each parameter at most once,
 * `variables` a JSON object, no `extensions`); anything else is left to Apollo to answer or refuse. Only queries can
 * ever match a cached answer: the cache stores nothing else, so a mutation sent over GET still reaches Apollo's 405.
 */
function graphqlGetRequest(search: string): GraphQLRequestBody | undefined {
  const params = new URLSearchParams(search);
  const once = (name: string) => (params.getAll(name).length > 1 ? null : (params.get(name) ?? undefined));
  const query = once('query');
  const operationName = once('operationName');
  const variablesText = once('variables');
  if (typeof query !== 'string' || operationName === null || variablesText === null || params.has('extensions')) return undefined;
  let variables: unknown;
  try {
    variables = variablesText === undefined ? undefined : JSON.parse(variablesText);
  } catch {
    return undefined;
  }
  if (variables !== undefined && !isObject(variables)) return undefined;
  return { query, operationName, variables };
}

/** C2's `:id` as the lane takes it: digits only (no query string, no trailing slash); Express has everything else. */
const CLUSTER_ID = /^\d{1,10}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
