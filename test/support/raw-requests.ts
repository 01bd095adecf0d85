import { liveClient } from './processes.js';

/**
 * Requests for suites that attack the gateway: they send exactly what they are given and record exactly what comes
 * back (status, headers, text), asserting nothing, so a test can look at answers a normal client would refuse.
 */

/** The REST contract's base path (C1–C7). */
export const REST_BASE = '/api/v1/k8s';
export const JSON_CT = { 'content-type': 'application/json' };
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const gqlBody = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });

export interface Raw {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: any;
}

/** One HTTP request to `base + path`, answered whatever the status or body. */
export async function call(base: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: string } = {}): Promise<Raw> {
  const res = await fetch(`${base}${path}`, { method, headers: opts.headers, body: opts.body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export interface WsOutcome {
  /** How the socket first closed (by the server, or by us when done). */
  closed?: { code: number; reason: string };
  /** Every message the server sent. */
  messages: unknown[];
  /** Every `next` payload of the subscription. */
  nexts: any[];
}

/**
 * One graphql-ws connection that is never retried: it connects at once (so a refused handshake shows even without a
 * subscription), optionally subscribes, and waits until the socket closes, `untilNexts` payloads (default 1) arrived,
 * the subscription ended, or `waitMs` (default 8 s) passed.
 */
export async function wsAttempt(
  httpUrl: string,
  connectionParams: Record<string, unknown> | undefined,
  opts: { subscribe?: { query: string; variables?: Record<string, unknown> }; waitMs?: number; untilNexts?: number } = {},
): Promise<WsOutcome> {
  const waitMs = opts.waitMs ?? 8_000;
  const client = liveClient(httpUrl, { connectionParams }, { connectNow: true });
  const sub = opts.subscribe ? client.subscribe(opts.subscribe.query, opts.subscribe.variables) : undefined;
  const enough = async () => {
    if (!sub) return new Promise<void>(() => {}); // nothing to wait for but the close or the time
    try {
      for (let i = 0; i < (opts.untilNexts ?? 1); i++) await sub.nextResult(waitMs);
    } catch {
      // The subscription ended (error or complete), or the time passed: that, too, is enough.
    }
  };
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.closed, enough(), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
  clearTimeout(timer);
  // dispose() awaits a pending connection attempt, which rejects with the CloseEvent when the server refused it.
  await client.dispose().catch(() => {});
  // The first close, if there was one by now (ours included, as dispose closes the socket).
  const closed = await Promise.race([client.closed, Promise.resolve(undefined)]);
  return { closed: closed && { code: closed.code, reason: closed.reason }, messages: client.messages, nexts: sub?.results ?? [] };
}
