import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeSimulator, type ClusterHandle, type KubeconfigOptions } from '../tools/kube-simulator/index.js';
import { perSuite } from './support/suite-fixtures.js';

/** The real kubectl against the Kubernetes API simulator: what it prints is what it would print for a real cluster. */

const sim = perSuite(
  'the simulator',
  () => KubeSimulator.start({ nodes: 2 }),
  (s) => s.close(),
);

// Overridable only to exercise the missing-kubectl paths; the real location is /usr/bin/kubectl.
const KUBECTL = process.env.KUBE_SIM_KUBECTL ?? '/usr/bin/kubectl';
const hasKubectl = existsSync(KUBECTL);
const requireAll = process.env.REQUIRE_ALL_BACKENDS === '1';
if (!hasKubectl && !requireAll) console.warn(`kube-simulator: ${KUBECTL} not found, skipping the kubectl tests`);

describe.skipIf(!hasKubectl && !requireAll)('kubectl against the simulator', () => {
  let dir = '';

  beforeAll(async () => {
    if (!hasKubectl) throw new Error(`REQUIRE_ALL_BACKENDS=1 but ${KUBECTL} is missing`);
    dir = await mkdtemp(join(tmpdir(), 'kube-sim-kubectl-'));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs kubectl against `h`; resolves with exit code and output (never rejects on non-zero exit). */
  async function kubectl(h: ClusterHandle, args: string[], opts?: KubeconfigOptions): Promise<{ code: number; stdout: string; stderr: string }> {
    const file = join(dir, `${h.id}-${opts?.auth ?? 'token'}${opts?.token ? '-bad' : ''}.kubeconfig`);
    await writeFile(file, h.kubeconfig(opts), { mode: 0o600 });
    const full = ['--kubeconfig', file, '--cache-dir', join(dir, `cache-${h.id}`), ...args];
    return new Promise((resolve) => {
      execFile(KUBECTL, full, { timeout: 15_000, env: { ...process.env, HOME: dir, KUBECONFIG: '' } }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  it('kubectl version -o json reports the server gitVersion', async () => {
    const h = sim.addCluster({ gitVersion: 'v1.30.7' });
    const r = await kubectl(h, ['version', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion).toBe('v1.30.7');
  });

  it('kubectl get nodes shows Ready and NotReady', async () => {
    const h = sim.addCluster({ nodes: 3, notReadyNodes: 1 });
    const r = await kubectl(h, ['get', 'nodes']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/));
    expect(rows.map((c) => [c[0], c[1]])).toEqual([
      ['node-0', 'Ready'],
      ['node-1', 'Ready'],
      ['node-2', 'NotReady'],
    ]);
  });

  it('kubectl get pods -A --chunk-size=50 pages through every pod', async () => {
    const h = sim.addCluster({ pods: 120 });
    const r = await kubectl(h, ['get', 'pods', '-A', '--chunk-size=50']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    expect(lines).toHaveLength(121);
    const pages = h.requestLog.filter((e) => e.path === '/api/v1/pods');
    expect(pages.map((e) => e.query.limit)).toEqual(['50', '50', '50']);
    expect(pages.filter((e) => e.query.continue)).toHaveLength(2);
  });

  it('kubectl get svc -n monitoring -l app=prometheus filters by label', async () => {
    const h = sim.addCluster({
      services: [
        { name: 'prometheus-k8s', namespace: 'monitoring', labels: { app: 'prometheus' }, ports: [{ name: 'web', port: 9090 }] },
        { name: 'grafana', namespace: 'monitoring', labels: { app: 'grafana' }, ports: [{ port: 3000 }] },
      ],
    });
    const r = await kubectl(h, ['get', 'svc', '-n', 'monitoring', '-l', 'app=prometheus']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/prometheus-k8s\s+ClusterIP\s+\S+\s+<none>\s+9090\/TCP/);
    expect(r.stdout).not.toContain('grafana');
    expect(h.requestLog.at(-1)?.query.labelSelector).toBe('app=prometheus');
  });

  it('kubectl with client certificates, and failing with 401 / 403', async () => {
    const h = sim.addCluster({ forbid: ['pods'] });
    const ok = await kubectl(h, ['get', 'namespaces'], { auth: 'cert' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('kube-system');
    const denied = await kubectl(h, ['get', 'pods', '-n', 'default']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(`pods is forbidden: User "${h.user}" cannot list resource "pods"`);
    const unauth = await kubectl(h, ['get', 'nodes'], { token: 'not-a-valid-token' });
    expect(unauth.code).not.toBe(0);
    expect(unauth.stderr).toMatch(/Unauthorized|You must be logged in|provide credentials/);
  });
});
