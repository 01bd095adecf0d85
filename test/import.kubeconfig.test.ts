import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type CliIo, importCommand } from '../src/cli/import.command.js';
import { testDrivers } from './support/databases.js';
import { registerCluster, useTestGateway } from './support/gateway.js';
import { b64, refusedServerUrl } from './support/kubeconfigs.js';
import { type FleetContext, type FleetContextKind, fleetKubeconfig } from './support/fleet-kubeconfig.js';
import { sharedSimulator } from './support/reachable.js';

/**
 * Importing a generated 50-context kubeconfig (good, exec, tokenFile, unreachable, duplicate and name-taken contexts)
 * through GraphQL, REST and the `kube-gateway import` command run as its own process; re-applying changes nothing.
 */
const PREFIX = 'fleet-';
const PLAN = `query($input: ClusterImportInput!) { planClusterImport(input: $input) { items { context name server action reason reachable kubernetesVersion existingClusterId } } }`;
const APPLY = `mutation($input: ClusterImportInput!) { applyClusterImport(input: $input) { items { context name outcome clusterId message } } }`;

function specs(): { name: string; kind: FleetContextKind }[] {
  const list: { name: string; kind: FleetContextKind }[] = [];
  for (let i = 0; i < 30; i++) list.push({ name: `good-${i}`, kind: 'good' });
  for (let i = 0; i < 6; i++) list.push({ name: `exec-${i}`, kind: 'exec' });
  for (let i = 0; i < 2; i++) list.push({ name: `file-${i}`, kind: 'tokenFile' });
  for (let i = 0; i < 6; i++) list.push({ name: `down-${i}`, kind: 'unreachable' });
  // Hand-merged files repeat contexts; names are compared as cluster names are (case-insensitively).
  for (let i = 0; i < 6; i++) list.push({ name: `GOOD-${i}`, kind: 'good' });
  return list;
}

const count = (items: Record<string, unknown>[], key: string) =>
  items.reduce<Record<string, number>>(
    (acc, item) => ({ ...acc, [String(item[key]).toLowerCase()]: (acc[String(item[key]).toLowerCase()] ?? 0) + 1 }),
    {},
  );

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/import-cli-entry.ts', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function captureIo(env: Record<string, string>): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { env, out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
}

