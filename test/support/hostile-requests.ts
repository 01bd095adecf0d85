import type { TestGateway } from './gateway.js';
import { assertMatchesOpenApi } from './openapi-check.js';
import { bearer, JSON_CT } from './raw-requests.js';

/**
 * How the hostile-input suites send their payloads and judge the answers: every answer must be a 4xx with a clear
 * message (REST envelope `{code,message,data:null}`) or a GraphQL error with `extensions.code`, never a 5xx, never
 * INTERNAL_SERVER_ERROR, never an accepted write. A Tally counts what was sent and how it was answered.
 */

/** Attempts in flight at once: enough to overlap the waits, few enough for a 2-core machine shared with other suites. */
const CONCURRENCY = 8;

export interface Expectation {
  status?: number[];
  /** REST `message` or the first GraphQL error's message. */
  message?: RegExp;
  /** REST `field` or the first GraphQL error's `extensions.field`. */
  field?: RegExp;
  /** GraphQL `extensions.code` of the first error. */
  code?: string[];
}

export interface Attempt {
  kind: 'rest' | 'gql';
  label: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  expect?: Expectation;
}

export class Tally {
  tried = 0;
  readonly byStatus = new Map<string, number>();
  readonly gqlCodes = new Map<string, number>();
  readonly violations: string[] = [];
  readonly undocumented: string[] = [];

  count(key: string, map = this.byStatus): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  fiveXx(): number {
    return [...this.byStatus].filter(([k]) => /^5\d\d$/.test(k) || k === 'ws:4500').reduce((n, [, v]) => n + v, 0);
  }

  /** One log line; `suite` names the file's topic and driver (`ids pglite`). */
  summary(suite: string): string {
    const fmt = (m: Map<string, number>) =>
      [...m]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
    return `[hostile-input ${suite}] requests=${this.tried} status{${fmt(this.byStatus)}} gqlCodes{${fmt(this.gqlCodes)}} 5xx=${this.fiveXx()} violations=${this.violations.length} undocumented=${this.undocumented.length}`;
  }
}

export const short = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);

/** Returns why the answer is unacceptable, or null. Also feeds the tally. */
function judge(a: Attempt, status: number, text: string, tally: Tally): string | null {
  tally.count(String(status));
  if (status >= 500) return `${status}: ${short(text, 300)}`;
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return `non-JSON ${status} answer: ${short(text)}`;
  }
  const ex = a.expect ?? {};
  if (ex.status && !ex.status.includes(status)) return `expected status ${ex.status.join('/')}, got ${status}: ${short(text, 300)}`;

  if (a.kind === 'gql' && Array.isArray(body?.errors)) {
    if (body.errors.length === 0) return `empty errors array (${status})`;
    for (const e of body.errors) {
      const code = e?.extensions?.code;
      tally.count(typeof code === 'string' ? code : '(none)', tally.gqlCodes);
      if (typeof code !== 'string') return `GraphQL error without extensions.code: ${short(JSON.stringify(e), 300)}`;
      if (code === 'INTERNAL_SERVER_ERROR') return `INTERNAL_SERVER_ERROR (HTTP ${status}): ${short(JSON.stringify(e), 300)}`;
      if (typeof e.message !== 'string' || e.message === '') return `GraphQL error without a message: ${short(JSON.stringify(e))}`;
    }
    const first = body.errors[0];
    if (ex.code && !ex.code.includes(first.extensions.code))
      return `expected code ${ex.code.join('/')}, got ${first.extensions.code}: ${short(first.message, 300)}`;
    if (ex.message && !ex.message.test(first.message)) return `message ${JSON.stringify(short(first.message, 300))} does not match ${ex.message}`;
    if (ex.field && !ex.field.test(String(first.extensions.field ?? ''))) return `field ${first.extensions.field} does not match ${ex.field}`;
    if (status < 400 && body.data && Object.values(body.data).some((v) => v !== null)) return `partial success: ${short(JSON.stringify(body.data))}`;
    return null;
  }

  // REST answers, and the transport-level answers GraphQL shares with REST (413, malformed JSON): the envelope.
  if (status < 400) return `hostile input accepted with ${status}: ${short(text)}`;
  if (body === null || typeof body !== 'object' || body.code !== status || body.data !== null)
    return `not a {code,message,data:null} envelope: ${short(text)}`;
  if (typeof body.message !== 'string' || body.message.trim() === '' || /internal server error/i.test(body.message))
    return `unclear message: ${short(text)}`;
  if (ex.message && !ex.message.test(body.message)) return `message ${JSON.stringify(short(body.message, 300))} does not match ${ex.message}`;
  if (ex.field && !ex.field.test(String(body.field ?? ''))) return `field ${body.field} does not match ${ex.field}`;
  if (a.kind === 'rest') {
    try {
      assertMatchesOpenApi(a.method, a.path, status, body);
    } catch (err) {
      tally.undocumented.push(`${a.label}: ${(err as Error).message.split(' (body')[0]}`);
    }
  }
  return null;
}

