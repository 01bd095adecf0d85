import { it } from 'vitest';
import { uniqueName } from './support/gateway.js';
import { CREATE } from './support/hostile-payloads.js';
import { gql, rest, sendAccepting, short } from './support/hostile-requests.js';
import { describeHostileInput } from './support/hostile-suite.js';
import type { ClusterKnobs } from '../tools/kube-simulator/index.js';
import { REST_BASE } from './support/raw-requests.js';
import { reachableCluster, type ReachableCluster } from './support/reachable.js';

/**
 * A compromised Kubernetes API server: the gateway registers, tests and health-checks clusters whose server answers
 * garbage (NUL bytes, oversized versions, resets, hangs, 599s), and must never answer with a 5xx itself.
 */

// Registering these clusters is meant to change the database: the tables are not compared.
describeHostileInput('cluster-api', { changesTables: true }, ({ t, tally }) => {
  it('a compromised cluster API server answering garbage never causes a 5xx (C3, C6, testClusterConnection, health sweep)', async ({ expect }) => {
    // The background sweep is stopped so that the explicit sweep below is the one that claims (and records) them.
    const monitor = t.gw.health as unknown as { timer?: NodeJS.Timeout; sweeping?: Promise<void> };
    if (!('timer' in monitor)) throw new Error('HealthMonitor has no `timer` field any more: update this suite');
    clearTimeout(monitor.timer);
    await monitor.sweeping?.catch(() => {});
    const violations: string[] = [];
    const answers: { label: string; knobs: Partial<ClusterKnobs> }[] = [
      { label: 'NUL in /version gitVersion', knobs: { gitVersion: 'v1.31.4\u0000evil' } },
      { label: '200-character gitVersion (column is varchar(64))', knobs: { gitVersion: `v${'9'.repeat(200)}` } },
      { label: 'bidi override in gitVersion', knobs: { gitVersion: 'v1.31.4\u202E' } },
      { label: 'log-forging newline in gitVersion', knobs: { gitVersion: 'v1.31.4\n{"level":60,"msg":"forged"}' } },
      { label: 'non-JSON 200 bodies', knobs: { mode: 'garbage' } },
      { label: 'connection reset mid-body', knobs: { mode: 'reset' } },
      { label: '599 on every request', knobs: { mode: 'error5xx', errorCode: 599 } },
      { label: 'never answers', knobs: { mode: 'hang' } },
    ];
    const sims: ReachableCluster[] = [];
    try {
      for (const { label, knobs } of answers) {
        const sim = await reachableCluster(knobs);
        sims.push(sim);
        const c3 = rest(
          t,
          `C3 against a server with ${label}`,
          'POST',
          `${REST_BASE}/clusters`,
          { name: uniqueName('evil-api'), kubeconfig: sim.kubeconfigBase64 },
          { expect: { status: [201, 400] } },
        );
        const v3 = await sendAccepting(t, c3, tally);
        if (v3) violations.push(`${c3.label} → ${v3}`);
        // Registered without contact, then probed on demand and by the monitor.
        const created = await t.gql(CREATE, { input: { name: uniqueName('evil-api'), kubeconfig: sim.kubeconfigYaml, skipConnectionTest: true } });
        const id = created.data?.createCluster?.id as string | undefined;
        if (!id) {
          violations.push(`createCluster (skipConnectionTest) for ${label} failed: ${JSON.stringify(created.errors)}`);
          continue;
        }
        const c6 = rest(t, `C6 against a server with ${label}`, 'POST', `${REST_BASE}/clusters/${id}/test-connection`, undefined, {
          expect: { status: [200, 503] },
        });
        const v6 = await sendAccepting(t, c6, tally);
        if (v6) violations.push(`${c6.label} → ${v6}`);
        const g6 = gql(
          t,
          `testClusterConnection against a server with ${label}`,
          'mutation($id: ID!) { testClusterConnection(id: $id) { connected kubernetesVersion } }',
          { id },
        );
        const vg = await sendAccepting(t, g6, tally);
        if (vg) violations.push(`${g6.label} → ${vg}`);
      }
      const swept = await t.gw.health.sweep().then(
        () => null,
        (err: Error) => `health sweep failed: ${short(err.message.replace(/\s+/g, ' '), 300)}`,
      );
      if (swept) violations.push(swept);
    } finally {
      await Promise.all(sims.map((s) => s.close()));
    }
    tally.violations.push(...violations);
    expect(violations).toEqual([]);
  });
});
