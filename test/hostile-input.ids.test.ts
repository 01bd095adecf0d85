import { it } from 'vitest';
import { BAD_GQL_ID_VALUES, BAD_IDS, ID_OPS, SQLI, UNREACHABLE_B64, UPDATE } from './support/hostile-payloads.js';
import { type Attempt, type Expectation, gql, rest, runAll } from './support/hostile-requests.js';
import { describeHostileInput } from './support/hostile-suite.js';
import { REST_BASE } from './support/raw-requests.js';
import { snapshotTables } from './support/snapshot.js';

/**
 * Hostile identifiers: ids that are malformed, out of range or absent on every REST endpoint and GraphQL operation that
 * takes one, SQL-looking strings wherever a value reaches a query, and hostile cluster-selector headers. Every answer
 * must be a clear 4xx or a GraphQL error with `extensions.code` (test/support/hostile-requests.ts judges them).
 *
 * This file also states the invariants of the whole hostile-input suite as tests; every other hostile-input file checks
 * the same after its own batches (test/support/hostile-suite.ts).
 */

describeHostileInput('ids', {}, (suite, driver) => {
  const { t, tally } = suite;

  it('ids out of range or malformed on C2, C4, C5, C6, C7 and every GraphQL operation taking an id', async ({ expect }) => {
    const attempts: Attempt[] = [];
    for (const id of BAD_IDS) {
      const expectRest: Expectation = { status: id.name === 'absent' || id.name.startsWith('2^') ? [404] : [400] };
      attempts.push(
        rest(t, `C2 id ${id.name}`, 'GET', `${REST_BASE}/clusters/${id.seg}`, undefined, { expect: expectRest }),
        rest(t, `C4 id ${id.name}`, 'PUT', `${REST_BASE}/clusters/${id.seg}`, { enabled: true }, { expect: expectRest }),
        rest(t, `C5 id ${id.name}`, 'DELETE', `${REST_BASE}/clusters/${id.seg}`, undefined, { expect: expectRest }),
        rest(t, `C6 id ${id.name}`, 'POST', `${REST_BASE}/clusters/${id.seg}/test-connection`, undefined, { expect: expectRest }),
        rest(t, `C7 id ${id.name}`, 'POST', `${REST_BASE}/clusters/${id.seg}/prometheus/rediscover`, undefined, { expect: expectRest }),
      );
    }
    // Every id against the lookup and the admin writes; the connection test and discovery against a sample.
    const sample = new Set([
      'zero',
      'minus one',
      '2^63',
      '1e309',
      'dot-dot-slash',
      'arabic-indic digits',
      'NUL',
      'SQL stacked query',
      'absent',
      'true',
      'null',
      'object',
    ]);
    for (const id of [...BAD_IDS, ...BAD_GQL_ID_VALUES]) {
      for (const [op, query] of Object.entries(ID_OPS)) {
        if (!sample.has(id.name) && (op === 'testClusterConnection' || op === 'rediscoverPrometheus')) continue;
        attempts.push(gql(t, `${op} id ${id.name}`, query, { id: id.gql }, { expect: { code: ['BAD_USER_INPUT', 'NOT_FOUND'] } }));
      }
    }
    // 1e309 only exists as JSON text (JSON.stringify cannot write it): it parses to Infinity.
    for (const [op, query] of Object.entries(ID_OPS)) {
      attempts.push(
        gql(t, `${op} id 1e309 as JSON number`, query, undefined, {
          raw: `{"query":${JSON.stringify(query)},"variables":{"id":1e309}}`,
          expect: { code: ['BAD_USER_INPUT'] },
        }),
      );
      attempts.push(
        gql(t, `${op} id -0 as JSON number`, query, undefined, {
          raw: `{"query":${JSON.stringify(query)},"variables":{"id":-0}}`,
          expect: { code: ['BAD_USER_INPUT'] },
        }),
      );
    }
    // Inline literals of the wrong GraphQL type.
    for (const lit of ['true', '1.5', '[1]', '{a: 1}', 'null', 'ENUM_VALUE', '"1" "2"']) {
      attempts.push(gql(t, `cluster(id: ${lit}) literal`, `{ cluster(id: ${lit}) { id } }`));
    }
    expect(await runAll(t, attempts, tally)).toEqual([]);
  });

  it('SQL-looking strings as names, ids, URLs and cluster selectors reach the database only as parameters', async ({ expect }) => {
    const attempts: Attempt[] = [];
    for (const [i, s] of SQLI.entries()) {
      attempts.push(
        // A syntactically valid name: C3 checks the name against the database, then fails the connection test.
        rest(
          t,
          `C3 SQL name #${i}`,
          'POST',
          `${REST_BASE}/clusters`,
          { name: s, kubeconfig: UNREACHABLE_B64 },
          { expect: { status: [400], message: /cannot connect/ } },
        ),
        rest(t, `C4 SQL name on absent id #${i}`, 'PUT', `${REST_BASE}/clusters/999999`, { name: s }, { expect: { status: [404] } }),
        rest(
          t,
          `C4 SQL in prometheus_url on absent id #${i}`,
          'PUT',
          `${REST_BASE}/clusters/999999`,
          { prometheus_url: `http://prom.example/?q=${encodeURIComponent(s)}` },
          { expect: { status: [404] } },
        ),
        gql(t, `updateCluster SQL name on absent id #${i}`, UPDATE, { id: '999999', input: { name: s } }, { expect: { code: ['NOT_FOUND'] } }),
        gql(t, `currentCluster X-Cluster-Name SQL #${i}`, '{ currentCluster { id } }', undefined, {
          headers: { 'x-cluster-name': encodeURIComponent(s) },
          expect: { code: ['NOT_FOUND'] },
        }),
        gql(t, `currentCluster X-Cluster-ID SQL #${i}`, '{ currentCluster { id } }', undefined, {
          headers: { 'x-cluster-id': encodeURIComponent(s) },
          expect: { code: ['BAD_USER_INPUT'] },
        }),
      );
    }
    expect(await runAll(t, attempts, tally)).toEqual([]);
  });

  it('hostile cluster-selector headers (X-Cluster-Name / X-Cluster-ID) on currentCluster', async ({ expect }) => {
    const headers: Record<string, string>[] = [
      { 'x-cluster-name': '%00' },
      { 'x-cluster-name': 'a%00b' },
      { 'x-cluster-name': '%E2%80%AE' },
      { 'x-cluster-name': '%ff%fe' },
      { 'x-cluster-name': '%' },
      { 'x-cluster-name': 'x'.repeat(8_000) },
      { 'x-cluster-id': '0' },
      { 'x-cluster-id': '-1' },
      { 'x-cluster-id': '99999999999' },
      { 'x-cluster-id': '%00' },
      { 'x-cluster-id': '1e309' },
    ];
    const attempts = headers.map((h) =>
      gql(t, `currentCluster ${JSON.stringify(h).slice(0, 60)}`, '{ currentCluster { id } }', undefined, {
        headers: h,
        expect: { code: ['BAD_USER_INPUT', 'NOT_FOUND'] },
      }),
    );
    expect(await runAll(t, attempts, tally)).toEqual([]);
  });

  it('the database is unchanged: every column of clusters and discovery_tasks', async ({ expect }) => {
    const after = await snapshotTables(t.gw);
    expect(after).toEqual(suite.tablesBefore);
  });

  it(`at least 200 hostile requests were sent and none was answered with a 5xx`, ({ expect }) => {
    console.log(tally.summary(`ids ${driver}`));
    expect(tally.tried).toBeGreaterThanOrEqual(200);
    expect(tally.fiveXx()).toBe(0);
  });

  it('every hostile REST answer is one the OpenAPI document describes', ({ expect }) => {
    expect([...new Set(tally.undocumented)]).toEqual([]);
  });
});
