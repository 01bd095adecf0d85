import fc from 'fast-check';
import { it } from 'vitest';
import { uniqueName } from './support/gateway.js';
import { BAD_NAMES, CREATE, ID_OPS, INVISIBLE, UNREACHABLE_B64, UNREACHABLE_YAML, UPDATE } from './support/hostile-payloads.js';
import { type Attempt, type Expectation, gql, rest, runAll, send, short } from './support/hostile-requests.js';
import { describeHostileInput } from './support/hostile-suite.js';
import { REST_BASE } from './support/raw-requests.js';

/**
 * Hostile field values in the write bodies (C3, C4, createCluster, updateCluster): names with control, invisible, bidi
 * or too many characters, values of the wrong type, unknown (mass-assignment) fields, bad prometheus URLs, and
 * fast-check properties over names, bodies and ids. Nothing may be accepted and nothing may cause a 5xx.
 */

describeHostileInput('fields', {}, ({ t, tally, seedIds }) => {
  it('unicode, control, zero-width, bidi and oversized names on C3, C4, createCluster and updateCluster', async ({ expect }) => {
    const attempts: Attempt[] = [];
    for (const n of BAD_NAMES) {
      const expectRest: Expectation = { status: [400], field: /^name$/ };
      const expectGql: Expectation = { code: ['BAD_USER_INPUT'], field: /^name$/ };
      attempts.push(
        rest(t, `C3 name ${n.name}`, 'POST', `${REST_BASE}/clusters`, { name: n.value, kubeconfig: UNREACHABLE_B64 }, { expect: expectRest }),
        rest(t, `C4 name ${n.name}`, 'PUT', `${REST_BASE}/clusters/${seedIds[0]}`, { name: n.value }, { expect: expectRest }),
        gql(
          t,
          `createCluster name ${n.name}`,
          CREATE,
          { input: { name: n.value, kubeconfig: UNREACHABLE_YAML, skipConnectionTest: true } },
          { expect: expectGql },
        ),
        gql(t, `updateCluster name ${n.name}`, UPDATE, { id: seedIds[0], input: { name: n.value } }, { expect: expectGql }),
      );
    }
    expect(await runAll(t, attempts, tally)).toEqual([]);
  });

  it('wrong types for every field of C3 and C4, and unknown (mass-assignment) fields', async ({ expect }) => {
    const attempts: Attempt[] = [];
    const notString = [123, 1.5, 1e308, true, [], ['a'], {}, { $ne: null }];
    const notBool = [0, 'true', 'yes', '', [true], {}, { $ne: null }];
    const c3Base = { name: uniqueName('wt'), kubeconfig: UNREACHABLE_B64 };
    const fields: Record<string, unknown[]> = { name: notString, kubeconfig: notString, is_default: notBool, enabled: notBool };
    for (const [field, values] of Object.entries(fields)) {
      for (const v of values) {
        const expectField: Expectation = { status: [400], field: new RegExp(`^${field}`) };
        attempts.push(
          rest(t, `C3 ${field}=${JSON.stringify(v)}`, 'POST', `${REST_BASE}/clusters`, { ...c3Base, [field]: v }, { expect: expectField }),
        );
        attempts.push(
          rest(t, `C4 ${field}=${JSON.stringify(v)}`, 'PUT', `${REST_BASE}/clusters/${seedIds[0]}`, { [field]: v }, { expect: expectField }),
        );
      }
    }
    for (const v of notString) {
      attempts.push(
        rest(
          t,
          `C4 prometheus_url=${JSON.stringify(v)}`,
          'PUT',
          `${REST_BASE}/clusters/${seedIds[0]}`,
          { prometheus_url: v },
          { expect: { status: [400], field: /^prometheus_url/ } },
        ),
      );
    }
    for (const field of ['name', 'kubeconfig']) {
      attempts.push(
        rest(
          t,
          `C3 ${field}=null`,
          'POST',
          `${REST_BASE}/clusters`,
          { ...c3Base, [field]: null },
          { expect: { status: [400], field: new RegExp(`^${field}`) } },
        ),
      );
      const { [field]: _dropped, ...missing } = c3Base as Record<string, unknown>;
      attempts.push(rest(t, `C3 ${field} missing`, 'POST', `${REST_BASE}/clusters`, missing, { expect: { status: [400], message: /is required/ } }));
    }
    const massAssignment = [
      'id',
      'deleted_at',
      'kubeconfig_ciphertext',
      'kubeconfig_key_id',
      'health_status',
      'prometheus_source',
      'created_at',
      'isDefault',
      'skipConnectionTest',
      'skip_connection_test',
      'constructor',
      'prototype',
    ];
    for (const f of massAssignment) {
      attempts.push(
        rest(
          t,
          `C3 unknown field ${f}`,
          'POST',
          `${REST_BASE}/clusters`,
          { ...c3Base, [f]: 1 },
          { expect: { status: [400], message: /unknown field/ } },
        ),
      );
      attempts.push(
        rest(
          t,
          `C4 unknown field ${f}`,
          'PUT',
          `${REST_BASE}/clusters/${seedIds[0]}`,
          { [f]: 1 },
          { expect: { status: [400], message: /unknown field/ } },
        ),
      );
    }
    // __proto__ only survives as JSON text (an object literal would set the prototype instead of a key).
    attempts.push(
      rest(t, 'C3 __proto__ pollution', 'POST', `${REST_BASE}/clusters`, undefined, {
        raw: `{"name":"p","kubeconfig":"${UNREACHABLE_B64}","__proto__":{"is_default":true,"role":"admin"}}`,
        expect: { status: [400] },
      }),
    );
    attempts.push(
      rest(t, 'C4 __proto__ pollution', 'PUT', `${REST_BASE}/clusters/${seedIds[0]}`, undefined, {
        raw: '{"__proto__":{"enabled":true}}',
        expect: { status: [400] },
      }),
    );
    attempts.push(
      rest(t, 'C4 constructor.prototype pollution', 'PUT', `${REST_BASE}/clusters/${seedIds[0]}`, undefined, {
        raw: '{"constructor":{"prototype":{"enabled":true}}}',
        expect: { status: [400] },
      }),
    );

    // The same through GraphQL variables: the schema's own coercion answers.
    const createBase = { name: uniqueName('wt'), kubeconfig: UNREACHABLE_YAML, skipConnectionTest: true };
    const gqlWrong: Record<string, unknown[]> = {
      name: [123, true, [], {}],
      kubeconfig: [123, false, ['a'], { a: 1 }],
      isDefault: ['yes', 1, [], {}],
      enabled: ['no', 0, [true], {}],
      skipConnectionTest: ['true', 1, [], {}],
    };
    for (const [field, values] of Object.entries(gqlWrong)) {
      for (const v of values) {
        attempts.push(
          gql(
            t,
            `createCluster ${field}=${JSON.stringify(v)}`,
            CREATE,
            { input: { ...createBase, [field]: v } },
            { expect: { code: ['BAD_USER_INPUT'] } },
          ),
        );
        if (field !== 'skipConnectionTest')
          attempts.push(
            gql(
              t,
              `updateCluster ${field}=${JSON.stringify(v)}`,
              UPDATE,
              { id: seedIds[0], input: { [field]: v } },
              { expect: { code: ['BAD_USER_INPUT'] } },
            ),
          );
      }
    }
    for (const v of [1, true, ['http://x'], { url: 'http://x' }]) {
      attempts.push(
        gql(
          t,
          `updateCluster prometheusUrl=${JSON.stringify(v)}`,
          UPDATE,
          { id: seedIds[0], input: { prometheusUrl: v } },
          { expect: { code: ['BAD_USER_INPUT'] } },
        ),
      );
    }
    for (const extra of ['id', 'prometheusUrl', 'deletedAt', 'kubeconfigCiphertext', '__proto__']) {
      attempts.push(
        gql(
          t,
          `createCluster extra input field ${extra}`,
          CREATE,
          { input: { ...createBase, [extra]: 'x' } },
          { expect: { code: ['BAD_USER_INPUT'] } },
        ),
      );
    }
    attempts.push(gql(t, 'createCluster input null', CREATE, { input: null }, { expect: { code: ['BAD_USER_INPUT'] } }));
    attempts.push(gql(t, 'createCluster no variables', CREATE, undefined, { expect: { code: ['BAD_USER_INPUT'] } }));
    attempts.push(gql(t, 'createCluster input a string', CREATE, { input: JSON.stringify(createBase) }, { expect: { code: ['BAD_USER_INPUT'] } }));
    attempts.push(
      gql(t, 'createCluster 5000-deep name object', CREATE, undefined, {
        raw: `{"query":${JSON.stringify(CREATE)},"variables":{"input":{"name":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)},"kubeconfig":"x"}}}`,
        expect: { code: ['BAD_USER_INPUT'] },
      }),
    );
    expect(await runAll(t, attempts, tally)).toEqual([]);
  });

  it('prometheus_url with a NUL byte is refused as bad input (REST C4 and GraphQL updateCluster), not a 500', async ({ expect }) => {
    const attempts: Attempt[] = [];
    for (const url of ['http://prom.example/\u0000', 'http://prom.example/?q=\u0000', 'https://prom.example:9090/a\u0000b']) {
      attempts.push(
        rest(
          t,
          `C4 prometheus_url ${JSON.stringify(url)}`,
          'PUT',
          `${REST_BASE}/clusters/${seedIds[0]}`,
          { prometheus_url: url },
          { expect: { status: [400], field: /^prometheus_url$/ } },
        ),
      );
      attempts.push(
        rest(
          t,
          `C4 absent id prometheus_url ${JSON.stringify(url)}`,
          'PUT',
          `${REST_BASE}/clusters/999999`,
          { prometheus_url: url },
          { expect: { status: [400, 404] } },
        ),
      );
      attempts.push(
        gql(
          t,
          `updateCluster prometheusUrl ${JSON.stringify(url)}`,
          UPDATE,
          { id: seedIds[0], input: { prometheusUrl: url } },
          { expect: { code: ['BAD_USER_INPUT'], field: /^prometheusUrl$/ } },
        ),
      );
    }
    for (const url of [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'gopher://x',
      'http://user:pw@prom.example',
      'http://' + 'a'.repeat(3000),
      'not a url',
      '//prom.example',
    ]) {
      attempts.push(
        rest(
          t,
          `C4 prometheus_url ${short(url, 40)}`,
          'PUT',
          `${REST_BASE}/clusters/${seedIds[0]}`,
          { prometheus_url: url },
          { expect: { status: [400], field: /^prometheus_url$/ } },
        ),
      );
      attempts.push(
        gql(
          t,
          `updateCluster prometheusUrl ${short(url, 40)}`,
          UPDATE,
          { id: seedIds[0], input: { prometheusUrl: url } },
          { expect: { code: ['BAD_USER_INPUT'] } },
        ),
      );
    }
    expect(await runAll(t, attempts, tally)).toEqual([]);
  });

  it('property: any name carrying an invisible or control character is refused (fast-check, C3 and createCluster)', async ({ expect }) => {
    const violations: string[] = [];
    await fc
      .assert(
        fc.asyncProperty(
          fc.string({ unit: 'grapheme', maxLength: 40 }),
          fc.constantFrom(...INVISIBLE),
          fc.nat(),
          fc.boolean(),
          async (base, bad, pos, viaRest) => {
            // Inside the name (between fixed letters), so trimming cannot remove it; split on code points.
            const points = [...base];
            const at = pos % (points.length + 1);
            const name = `a${points.slice(0, at).join('')}${bad}${points.slice(at).join('')}z`;
            const a = viaRest
              ? rest(
                  t,
                  `fc C3 name ${JSON.stringify(name)}`,
                  'POST',
                  `${REST_BASE}/clusters`,
                  { name, kubeconfig: UNREACHABLE_B64 },
                  { expect: { status: [400], field: /^name$/ } },
                )
              : gql(
                  t,
                  `fc createCluster name ${JSON.stringify(name)}`,
                  CREATE,
                  { input: { name, kubeconfig: UNREACHABLE_YAML, skipConnectionTest: true } },
                  { expect: { code: ['BAD_USER_INPUT'], field: /^name$/ } },
                );
            const v = await send(t, a, tally);
            if (v) violations.push(`${a.label} → ${v}`);
            return v === null;
          },
        ),
        { numRuns: 50 },
      )
      .catch((err: Error) => violations.push(err.message.split('\n').slice(0, 4).join(' | ')));
    tally.violations.push(...violations);
    expect(violations).toEqual([]);
  });

  it('property: arbitrary JSON bodies on C3, C4 (absent id) and arbitrary id values in GraphQL never cause a 5xx (fast-check)', async ({
    expect,
  }) => {
    const violations: string[] = [];
    const field = fc.constantFrom('name', 'kubeconfig', 'is_default', 'enabled', 'prometheus_url', 'isDefault', '__proto__');
    const check = async (a: Attempt) => {
      const v = await send(t, a, tally);
      if (v) violations.push(`${a.label} → ${v}`);
      return v === null;
    };
    const report = (err: Error) => violations.push(err.message.split('\n').slice(0, 4).join(' | '));
    await fc
      .assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (body) =>
          check(
            rest(t, `fc C3 body ${short(JSON.stringify(body) ?? 'undefined', 80)}`, 'POST', `${REST_BASE}/clusters`, undefined, {
              raw: JSON.stringify(body) ?? 'null',
            }),
          ),
        ),
        { numRuns: 40 },
      )
      .catch(report);
    await fc
      .assert(
        fc.asyncProperty(fc.dictionary(field, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), async (body) =>
          check(
            rest(t, `fc C4 body ${short(JSON.stringify(body), 80)}`, 'PUT', `${REST_BASE}/clusters/999999`, undefined, { raw: JSON.stringify(body) }),
          ),
        ),
        { numRuns: 40 },
      )
      .catch(report);
    const live = new Set(seedIds.map(Number));
    const idValue = fc
      .oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.double(), fc.stringMatching(/^-?\d{1,40}$/))
      .filter((v) => !live.has(Number(String(v).trim())) || !/^\d+$/.test(String(v).trim()));
    await fc
      .assert(
        fc.asyncProperty(idValue, fc.constantFrom(...Object.keys(ID_OPS)), async (id, op) =>
          check(gql(t, `fc ${op} id ${short(JSON.stringify(id), 60)}`, ID_OPS[op]!, { id })),
        ),
        { numRuns: 50 },
      )
      .catch(report);
    tally.violations.push(...violations);
    expect(violations).toEqual([]);
  });
});
