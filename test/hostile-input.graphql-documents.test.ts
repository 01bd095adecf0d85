import { getIntrospectionQuery } from 'graphql';
import { it } from 'vitest';
import { directivesChain, fieldsTypeChain, introspectionDepth, nest } from './support/hostile-payloads.js';
import { type Attempt, type Expectation, gql, runAll } from './support/hostile-requests.js';
import { describeHostileInput } from './support/hostile-suite.js';

/**
 * Hostile GraphQL documents over HTTP: past the depth (10) and size (500 fields) limits, parse bombs, fragment
 * explosions, batches and envelopes Apollo must refuse; and the control that the limits, not the documents' shape,
 * are what refuses them.
 */

describeHostileInput('graphql-documents', {}, ({ t, tally, seedIds }) => {
  it('GraphQL documents past the depth (10) and size (500 fields) limits, parse bombs, batches and bad envelopes', async ({ expect }) => {
    const attempts: Attempt[] = [];
    // graphql-js's MaxIntrospectionDepthRule may answer first for introspection chains; either refusal is fine.
    const tooDeep: Expectation = { status: [400], message: /nested too deeply|introspection depth/ };
    const tooWide: Expectation = { status: [400], message: /too many fields/ };
    for (const n of [8, 12, 30, 200]) attempts.push(gql(t, `introspection depth ${n + 3}`, introspectionDepth(n), undefined, { expect: tooDeep }));
    attempts.push(
      gql(t, 'depth 11 through directives/args/type (the gateway rule alone)', directivesChain(11), undefined, {
        expect: { status: [400], message: /nested too deeply/ },
      }),
    );
    attempts.push(
      gql(t, 'depth 40 through directives/args/type', directivesChain(40), undefined, { expect: { status: [400], message: /nested too deeply/ } }),
    );
    attempts.push(
      gql(
        t,
        'depth through named fragments',
        `{ __schema { ...A } } fragment A on __Schema { types { ...B } } fragment B on __Type { fields { type { ...C } } } fragment C on __Type { ${nest(fieldsTypeChain(6), 'name')} }`,
        undefined,
        { expect: tooDeep },
      ),
    );
    const inline = nest(
      ['__schema', '... on __Schema', 'types', ...fieldsTypeChain(10).flatMap((f) => [f, f === 'type' ? '... on __Type' : '... on __Field'])],
      'name',
    );
    attempts.push(gql(t, 'depth through inline fragments', `{ ${inline} }`, undefined, { expect: tooDeep }));
    attempts.push(
      gql(t, 'depth through __type', `{ ${nest(['__type(name: "Cluster")', ...fieldsTypeChain(10)], 'name')} }`, undefined, { expect: tooDeep }),
    );
    attempts.push(
      gql(
        t,
        'depth mixing fan-out fields with ofType',
        `{ ${nest(['__schema', 'types', ...fieldsTypeChain(10).flatMap((f) => (f === 'type' ? [f, 'ofType'] : [f]))], 'name')} }`,
        undefined,
        { expect: tooDeep },
      ),
    );
    attempts.push(
      gql(t, 'deep operation picked by operationName', '', undefined, {
        raw: JSON.stringify({ query: `query Fine { __typename } query Deep ${introspectionDepth(12)}`, operationName: 'Fine' }),
        expect: tooDeep,
      }),
    );
    const aliases = (n: number, field = '__typename') => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
    attempts.push(gql(t, '501 aliases', aliases(501), undefined, { expect: tooWide }));
    // 5,000 aliases are over 10,000 tokens: since issue 17 the parser's token cap refuses them before validation.
    attempts.push(
      gql(t, '5000 aliases', aliases(5000), undefined, { expect: { status: [400], message: /more tha[nt] 10000 tokens|too many fields/ } }),
    );
    attempts.push(gql(t, '300 aliased clusters lists', aliases(300, 'clusters { total }'), undefined, { expect: tooWide }));
    attempts.push(gql(t, '600 aliased cluster lookups', aliases(600, `cluster(id: "${seedIds[0]}") { id }`), undefined, { expect: tooWide }));
    const fan = `fragment F on Query { ${Array.from({ length: 25 }, (_, i) => `f${i}: __typename`).join(' ')} }`;
    attempts.push(gql(t, 'one fragment spread 30 times', `{ ${'...F '.repeat(30)}} ${fan}`, undefined, { expect: { status: [400] } }));
    const explosion =
      Array.from({ length: 30 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join('\n') +
      '\nfragment F30 on Query { __typename }';
    attempts.push(gql(t, 'fragment explosion 2^30', `{ ...F0 }\n${explosion}`, undefined, { expect: tooWide }));
    attempts.push(
      gql(t, 'fragment cycle', 'fragment F on Query { ...G } fragment G on Query { ...F } { ...F }', undefined, { expect: { status: [400] } }),
    );
    attempts.push(gql(t, '2000 repeated directives', `{ __typename ${'@skip(if: false) '.repeat(2000)}}`, undefined, { expect: { status: [400] } }));
    attempts.push(gql(t, 'undefined variable in directive', '{ __typename @include(if: $nope) }', undefined, { expect: { status: [400] } }));
    // Parse bombs and syntax errors.
    for (const [name, q] of [
      ['20k nested selections', `{ ${'a { '.repeat(20_000)}b${' }'.repeat(20_000)} }`],
      ['5k nested inline fragments', `{ ${'... on Query { '.repeat(5_000)}__typename${' }'.repeat(5_000)} }`],
      ['100k open braces', '{'.repeat(100_000)],
      ['unterminated string', '{ cluster(id: "1) { id } }'],
      ['bad unicode escape', '{ cluster(id: "\\uZZZZ") { id } }'],
      ['NUL in document', '{ clusters\u0000 { total } }'],
      ['empty document', ''],
      ['only a comment', '# nothing'],
      ['300 KB unknown field name', `{ ${'a'.repeat(300_000)} }`],
      ['40k tokens', `{ ${'__typename '.repeat(40_000)}}`],
      ['unknown field', '{ nope }'],
      ['kubeconfig ciphertext field', '{ clusters { items { kubeconfigCiphertext } } }'],
      ['missing required arg', '{ cluster { id } }'],
      ['two anonymous operations', '{ clusters { total } } { clusters { total } }'],
      ['selection on a scalar', '{ clusters { total { x } } }'],
    ] as const) {
      attempts.push(gql(t, `document: ${name}`, q, undefined, { expect: { status: [400] } }));
    }
    attempts.push(
      gql(t, 'document: 200 KB string argument', `{ cluster(id: "${'9'.repeat(200_000)}") { id } }`, undefined, {
        expect: { code: ['BAD_USER_INPUT'] },
      }),
    );
    attempts.push(
      gql(t, 'multiple operations without operationName', 'query A { clusters { total } } query B { clusters { total } }', undefined, {
        expect: { status: [400] },
      }),
    );
    attempts.push(
      gql(t, 'operationName that does not exist', '', undefined, {
        raw: JSON.stringify({ query: 'query A { clusters { total } }', operationName: 'Nope' }),
        expect: { status: [400] },
      }),
    );
    // Batches and huge variable objects.
    attempts.push(
      gql(t, 'batched array of 2', '', undefined, {
        raw: JSON.stringify([{ query: '{ clusters { total } }' }, { query: '{ clusters { total } }' }]),
        expect: { status: [400] },
      }),
    );
    attempts.push(
      gql(t, 'batched array of 1000 mutations', '', undefined, {
        raw: JSON.stringify(Array.from({ length: 1000 }, () => ({ query: `mutation { deleteCluster(id: "${seedIds[0]}") }` }))),
        expect: { status: [400] },
      }),
    );
    attempts.push(gql(t, 'empty batch', '', undefined, { raw: '[]', expect: { status: [400] } }));
    attempts.push(
      gql(
        t,
        '20k unknown variables',
        'query Q($id: ID!) { cluster(id: $id) { id } }',
        { id: 'abc', ...Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`v${i}`, i])) },
        { expect: { code: ['BAD_USER_INPUT'] } },
      ),
    );
    attempts.push(gql(t, 'declared but unused variable', 'query Q($x: Int) { __typename }', { x: 1 }, { expect: { status: [400] } }));
    attempts.push(
      gql(
        t,
        '500 declared variables',
        `query Q(${Array.from({ length: 500 }, (_, i) => `$v${i}: ID`).join(', ')}) { cluster(id: $v0) { id } }`,
        { v0: 'abc' },
        { expect: { status: [400] } },
      ),
    );
    // Envelopes Apollo must refuse.
    for (const [name, raw] of [
      ['query is a number', '{"query":123}'],
      ['query is null', '{"query":null}'],
      ['variables is a string', '{"query":"{ __typename }","variables":"{}"}'],
      ['variables is an array', '{"query":"{ __typename }","variables":[1]}'],
      ['operationName is a number', '{"query":"{ __typename }","operationName":5}'],
      ['extensions is a string', '{"query":"{ __typename }","extensions":"x"}'],
      ['no keys', '{}'],
      ['only unknown keys', '{"mutation":"x"}'],
      ['persisted query that does not exist', '{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"0000"}}}'],
      ['persisted query hash mismatch', '{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"0000"}}}'],
    ] as const) {
      attempts.push(gql(t, `envelope: ${name}`, '', undefined, { raw, expect: { status: [200, 400] } }));
    }
    // Subscriptions belong on the WebSocket; over HTTP they must be refused cleanly.
    attempts.push(
      gql(t, 'subscription clusterHealth over HTTP POST', 'subscription { clusterHealth { id } }', undefined, { expect: { status: [400] } }),
    );
    attempts.push(
      gql(t, 'subscription discoveryStatus over HTTP POST', `subscription { discoveryStatus(clusterId: "${seedIds[1]}") { state } }`, undefined, {
        expect: { status: [400] },
      }),
    );
    expect(await runAll(t, attempts, tally)).toEqual([]);
  });

  it('the limits are the cause: depth 10, 500 fields and the standard introspection query are still answered', async ({ expect }) => {
    const deep = await t.gql(directivesChain(10));
    expect(deep.errors).toBeUndefined();
    // The standard introspection query (what GraphiQL and codegen send) is not mistaken for an attack.
    const standard = await t.gql(getIntrospectionQuery());
    expect(standard.errors).toBeUndefined();
    const wide = await t.gql(`{ ${Array.from({ length: 500 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    expect(wide.errors).toBeUndefined();
    expect(Object.keys(wide.data)).toHaveLength(500);
  });
});
