import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testDrivers } from './support/databases.js';
import { queryRows, registerCluster, type TestGateway, useTestGateway } from './support/gateway.js';
import { openWatches, setImpersonationRules, simulatePodCreated } from '../tools/kube-simulator/index.js';
import { grant, tokenFor, uniqueSubject } from './support/access-fixtures.js';
import { hasKubectl, KUBECTL, kubectl, kubectlUntil } from './support/kubectl.js';
import { useReachableCluster } from './support/suite-fixtures.js';

/**
 * The repository's kubectl (v1.32) through the gateway's Kubernetes API proxy with kubeconfigs the gateway issued:
 * what a developer does with a downloaded kubeconfig, against the Kubernetes API simulator.
 *
 * DEFAULT_CLUSTER_ROLE=none, so every role here is a real grant: user-bob is a VIEWER and `editor` an EDITOR by user
 * grants (neither is a global admin); a group member gets its role from a group grant.
 */

const requireAll = process.env.REQUIRE_ALL_BACKENDS === '1';
if (!hasKubectl && !requireAll) console.warn(`${KUBECTL} not found: skipping the kubectl proxy tests`);

/** Issues a kubeconfig over REST for `token`'s owner and writes it to a file; returns the file and the token id. */
async function issueKubeconfig(
  t: TestGateway,
  dir: string,
  clusterId: number,
  token: string,
  name: string,
): Promise<{ file: string; tokenId: string }> {
  const res = await fetch(`${t.url}/api/v1/k8s/clusters/${clusterId}/kubeconfig?ttl=1h`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/yaml/);
  const file = join(dir, `${name}.kubeconfig`);
  await writeFile(file, await res.text(), { mode: 0o600 });
  return { file, tokenId: res.headers.get('x-token-id')! };
}