export async function send(t: TestGateway, a: Attempt, tally: Tally): Promise<string | null> {
  tally.tried++;
  let status: number;
  let text: string;
  try {
    const res = await fetch(`${t.url}${a.path}`, { method: a.method, headers: a.headers, body: a.body, signal: AbortSignal.timeout(20_000) });
    status = res.status;
    text = await res.text();
  } catch (err) {
    tally.count('network-error');
    return `network error: ${(err as Error).message} ${(err as { cause?: Error }).cause?.message ?? ''}`;
  }
  return judge(a, status, text, tally);
}

/**
 * For answers that may legitimately succeed (a reachable cluster's figures): only a 5xx or status outside the expected
 * ones, and GraphQL errors that are INTERNAL_SERVER_ERROR or carry no code, count as violations.
 */
export async function sendAccepting(t: TestGateway, a: Attempt, tally: Tally): Promise<string | null> {
  tally.tried++;
  const res = await fetch(`${t.url}${a.path}`, { method: a.method, headers: a.headers, body: a.body, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  // C6's 503 for a cluster it cannot reach is the contract, not a failure of the gateway: tallied apart.
  const expected503 = res.status === 503 && a.expect?.status?.includes(503);
  tally.count(expected503 ? '503 (C6: cluster unreachable, per contract)' : String(res.status));
  if (a.expect?.status ? !a.expect.status.includes(res.status) : res.status >= 500) return `got ${res.status}: ${short(text, 300)}`;
  const body = JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] };
  for (const e of body.errors ?? []) {
    const code = e.extensions?.code;
    tally.count(code ?? '(none)', tally.gqlCodes);
    if (!code || code === 'INTERNAL_SERVER_ERROR') return `GraphQL error ${short(JSON.stringify(e), 300)}`;
  }
  return null;
}

/** Sends every attempt (a few at a time) and returns the violations, each prefixed by its label. */
export async function runAll(t: TestGateway, attempts: Attempt[], tally: Tally): Promise<string[]> {
  const violations: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < attempts.length) {
        const a = attempts[next++]!;
        const v = await send(t, a, tally);
        if (v) violations.push(`${a.label} [${a.method} ${short(a.path, 80)}] → ${v}`);
      }
    }),
  );
  tally.violations.push(...violations);
  return violations;
}

/** A REST attempt sent as an admin; `raw` replaces the JSON body. */
export function rest(
  t: TestGateway,
  label: string,
  method: string,
  path: string,
  body?: unknown,
  opts: { raw?: string; headers?: Record<string, string>; expect?: Expectation } = {},
): Attempt {
  const payload = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  return {
    kind: 'rest',
    label,
    method,
    path,
    headers: { ...bearer(t.adminToken), ...(payload !== undefined ? JSON_CT : {}), ...opts.headers },
    body: payload,
    expect: opts.expect,
  };
}

/** A GraphQL POST sent as an admin; `raw` replaces the whole `{query, variables}` body. */
export function gql(
  t: TestGateway,
  label: string,
  query: string,
  variables?: unknown,
  opts: { raw?: string; headers?: Record<string, string>; expect?: Expectation } = {},
): Attempt {
  return {
    kind: 'gql',
    label,
    method: 'POST',
    path: '/graphql',
    headers: { ...bearer(t.adminToken), ...JSON_CT, ...opts.headers },
    body: opts.raw ?? JSON.stringify({ query, variables }),
    expect: opts.expect,
  };
}
