/**
 * urql and Apollo Client with their default settings, and graphql-ws's client with a connectionParams function, against
 * a live gateway (issue 17, item 6). The clients run in a Node script of their own (test/clients/standard-clients.mjs),
 * as an application would run them; this suite starts it and checks what each client made of the answers.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testDrivers } from './support/databases.js';
import { TEST_JWT_SECRET, useTestGateway } from './support/gateway.js';

const SCRIPT = fileURLToPath(new URL('./clients/standard-clients.mjs', import.meta.url));

describe.each(testDrivers())('standard GraphQL clients on %s', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false });

  it('urql, Apollo Client and graphql-ws work with their defaults: queries, mutations, error codes, reconnecting on token expiry', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT], {
      env: { ...process.env, GATEWAY_URL: t.url, ADMIN_TOKEN: t.adminToken, JWT_SECRET: TEST_JWT_SECRET },
      timeout: 90_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!);

    // urql: queries over GET (its default), mutations over POST; errors reach the client with their codes.
    expect(r.urql.mutation).toMatchObject({ method: 'POST', error: null });
    expect(r.urql.query).toMatchObject({ method: 'GET', error: null });
    expect(r.urql.query.names).toContain(r.urql.mutation.name);
    expect(r.urql.notFound).toMatchObject({ method: 'GET', codes: ['NOT_FOUND'] });
    expect(r.urql.tooLarge).toMatchObject({ method: 'POST', error: true, status: 413, codes: ['PAYLOAD_TOO_LARGE'] });

    // Apollo Client: everything over POST; errors reject with the codes.
    expect(r.apollo.mutation.method).toBe('POST');
    expect(r.apollo.query.names).toEqual(expect.arrayContaining([r.urql.mutation.name, r.apollo.mutation.name]));
    expect(r.apollo.notFound).toMatchObject({ rejected: true, codes: ['NOT_FOUND'] });
    expect(r.apollo.tooLarge).toMatchObject({ rejected: true, codes: ['PAYLOAD_TOO_LARGE'] });

    // graphql-ws: the token expired (close 4440), the client reconnected with a fresh one and the subscription went on.
    expect(r.subscription.outcome).toBe('reconnected');
    expect(r.subscription.connects).toBeGreaterThanOrEqual(2);
    expect(r.subscription.closeCodes).toContain(4440);
    const id = String(r.urql.clusterId);
    expect(r.subscription.nexts.filter((n: { connection: number; id: string }) => n.connection === 1 && n.id === id).length).toBeGreaterThanOrEqual(
      1,
    );
    expect(r.subscription.nexts.filter((n: { connection: number; id: string }) => n.connection >= 2 && n.id === id).length).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