describe.skipIf(!hasKubectl && !requireAll).each(testDrivers())('kubectl through the gateway proxy on %s', (driver) => {
  const t = useTestGateway(driver, { KUBE_REQUEST_TIMEOUT_MS: '1500', DEFAULT_CLUSTER_ROLE: 'none' });
  const cluster = useReachableCluster({ nodes: 3, pods: 12 });
  let dir = '';
  let clusterId = 0;
  let viewer = { file: '', tokenId: '' };
  let editor = { file: '', tokenId: '' };
  const editorSubject = uniqueSubject('editor');

  beforeAll(async () => {
    if (!hasKubectl) throw new Error(`REQUIRE_ALL_BACKENDS=1 but ${KUBECTL} is missing`);
    dir = await mkdtemp(join(tmpdir(), 'kgw-kubectl-'));
    clusterId = (await registerCluster(t, { kubeconfig: cluster.kubeconfigYaml, name: `kubectl-${driver}-${Date.now()}` })).id;
    await grant(t, clusterId, 'user-bob', 'viewer');
    await grant(t, clusterId, editorSubject, 'editor');
    viewer = await issueKubeconfig(t, dir, clusterId, t.userToken, 'viewer');
    editor = await issueKubeconfig(t, dir, clusterId, tokenFor(editorSubject), 'editor');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('get nodes and get pods -A answer through HTTPS with the issued kubeconfig', async () => {
    const nodes = await kubectl(dir, viewer.file, ['get', 'nodes']);
    expect(nodes.code, nodes.stderr).toBe(0);
    expect(
      nodes.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/).slice(0, 2)),
    ).toEqual([
      ['node-0', 'Ready'],
      ['node-1', 'Ready'],
      ['node-2', 'Ready'],
    ]);
    const pods = await kubectl(dir, viewer.file, ['get', 'pods', '-A']);
    expect(pods.code, pods.stderr).toBe(0);
    expect(pods.stdout.trim().split('\n')).toHaveLength(1 + 12);
    // The simulator saw the gateway's credential, never the caller's kubeconfig token.
    const seen = cluster.handle.requestLog.filter((e) => e.path === '/api/v1/pods');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((e) => e.headers?.authorization === `Bearer ${cluster.handle.token}`)).toBe(true);
  });

  it('get pods --watch receives a pod created after the watch started', async () => {
    const before = openWatches(cluster.handle);
    let created = false;
    const out = await kubectlUntil(dir, viewer.file, ['get', 'pods', '-n', 'default', '--watch'], /fresh-pod-/, (stdout) => {
      if (!created && /NAME/.test(stdout)) {
        // Create only once the watch is open on the simulator (kubectl lists first, then watches).
        const wait = setInterval(() => {
          if (openWatches(cluster.handle) > before) {
            clearInterval(wait);
            simulatePodCreated(cluster.handle, 'default', `fresh-pod-${driver}`);
          }
        }, 50);
        created = true;
      }
    });
    expect(out).toContain(`fresh-pod-${driver}`);
  });

  it('logs -f streams lines as they are written, past the request timeout (1.5 s)', async () => {
    const started = Date.now();
    const out = await kubectlUntil(dir, viewer.file, ['logs', '-f', 'pod-000000', '-n', 'default'], /tick 20\b/);
    expect(out).toContain('pod-000000 log line 1');
    // 20 ticks at 100 ms: the stream outlived KUBE_REQUEST_TIMEOUT_MS, so the timeout bounds only the first byte.
    expect(Date.now() - started).toBeGreaterThan(1_500);
  });

  it('delete pod is refused for a viewer with the Kubernetes message, and done for an editor; both attempts audited', async () => {
    const refused = await kubectl(dir, viewer.file, ['delete', 'pod', 'pod-000001', '-n', 'default', '--wait=false']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'Error from server (Forbidden): pods "pod-000001" is forbidden: User "user-bob" cannot delete resource "pods" in API group "" in the namespace "default"',
    );
    expect(cluster.handle.requestLog.some((e) => e.method === 'DELETE')).toBe(false);

    const done = await kubectl(dir, editor.file, ['delete', 'pod', 'pod-000001', '-n', 'default', '--wait=false']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('pod "pod-000001" deleted');
    expect(cluster.handle.requestLog.filter((e) => e.method === 'DELETE').map((e) => e.path)).toEqual(['/api/v1/namespaces/default/pods/pod-000001']);

    // The proxy records a request once its answer has ended, which may be just after kubectl printed it.
    const audited = () =>
      queryRows<{ actor: string; action: string; cluster_id: number; target: string; outcome: number }>(
        t.gw,
        sql`SELECT actor, action, cluster_id, target, outcome FROM audit_events WHERE action = 'proxy.delete' AND cluster_id = ${clusterId} ORDER BY id`,
      );
    await vi.waitFor(async () => expect(await audited()).toHaveLength(2), { timeout: 15_000, interval: 50 });
    expect(await audited()).toEqual([
      { actor: 'user-bob', action: 'proxy.delete', cluster_id: clusterId, target: 'delete /api/v1/namespaces/default/pods/pod-000001', outcome: 403 },
      {
        actor: editorSubject,
        action: 'proxy.delete',
        cluster_id: clusterId,
        target: 'delete /api/v1/namespaces/default/pods/pod-000001',
        outcome: 200,
      },
    ]);
  });

  it('get secrets is refused for a viewer and never reaches the cluster', async () => {
    const r = await kubectl(dir, viewer.file, ['get', 'secrets', '-n', 'default']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('secrets is forbidden: User "user-bob" cannot list resource "secrets" in API group "" in the namespace "default"');
    expect(cluster.handle.requestLog.some((e) => e.path.endsWith('/secrets'))).toBe(false);
    const editorSecrets = await kubectl(dir, editor.file, ['get', 'secrets', '-n', 'default', '-o', 'name']);
    expect(editorSecrets.code, editorSecrets.stderr).toBe(0);
    expect(editorSecrets.stdout.trim()).toBe('secret/app-credentials');
  });

  it('exec runs for an editor over WebSocket and is refused for a viewer', async () => {
    const ok = await kubectl(dir, editor.file, ['exec', 'pod-000000', '-n', 'default', '--', 'echo', 'hello', 'through', 'the', 'gateway']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe('hello through the gateway');
    const refused = await kubectl(dir, viewer.file, ['exec', 'pod-000000', '-n', 'default', '--', 'echo', 'no']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/forbidden: User "user-bob" cannot (get|create) resource "pods\/exec"/);
  });

  it('a revoked kubeconfig gets Unauthorized at once; the other one keeps working', async () => {
    const own = await issueKubeconfig(t, dir, clusterId, t.userToken, 'revoked');
    expect((await kubectl(dir, own.file, ['get', 'nodes'])).code).toBe(0);
    const res = await t.rest('DELETE', `/api/v1/k8s/tokens/${own.tokenId}`, { token: t.userToken });
    expect(res.status).toBe(200);
    const after = await kubectl(dir, own.file, ['get', 'nodes']);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toContain('Unauthorized');
    expect((await kubectl(dir, viewer.file, ['get', 'nodes'])).code).toBe(0);
  });

  it('with impersonation set through updateCluster, the cluster sees the caller and its groups, and its own RBAC refuses what it forbids', async () => {
    const imp = await registerCluster(t, { kubeconfig: cluster.kubeconfigYaml, name: `imp-${driver}-${Date.now()}` });
    const set = await t.rest('PUT', `/api/v1/k8s/clusters/${imp.id}`, { body: { impersonate: true } });
    expect(set.status, set.body.message).toBe(200);
    expect(set.body.data.impersonate).toBe(true);
    await grant(t, imp.id, 'user-bob', 'viewer');
    const kc = await issueKubeconfig(t, dir, imp.id, t.userToken, 'impersonated');
    // A member of two groups whose only role on the cluster comes from a grant to one of them.
    const [team, oncall] = [uniqueSubject('team'), uniqueSubject('oncall')];
    const member = uniqueSubject('member');
    await grant(t, imp.id, team, 'viewer', 'group');
    const memberKc = await issueKubeconfig(t, dir, imp.id, tokenFor(member, [team, oncall]), 'group-member');
    setImpersonationRules(cluster.handle, { 'user-bob': ['get pods', 'list pods', 'watch pods'], [`group:${team}`]: ['list services'] });
    try {
      cluster.handle.clearLog();
      const pods = await kubectl(dir, kc.file, ['get', 'pods', '-n', 'default']);
      expect(pods.code, pods.stderr).toBe(0);
      const listed = cluster.handle.requestLog.find((e) => e.path === '/api/v1/namespaces/default/pods');
      expect(listed?.headers?.['impersonate-user']).toBe('user-bob');
      expect(listed?.headers?.['impersonate-group']).toBeUndefined();
      // The gateway lets a viewer list services; the cluster's RBAC for user-bob does not.
      const svc = await kubectl(dir, kc.file, ['get', 'services', '-n', 'default']);
      expect(svc.code).not.toBe(0);
      expect(svc.stderr).toContain(
        'services is forbidden: User "user-bob" cannot list resource "services" in API group "" in the namespace "default"',
      );

      // The group member: Impersonate-User is its sub, and one Impersonate-Group header per group, as sent.
      cluster.handle.clearLog();
      const services = await kubectl(dir, memberKc.file, ['get', 'services', '-n', 'default', '-o', 'name']);
      expect(services.code, services.stderr).toBe(0);
      const seen = cluster.handle.requestLog.find((e) => e.path === '/api/v1/namespaces/default/services');
      const raw = seen?.rawHeaders ?? [];
      const sent = (name: string) => raw.filter((_, i) => i % 2 === 1 && raw[i - 1]!.toLowerCase() === name);
      expect(sent('impersonate-user')).toEqual([member]);
      expect(sent('impersonate-group')).toEqual([team, oncall]);
      expect(sent('authorization')).toEqual([`Bearer ${cluster.handle.token}`]);
      // What the group's cluster RBAC does not allow is refused by the cluster, naming the impersonated user.
      const pods2 = await kubectl(dir, memberKc.file, ['get', 'pods', '-n', 'default']);
      expect(pods2.code).not.toBe(0);
      expect(pods2.stderr).toContain(`pods is forbidden: User "${member}" cannot list resource "pods"`);
    } finally {
      setImpersonationRules(cluster.handle, null);
    }
  });
});
