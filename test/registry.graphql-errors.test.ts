import { describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { testDrivers } from './support/databases.js';
import { TEST_JWT_SECRET, uniqueName } from './support/gateway.js';
import { CREATE, CURRENT, DELETE, GET, LIST, UPDATE, useGraphqlRegistry } from './support/graphql-registry.js';
import { b64, kubeconfigYaml } from './support/kubeconfigs.js';

/**
 * GraphQL errors over HTTP: UNAUTHENTICATED (no, bad, expired or foreign token), FORBIDDEN for users' writes with
 * nothing changed, and BAD_USER_INPUT naming the field for duplicate or bad names and refused kubeconfigs, never
 * echoing a credential.
 */

describe.each(testDrivers())('GraphQL cluster registry over HTTP on %s', (driver) => {
  const { t, cluster, create } = useGraphqlRegistry(driver);

  describe('errors', () => {
    it('UNAUTHENTICATED without a token, for every query and mutation', async () => {
      const c = await create();
      const ops: [string, Record<string, unknown>][] = [
        [LIST, {}],
        [GET, { id: c.id }],
        [CURRENT, {}],
        [CREATE, { input: { name: uniqueName(), kubeconfig: cluster.kubeconfigYaml } }],
        [UPDATE, { id: c.id, input: { enabled: false } }],
        [DELETE, { id: c.id }],
      ];
      for (const [query, variables] of ops) {
        const res = await t.gql(query, variables, { token: null });
        expect(res.errors?.[0]?.extensions?.code, query.slice(0, 40)).toBe('UNAUTHENTICATED');
      }
      // Nothing changed.
      expect((await t.gql(GET, { id: c.id })).data.cluster).toMatchObject({ enabled: true });
    });

    it('a bad, expired or foreign-key token → HTTP 401 and UNAUTHENTICATED', async () => {
      const expired = signToken(TEST_JWT_SECRET, { sub: 'x', role: 'admin' }, { expiresIn: '-1m' });
      const wrongKey = signToken('another-secret-that-is-long-enough-to-be-valid', { sub: 'x', role: 'admin' });
      for (const token of ['garbage', expired, wrongKey]) {
        const res = await t.gql(LIST, {}, { token });
        expect(res.status).toBe(401);
        expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        expect(res.data ?? null).toBeNull();
      }
      const exp = await t.gql(LIST, {}, { token: expired });
      expect(exp.errors?.[0]?.message).toMatch(/expired/);
      const malformedHeader = await t.gql(LIST, {}, { token: null, headers: { authorization: 'Basic dXNlcjpwdw==' } });
      expect(malformedHeader.status).toBe(401);
    });

    it('FORBIDDEN for users calling each mutation, and nothing changes', async () => {
      const c = await create();
      const user = { token: t.userToken };
      const created = await t.gql(CREATE, { input: { name: uniqueName('forbidden'), kubeconfig: cluster.kubeconfigYaml } }, user);
      expect(created.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(created.data).toBeNull();
      const updated = await t.gql(UPDATE, { id: c.id, input: { enabled: false, isDefault: true } }, user);
      expect(updated.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const deleted = await t.gql(DELETE, { id: c.id }, user);
      expect(deleted.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const after = await t.gql(GET, { id: c.id });
      expect(after.data.cluster).toMatchObject({ enabled: true, isDefault: false });
      const names = ((await t.gql(LIST)).data.clusters.items as { name: string }[]).map((x) => x.name);
      expect(names.some((n) => n.startsWith('forbidden-'))).toBe(false);
    });

    it('BAD_USER_INPUT with field name for a duplicate name (case-insensitive), on create and rename', async () => {
      const a = await create();
      const dup = await t.gql(CREATE, { input: { name: a.name.toUpperCase(), kubeconfig: cluster.kubeconfigYaml } });
      expect(dup.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      expect(dup.errors?.[0]?.message).toMatch(/already exists/);
      const b = await create();
      const rename = await t.gql(UPDATE, { id: b.id, input: { name: a.name } });
      expect(rename.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      expect((await t.gql(GET, { id: b.id })).data.cluster.name).toBe(b.name);
    });

    it('BAD_USER_INPUT with field name for empty, too long or invisible names', async () => {
      for (const name of ['', '   ', 'x'.repeat(101), 'a\u200bb']) {
        const res = await t.gql(CREATE, { input: { name, kubeconfig: cluster.kubeconfigYaml } });
        expect(res.errors?.[0]?.extensions, JSON.stringify(name)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      }
    });

    it('BAD_USER_INPUT naming the kubeconfig field for exec, file paths and broken YAML', async () => {
      const execYaml = kubeconfigYaml({ user: { exec: { command: '/bin/sh', args: ['-c', 'touch /tmp/pwned'] } } });
      const cases: [string, RegExp][] = [
        [execYaml, /^kubeconfig\.users/],
        [b64(execYaml), /^kubeconfig\.users/],
        [kubeconfigYaml({ user: { tokenFile: '/etc/shadow' } }), /^kubeconfig\.users.*tokenFile$/],
        [kubeconfigYaml({ cluster: { 'certificate-authority': '/etc/ca.crt' } }), /^kubeconfig\.clusters.*certificate-authority$/],
        [kubeconfigYaml({ server: 'ftp://x' }), /^kubeconfig\.clusters.*server$/],
        ['just: [a, list', /^kubeconfig$/],
        ['', /^kubeconfig$/],
      ];
      for (const [kubeconfig, field] of cases) {
        const name = uniqueName('badkc');
        const res = await t.gql(CREATE, { input: { name, kubeconfig } });
        expect(res.errors?.[0]?.extensions?.code, kubeconfig.slice(0, 60)).toBe('BAD_USER_INPUT');
        expect(res.errors?.[0]?.extensions?.field, kubeconfig.slice(0, 60)).toMatch(field);
      }
      const c = await create();
      const upd = await t.gql(UPDATE, { id: c.id, input: { kubeconfig: execYaml } });
      expect(upd.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(upd.errors?.[0]?.extensions?.field).toMatch(/^kubeconfig\.users/);
      expect((await t.gql(GET, { id: c.id })).data.cluster.kubeconfig).toBe(cluster.kubeconfigYaml);
    });

    it('error responses never echo the kubeconfig credential', async () => {
      const leaky = kubeconfigYaml({ user: { token: cluster.secretMarker, exec: { command: 'x' } } });
      const res = await t.gql(CREATE, { input: { name: uniqueName(), kubeconfig: leaky } });
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(res)).not.toContain(cluster.secretMarker);
    });
  });
});