describe.each(testDrivers())('kubeconfig import on %s', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false });
  let yaml: string;
  let contexts: FleetContext[];
  let dir: string;
  let file: string;
  let takenId: number;

  beforeAll(async () => {
    const sim = await sharedSimulator();
    ({ yaml, contexts } = fleetKubeconfig(sim, specs(), { unreachableServer: await refusedServerUrl(), currentContext: 'good-0' }));
    dir = mkdtempSync(join(tmpdir(), 'kgw-import-'));
    file = join(dir, 'fleet.yaml');
    writeFileSync(file, yaml, { mode: 0o600 });
    // "good-29" is already a cluster's name, for a different server: that context must be skipped, not merged.
    takenId = (
      await registerCluster(t, {
        name: `${PREFIX}good-29`,
        kubeconfig: sim.cluster.kubeconfig({ server: await refusedServerUrl() }),
        skipConnectionTest: true,
      })
    ).id;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const clusterCount = async () => (await t.rest('GET', '/api/v1/k8s/clusters')).body.data.total as number;

  it('plans every context (GraphQL and REST dry_run) with its name, server, action, reason and probe, changing nothing', async () => {
    const before = await clusterCount();
    const res = await t.gql(PLAN, { input: { kubeconfig: yaml, namePrefix: PREFIX } });
    expect(res.errors).toBeUndefined();
    const items = res.data.planClusterImport.items as Record<string, any>[];
    expect(items).toHaveLength(50);
    expect(count(items, 'action')).toEqual({ create: 35, skip: 15 });
    const byContext = new Map(items.map((i) => [i.context, i]));
    expect(byContext.get('good-3')).toMatchObject({
      name: `${PREFIX}good-3`,
      action: 'CREATE',
      reachable: true,
      kubernetesVersion: 'v1.31.4',
      reason: null,
    });
    expect(byContext.get('down-2')).toMatchObject({ action: 'CREATE', reachable: false });
    expect(byContext.get('down-2')!.reason).toMatch(/REFUSED/);
    expect(byContext.get('exec-1')).toMatchObject({ action: 'SKIP', reachable: null });
    expect(byContext.get('exec-1')!.reason).toMatch(/^kubeconfig\.users "user-\d+"\.exec: is not allowed \(context "exec-1"\): it runs a program/);
    expect(byContext.get('file-0')!.reason).toMatch(/\.tokenFile: is not allowed/);
    expect(byContext.get('good-29')).toMatchObject({ action: 'SKIP', existingClusterId: String(takenId) });
    expect(byContext.get('good-29')!.reason).toMatch(/different server/);
    expect(items.filter((i) => /^duplicate of context "good-\d"/.test(i.reason ?? ''))).toHaveLength(6);

    const rest = await t.rest('POST', '/api/v1/k8s/clusters/import', { body: { kubeconfig: b64(yaml), name_prefix: PREFIX, dry_run: true } });
    expect(rest.status).toBe(200);
    expect(count(rest.body.data.items, 'action')).toEqual({ create: 35, skip: 15 });
    expect(await clusterCount()).toBe(before);
  });

  it('applies through GraphQL: one result per context, failures do not block the others, each cluster holds only its context', async () => {
    const res = await t.gql(APPLY, { input: { kubeconfig: yaml, namePrefix: PREFIX, labels: [{ key: 'team', value: 'platform' }] } });
    expect(res.errors).toBeUndefined();
    const items = res.data.applyClusterImport.items as Record<string, any>[];
    expect(count(items, 'outcome')).toEqual({ created: 29, failed: 6, skipped: 15 });
    expect(items.find((i) => i.context === 'down-0')!.message).toMatch(/cannot connect to the cluster \(REFUSED\)/);

    const good3 = items.find((i) => i.context === 'good-3')!;
    const detail = await t.rest('GET', `/api/v1/k8s/clusters/${good3.clusterId}`);
    const stored = parse(Buffer.from(detail.body.data.kubeconfig, 'base64').toString('utf8'));
    expect([stored.contexts.length, stored.clusters.length, stored.users.length]).toEqual([1, 1, 1]);
    expect(stored.users[0].user.token).toBe(contexts.find((c) => c.name === 'good-3')!.handle!.token);
    expect(stored['current-context']).toBe('good-3');
  });

  it('the kube-gateway import command (its own process) re-applies: everything UNCHANGED or as before, exit 1 because contexts failed', async () => {
    const before = await clusterCount();
    const env = { KUBE_GATEWAY_URL: t.url, KUBE_GATEWAY_TOKEN: t.adminToken };
    const run = await runCli([file, '--name-prefix', PREFIX, '--label', 'team=platform'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CONTEXT\s+NAME\s+OUTCOME\s+CLUSTER\s+MESSAGE$/);
    expect(lines.filter((l) => /^good-\d+\s+\S+\s+UNCHANGED\s+\d+/.test(l))).toHaveLength(29);
    expect(lines.filter((l) => /\sFAILED\s/.test(l))).toHaveLength(6);
    expect(run.stdout).toContain('unchanged 29, skipped 15, failed 6');
    expect(await clusterCount()).toBe(before);
  }, 60_000);

  it('the command prints the plan with --dry-run (exit 0), explains itself with --help, and refuses bad arguments with exit 2', async () => {
    const io = captureIo({ KUBE_GATEWAY_URL: t.url, KUBE_GATEWAY_TOKEN: t.adminToken });
    expect(await importCommand.run([file, '--dry-run', '--name-prefix', PREFIX, '--context', 'good-1', '--context', 'exec-0'], io)).toBe(0);
    const lines = io.out.join('').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^good-1\s+fleet-good-1\s+UNCHANGED\s+yes\s+v1\.31\.4\s+https:\/\/127\.0\.0\.1:\d+/);
    expect(lines[2]).toMatch(/^exec-0\s+fleet-exec-0\s+SKIP\s+-\s+-\s+https:.*exec: is not allowed/);

    const help = captureIo({});
    expect(await importCommand.run(['--help'], help)).toBe(0);
    expect(help.out.join('')).toMatch(/usage: kube-gateway import <kubeconfig-file>/);
    const bad = captureIo({});
    expect(await importCommand.run([file, '--label', 'novalue'], bad)).toBe(2);
    expect(bad.err.join('')).toMatch(/--label novalue: expected key=value/);
    const forbidden = captureIo({ KUBE_GATEWAY_URL: t.url, KUBE_GATEWAY_TOKEN: t.userToken });
    expect(await importCommand.run([file], forbidden)).toBe(1);
    expect(forbidden.err.join('')).toMatch(/HTTP 403/);
  });

  it('REST apply: set_default_from_current_context makes good-0 the default once; a second apply changes nothing', async () => {
    const body = {
      kubeconfig: b64(yaml),
      name_prefix: PREFIX,
      contexts: contexts.filter((c) => /^good-\d+$/.test(c.name)).map((c) => c.name),
      set_default_from_current_context: true,
    };
    const first = await t.rest('POST', '/api/v1/k8s/clusters/import', { body });
    expect(first.status).toBe(200);
    expect(first.body.data.summary).toEqual({ created: 0, updated: 0, unchanged: 29, skipped: 1, failed: 0 });
    const good0 = first.body.data.items.find((i: { context: string }) => i.context === 'good-0');
    expect(good0.message).toMatch(/now the default cluster/);
    expect((await t.gql('{ currentCluster { name } }')).data.currentCluster.name).toBe(`${PREFIX}good-0`);
    const again = await t.rest('POST', '/api/v1/k8s/clusters/import', { body });
    expect(again.body.data.summary).toEqual(first.body.data.summary);
    expect(again.body.data.items.find((i: { context: string }) => i.context === 'good-0').message).toBeNull();
  });

  it('other credentials for an existing cluster: SKIP unless update_existing, then UPDATED after reaching the cluster', async () => {
    const other = contexts.find((c) => c.name === 'good-6')!.handle!.token;
    const changed = yaml.replace(contexts.find((c) => c.name === 'good-5')!.handle!.token, other);
    const body = { kubeconfig: b64(changed), name_prefix: PREFIX, contexts: ['good-5'] };
    const plan = await t.rest('POST', '/api/v1/k8s/clusters/import', { body: { ...body, dry_run: true } });
    expect(plan.body.data.items[0]).toMatchObject({ action: 'skip' });
    expect(plan.body.data.items[0].reason).toMatch(/other credentials; set updateExisting/);
    const applied = await t.rest('POST', '/api/v1/k8s/clusters/import', { body: { ...body, update_existing: true } });
    expect(applied.body.data.items[0]).toMatchObject({ outcome: 'updated' });
    const again = await t.rest('POST', '/api/v1/k8s/clusters/import', { body: { ...body, update_existing: true } });
    expect(again.body.data.items[0]).toMatchObject({ outcome: 'unchanged' });
  });

  it('only global admins import; bad input is a 400 naming the field', async () => {
    const gql = await t.gql(PLAN, { input: { kubeconfig: yaml } }, { token: t.userToken });
    expect(gql.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const rest = await t.rest('POST', '/api/v1/k8s/clusters/import', { body: { kubeconfig: b64(yaml) }, token: t.userToken });
    expect(rest.status).toBe(403);
    const cases: [unknown, string][] = [
      [{ kubeconfig: 'not base64!' }, 'kubeconfig'],
      [{ kubeconfig: b64('just: text') }, 'kubeconfig.contexts'],
      [{ kubeconfig: b64(yaml), contexts: ['nope'] }, 'contexts'],
      [{ kubeconfig: b64(yaml), name_prefix: 'bad\u0007' }, 'name_prefix'],
      [{ kubeconfig: b64(yaml), dryRun: true }, 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await t.rest('POST', '/api/v1/k8s/clusters/import', { body });
      expect([res.status, res.body.field], JSON.stringify(body)).toEqual([400, field]);
    }
  });
});
