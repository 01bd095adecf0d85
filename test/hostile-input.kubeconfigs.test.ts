import { existsSync } from 'node:fs';
import { it } from 'vitest';
import { uniqueName } from './support/gateway.js';
import { BAD_KUBECONFIGS, CREATE, kubeconfigWith, NOT_BASE64, PWN_FILE, UPDATE } from './support/hostile-payloads.js';
import { type Attempt, type Expectation, gql, rest, runAll } from './support/hostile-requests.js';
import { describeHostileInput } from './support/hostile-suite.js';
import { b64 } from './support/kubeconfigs.js';
import { REST_BASE } from './support/raw-requests.js';

/**
 * Hostile kubeconfigs on C3, C4, createCluster and updateCluster: exec and auth-provider plugins, file paths, YAML
 * bombs, bad base64 and absurd sizes. Each is refused with a 400 naming the problem, and nothing it says is run.
 */

describeHostileInput('kubeconfigs', {}, ({ t, tally, seedIds }) => {
  it('kubeconfigs with exec, auth-provider, tokenFile, file paths, YAML bombs, bad base64 and absurd sizes', async ({ expect }) => {
    const attempts: Attempt[] = [];
    for (const k of BAD_KUBECONFIGS) {
      const restExpect: Expectation = { status: [400], field: /^kubeconfig/, message: k.message };
      const gqlExpect: Expectation = { code: ['BAD_USER_INPUT'], field: /^kubeconfig/, message: k.message };
      attempts.push(
        rest(
          t,
          `C3 kubeconfig ${k.name}`,
          'POST',
          `${REST_BASE}/clusters`,
          { name: uniqueName('kc'), kubeconfig: b64(k.yaml) },
          { expect: restExpect },
        ),
        rest(t, `C4 kubeconfig ${k.name}`, 'PUT', `${REST_BASE}/clusters/${seedIds[0]}`, { kubeconfig: b64(k.yaml) }, { expect: restExpect }),
        gql(
          t,
          `createCluster kubeconfig ${k.name}`,
          CREATE,
          { input: { name: uniqueName('kc'), kubeconfig: k.yaml, skipConnectionTest: true } },
          { expect: gqlExpect },
        ),
        gql(t, `updateCluster kubeconfig ${k.name}`, UPDATE, { id: seedIds[0], input: { kubeconfig: k.yaml } }, { expect: gqlExpect }),
      );
    }
    for (const v of NOT_BASE64) {
      attempts.push(
        rest(
          t,
          `C3 kubeconfig not base64 ${JSON.stringify(v)}`,
          'POST',
          `${REST_BASE}/clusters`,
          { name: uniqueName('kc'), kubeconfig: v },
          { expect: { status: [400], field: /^kubeconfig$/ } },
        ),
      );
      attempts.push(
        rest(
          t,
          `C4 kubeconfig not base64 ${JSON.stringify(v)}`,
          'PUT',
          `${REST_BASE}/clusters/${seedIds[0]}`,
          { kubeconfig: v },
          { expect: { status: [400], field: /^kubeconfig$/ } },
        ),
      );
      attempts.push(
        gql(
          t,
          `createCluster kubeconfig not base64 ${JSON.stringify(v)}`,
          CREATE,
          { input: { name: uniqueName('kc'), kubeconfig: v, skipConnectionTest: true } },
          { expect: { code: ['BAD_USER_INPUT'] } },
        ),
      );
    }
    // Base64 that decodes to bytes which are not UTF-8 text.
    for (const bytes of [
      [0xff, 0xfe, 0x00, 0x41],
      [0xc3, 0x28],
      [0x80, 0x80, 0x80],
    ]) {
      const v = Buffer.from(bytes).toString('base64');
      attempts.push(
        rest(
          t,
          `C3 kubeconfig binary ${v}`,
          'POST',
          `${REST_BASE}/clusters`,
          { name: uniqueName('kc'), kubeconfig: v },
          { expect: { status: [400], field: /^kubeconfig/ } },
        ),
      );
      attempts.push(
        gql(
          t,
          `updateCluster kubeconfig binary ${v}`,
          UPDATE,
          { id: seedIds[0], input: { kubeconfig: v } },
          { expect: { code: ['BAD_USER_INPUT'] } },
        ),
      );
    }
    // 950 KB of kubeconfig in a body just under the 1 MB limit.
    attempts.push(
      gql(
        t,
        'createCluster 950 KB kubeconfig',
        CREATE,
        { input: { name: uniqueName('kc'), kubeconfig: 'k: ' + 'x'.repeat(950_000), skipConnectionTest: true } },
        { expect: { code: ['BAD_USER_INPUT'], message: /256 KiB/ } },
      ),
    );
    const doc700k = kubeconfigWith({ token: 't' }) + '# ' + 'x'.repeat(700 * 1024) + '\n';
    attempts.push(
      rest(
        t,
        'C3 700 KiB document as base64',
        'POST',
        `${REST_BASE}/clusters`,
        { name: uniqueName('kc'), kubeconfig: b64(doc700k) },
        { expect: { status: [400], message: /256 KiB/ } },
      ),
    );
    attempts.push(
      gql(
        t,
        'updateCluster 700 KiB document',
        UPDATE,
        { id: seedIds[0], input: { kubeconfig: doc700k } },
        { expect: { code: ['BAD_USER_INPUT'], message: /256 KiB/ } },
      ),
    );
    attempts.push(
      rest(
        t,
        'C3 700 KB base64 kubeconfig',
        'POST',
        `${REST_BASE}/clusters`,
        { name: uniqueName('kc'), kubeconfig: 'QUFB'.repeat(175_000) },
        { expect: { status: [400], message: /256 KiB/ } },
      ),
    );
    expect(await runAll(t, attempts, tally)).toEqual([]);
    // Nothing a kubeconfig said was run.
    expect(existsSync(PWN_FILE)).toBe(false);
  });
});
