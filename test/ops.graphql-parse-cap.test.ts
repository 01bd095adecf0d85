import { describe, it } from 'vitest';
import { PARSE_OPTIONS } from '../src/graphql/limits.js';
import { testDrivers } from './support/databases.js';
import { useTestGateway } from './support/gateway.js';
import { call, gqlBody, JSON_CT, wsAttempt } from './support/raw-requests.js';

/**
 * The token cap on GraphQL parsing holds on every transport: an unauthenticated document of many tokens is refused
 * as a GraphQL parse error as soon as the cap is passed, never parsed to the end (issue 17: a 760 KB document cost
 * 0.2–0.4 s of parsing per request over HTTP).
 */

/** `{ __typename __typename … }` of about `bytes` bytes: one token per 11 bytes. */
const manyTokens = (bytes: number) => `{ ${'__typename '.repeat(Math.floor(bytes / 11))}}`;
// graphql-js words it "more that N tokens".
const TOO_MANY = new RegExp(`more tha[nt] ${PARSE_OPTIONS.maxTokens} tokens`);

describe.each(testDrivers())('GraphQL parsing cap on %s', { concurrent: true }, (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false });

  it('HTTP: an unauthenticated 760 KB document is a GRAPHQL_PARSE_FAILED error naming the token cap', async ({ expect }) => {
    const query = manyTokens(760 * 1024);
    expect(query.length).toBeGreaterThan(750 * 1024);
    const res = await call(t.url, 'POST', '/graphql', { headers: JSON_CT, body: gqlBody(query) });
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(res.json.errors[0].message).toMatch(TOO_MANY);
    expect(res.json.data).toBeUndefined();
  });

  it('HTTP: a document just under the cap is parsed, and then judged by the query limits as before', async ({ expect }) => {
    // `{` + n × `__typename` + `}`: n + 2 tokens, exactly the cap.
    const atCap = await call(t.url, 'POST', '/graphql', {
      headers: JSON_CT,
      body: gqlBody(`{ ${'__typename '.repeat(PARSE_OPTIONS.maxTokens - 2)}}`),
    });
    expect(atCap.json.errors[0].extensions.code).not.toBe('GRAPHQL_PARSE_FAILED');
    expect(atCap.json.errors[0].extensions.limit).toBe('fields');
    const small = await call(t.url, 'POST', '/graphql', { headers: JSON_CT, body: gqlBody(`{ ${'__typename '.repeat(400)}}`) });
    expect(small.json).toEqual({ data: { __typename: 'Query' } });
  });

  it('WebSocket: the same cap, reported on the operation as the same code', async ({ expect }) => {
    const outcome = await wsAttempt(
      t.url,
      { Authorization: `Bearer ${t.userToken}` },
      { subscribe: { query: `subscription { ${'a '.repeat(PARSE_OPTIONS.maxTokens + 10)}}` }, waitMs: 5_000 },
    );
    const error = outcome.messages.find(
      (m): m is { type: 'error'; payload: { message: string; extensions: { code: string } }[] } => (m as { type?: string }).type === 'error',
    );
    expect(error?.payload[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(error?.payload[0]?.message).toMatch(TOO_MANY);
  });
});
