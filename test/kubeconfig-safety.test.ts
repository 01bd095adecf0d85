import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { testDrivers } from './support/databases.js';
import { registerCluster, uniqueName, useTestGateway } from './support/gateway.js';
import { b64, refusedServerUrl, yamlBomb } from './support/kubeconfigs.js';
import { reachableCluster, type ReachableCluster } from './support/reachable.js';
import { useReachableCluster } from './support/suite-fixtures.js';

/**
 * A kubeconfig from a request must never run a program or read a file on the server, must not be able to exhaust
 * memory (alias bombs, huge documents), and is used through its current-context only. Checked on every way in:
 * REST C3 and C4, GraphQL createCluster and updateCluster.
 */

const ENV = { HEALTH_CHECK_INTERVAL_SECONDS: '3600', KUBE_CONNECT_TIMEOUT_MS: '3000', KUBE_REQUEST_TIMEOUT_MS: '5000' };

const CREATE = `mutation($input: CreateClusterInput!) { createCluster(input: $input) { id name } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateClusterInput!) { updateCluster(id: $id, input: $input) { id name } }`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A kubeconfig for `c`'s server and CA with the given user (and extra cluster fields), as YAML. */
function kubeconfigFor(c: ReachableCluster, user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'evil-cluster', cluster: { server: c.handle.server, 'certificate-authority-data': b64(c.handle.caPem), ...cluster } }],
    users: [{ name: 'evil-user', user }],
    contexts: [{ name: 'evil-ctx', context: { cluster: 'evil-cluster', user: 'evil-user' } }],
    'current-context': 'evil-ctx',
  });
}

describe.each(testDrivers())('kubeconfig safety on %s', (driver) => {
  const t = useTestGateway(driver, ENV, { healthMonitor: false });
  const live = useReachableCluster();
  /** A cluster every update attempt targets; its stored kubeconfig must never change. */
  let target: { id: number; yaml: string };
  let workDir: string;
  /** A server file with unique content: a kubeconfig pointing at it must not get it read (or echoed). */
  let secretFile: string;
  let secretContent: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'kgw-safety-'));
    secretContent = `SERVER-SECRET-${randomBytes(12).toString('hex')}`;
    secretFile = join(workDir, 'secret.txt');
    writeFileSync(secretFile, `${secretContent}\n`, { mode: 0o600 });
    const { id } = await registerCluster(t, { kubeconfig: live.kubeconfigYaml, name: uniqueName('target') });
    target = { id, yaml: live.kubeconfigYaml };
  });
  afterAll(async () => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const names = async () => {
    const res = await t.rest('GET', '/api/v1/k8s/clusters');
    expect(res.status).toBe(200);
    return (res.body.data.clusters as { name: string }[]).map((c) => c.name);
  };
  const storedTargetKubeconfig = async () => {
    const res = await t.rest('GET', `/api/v1/k8s/clusters/${target.id}`);
    expect(res.status).toBe(200);
    return Buffer.from(res.body.data.kubeconfig, 'base64').toString('utf8');
  };

  /**
   * Sends `yaml` through all four ways in and checks each is a 400 naming `field` (and the context), that nothing
   * was created or changed, and that no response carries the secret file's content.
   */
  async function expectRejectedEverywhere(yaml: string, field: RegExp, context = 'evil-ctx'): Promise<void> {
    const before = await names();
    const created = uniqueName('evil');
    const answers: string[] = [];

    const restCreate = await t.rest('POST', '/api/v1/k8s/clusters', { body: { name: created, kubeconfig: b64(yaml) } });
    const restUpdate = await t.rest('PUT', `/api/v1/k8s/clusters/${target.id}`, { body: { kubeconfig: b64(yaml) } });
    for (const res of [restCreate, restUpdate]) {
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(400);
      expect(res.body.field).toMatch(field);
      expect(res.body.message).toMatch(new RegExp(`^${field.source.replace(/\$$/, '')}: `));
      expect(res.body.message).toContain(`"${context}"`);
      answers.push(JSON.stringify(res.body));
    }

    const gqlCreate = await t.gql(CREATE, { input: { name: created, kubeconfig: yaml } });
    const gqlUpdate = await t.gql(UPDATE, { id: String(target.id), input: { kubeconfig: yaml } });
    for (const res of [gqlCreate, gqlUpdate]) {
      expect(res.data).toBeNull();
      expect(res.errors).toHaveLength(1);
      expect(res.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors![0]!.extensions?.field).toMatch(field);
      expect(res.errors![0]!.message).toContain(`"${context}"`);
      answers.push(JSON.stringify(res));
    }

    for (const a of answers) expect(a).not.toContain(secretContent);
    expect(await names()).toEqual(before);
    expect(await storedTargetKubeconfig()).toBe(target.yaml);
  }

  it('exec credential plug-ins are refused (400 naming users…exec and the context) and never run', async () => {
    const marker = join(workDir, `exec-ran-${randomBytes(4).toString('hex')}`);
    const yaml = kubeconfigFor(live, {
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh', args: ['-c', `touch ${marker}`], interactiveMode: 'Never' },
    });
    await expectRejectedEverywhere(yaml, /^kubeconfig\.users\[0\] "evil-user"\.exec$/);
    // The target cluster (whose kubeconfig the updates tried to replace) is still reached with its own credentials.
    const test = await t.rest('POST', `/api/v1/k8s/clusters/${target.id}/test-connection`);
    expect(test.status).toBe(200);
    await sleep(300);
    expect(existsSync(marker)).toBe(false);
  });

  it('auth-provider plug-ins are refused and never run', async () => {
    const marker = join(workDir, `auth-provider-ran-${randomBytes(4).toString('hex')}`);
    const yaml = kubeconfigFor(live, {
      'auth-provider': { name: 'gcp', config: { 'cmd-path': '/bin/sh', 'cmd-args': `-c "touch ${marker}"`, 'token-key': '{.token}' } },
    });
    await expectRejectedEverywhere(yaml, /^kubeconfig\.users\[0\] "evil-user"\.auth-provider$/);
    await sleep(300);
    expect(existsSync(marker)).toBe(false);
  });

  it('tokenFile is refused and the file is not read', async () => {
    await expectRejectedEverywhere(kubeconfigFor(live, { tokenFile: secretFile }), /^kubeconfig\.users\[0\] "evil-user"\.tokenFile$/);
  });

  it('client-certificate / client-key file paths are refused and the files are not read', async () => {
    await expectRejectedEverywhere(
      kubeconfigFor(live, { 'client-certificate': secretFile, 'client-key': secretFile }),
      /^kubeconfig\.users\[0\] "evil-user"\.client-(certificate|key)$/,
    );
    await expectRejectedEverywhere(
      kubeconfigFor(live, { token: live.handle.token, 'client-key': '/etc/hostname' }),
      /^kubeconfig\.users\[0\] "evil-user"\.client-key$/,
    );
  });

  it('certificate-authority file paths are refused and the file is not read', async () => {
    await expectRejectedEverywhere(
      kubeconfigFor(live, { token: live.handle.token }, { 'certificate-authority': secretFile }),
      /^kubeconfig\.clusters\[0\] "evil-cluster"\.certificate-authority$/,
    );
  });

  it('a forbidden field is refused even in a user no context uses as current', async () => {
    const marker = join(workDir, `unused-exec-ran-${randomBytes(4).toString('hex')}`);
    const yaml = stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'live', cluster: { server: live.handle.server, 'certificate-authority-data': b64(live.handle.caPem) } }],
      users: [
        { name: 'good', user: { token: live.handle.token } },
        { name: 'spare', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh', args: ['-c', `touch ${marker}`] } } },
      ],
      contexts: [
        { name: 'main', context: { cluster: 'live', user: 'good' } },
        { name: 'spare-ctx', context: { cluster: 'live', user: 'spare' } },
      ],
      'current-context': 'main',
    });
    await expectRejectedEverywhere(yaml, /^kubeconfig\.users\[1\] "spare"\.exec$/, 'spare-ctx');
    await sleep(300);
    expect(existsSync(marker)).toBe(false);
  });

  it('a YAML alias bomb is refused with 400 in well under a second, and the gateway keeps serving', async () => {
    const bomb = yamlBomb();
    // Also as a kubeconfig that smuggles the bomb into an ordinary field.
    const embedded = `${live.kubeconfigYaml.replace(/^preferences:.*$/m, '')}${bomb}preferences: { extensions: *i }\n`;
    for (const doc of [bomb, embedded]) {
      const started = performance.now();
      const res = await t.rest('POST', '/api/v1/k8s/clusters', { body: { name: uniqueName('bomb'), kubeconfig: b64(doc) } });
      const ms = performance.now() - started;
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^kubeconfig: /);
      expect(ms).toBeLessThan(1_000);

      const gqlStarted = performance.now();
      const gql = await t.gql(CREATE, { input: { name: uniqueName('bomb'), kubeconfig: doc } });
      expect(performance.now() - gqlStarted).toBeLessThan(1_000);
      expect(gql.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    const health = await fetch(`${t.url}/healthz`);
    expect(health.status).toBe(200);
    const list = await t.rest('GET', '/api/v1/k8s/clusters');
    expect(list.status).toBe(200);
  });

  it('refuses kubeconfigs over 256 KiB (400), bodies over the limit (413), and accepts one just under the cap', async () => {
    const pad = (yaml: string, bytes: number) => `${yaml}# ${'x'.repeat(bytes - Buffer.byteLength(yaml) - 3)}\n`;
    const before = await names();

    const oversized = pad(live.kubeconfigYaml, 300 * 1024);
    const rest = await t.rest('POST', '/api/v1/k8s/clusters', { body: { name: uniqueName('big'), kubeconfig: b64(oversized) } });
    expect(rest.status).toBe(400);
    expect(rest.body.message).toMatch(/^kubeconfig: .*256 KiB/);
    const gql = await t.gql(CREATE, { input: { name: uniqueName('big'), kubeconfig: oversized } });
    expect(gql.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(gql.errors?.[0]?.message).toMatch(/256 KiB/);
    const update = await t.rest('PUT', `/api/v1/k8s/clusters/${target.id}`, { body: { kubeconfig: b64(oversized) } });
    expect(update.status).toBe(400);

    const huge = await t.rest('POST', '/api/v1/k8s/clusters', {
      body: { name: uniqueName('huge'), kubeconfig: b64(pad(live.kubeconfigYaml, 2 * 1024 * 1024)) },
    });
    expect([400, 413]).toContain(huge.status);
    expect(huge.body.code).toBe(huge.status);
    expect(await names()).toEqual(before);

    // The cap is a cap, not a ban on big files: 250 KiB (many clusters' worth of comments) is fine.
    const name = uniqueName('under-cap');
    const ok = await t.rest('POST', '/api/v1/k8s/clusters', { body: { name, kubeconfig: b64(pad(live.kubeconfigYaml, 250 * 1024)) } });
    expect(ok.status).toBe(201);
    expect(ok.body.data.name).toBe(name);
  });

  describe('multi-context kubeconfigs use current-context', () => {
    /** Two contexts: `dead` first (a closed port, another token), `live` second; current-context picks one. */
    const twoContexts = async (current: 'dead-ctx' | 'live-ctx' | undefined, c: ReachableCluster) =>
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'dead', cluster: { server: await refusedServerUrl(), 'certificate-authority-data': b64(c.handle.caPem) } },
          { name: 'live', cluster: { server: c.handle.server, 'certificate-authority-data': b64(c.handle.caPem) } },
        ],
        users: [
          { name: 'dead-user', user: { token: 'sim-token-of-a-dead-cluster' } },
          { name: 'live-user', user: { token: c.handle.token } },
        ],
        contexts: [
          { name: 'dead-ctx', context: { cluster: 'dead', user: 'dead-user' } },
          { name: 'live-ctx', context: { cluster: 'live', user: 'live-user' } },
        ],
        ...(current ? { 'current-context': current } : {}),
      });

    it('creation succeeds through the current context (the other one is dead) and C6 uses it', async () => {
      const c = await reachableCluster({ gitVersion: 'v1.27.16', nodes: 2 });
      const res = await t.rest('POST', '/api/v1/k8s/clusters', {
        body: { name: uniqueName('multi'), kubeconfig: b64(await twoContexts('live-ctx', c)) },
      });
      expect(res.status).toBe(201);
      expect(res.body.data).toMatchObject({ kubernetes_version: 'v1.27.16', node_count: 2 });

      c.handle.clearLog();
      const test = await t.rest('POST', `/api/v1/k8s/clusters/${res.body.data.id}/test-connection`);
      expect(test.status).toBe(200);
      expect(test.body.data).toMatchObject({ connected: true, kubernetes_version: 'v1.27.16', node_count: 2 });
      expect(c.handle.requestLog.some((e) => e.path === '/version')).toBe(true);
    });

    it('a current-context naming the dead context is what gets tested (and refused)', async () => {
      const c = await reachableCluster();
      c.handle.clearLog();
      const res = await t.rest('POST', '/api/v1/k8s/clusters', {
        body: { name: uniqueName('multi'), kubeconfig: b64(await twoContexts('dead-ctx', c)) },
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^kubeconfig: .*REFUSED/);
      expect(c.handle.requestLog).toHaveLength(0);
    });

    it('without current-context, two contexts are ambiguous: 400 naming kubeconfig.current-context', async () => {
      const c = await reachableCluster();
      const res = await t.rest('POST', '/api/v1/k8s/clusters', {
        body: { name: uniqueName('multi'), kubeconfig: b64(await twoContexts(undefined, c)) },
      });
      expect(res.status).toBe(400);
      expect(res.body.field).toBe('kubeconfig.current-context');
    });
  });
});

/**
 * Parsing must not be able to kill the process. This runs a real gateway (`startGateway`, on a copy of the migrated
 * PGlite the test run prepared) in a child process, so that if a kubeconfig takes that process down, this test fails
 * instead of the test worker. Driver-independent: what is at stake is the process, not the database.
 */
describe('a deeply nested kubeconfig cannot take the gateway process down', () => {
  const repoRoot = fileURLToPath(new URL('..', import.meta.url));
  const secret = `child-secret-${randomBytes(16).toString('hex')}`;
  const childScript = [
    "import { readFileSync } from 'node:fs';",
    "import { PGlite } from '@electric-sql/pglite';",
    "import { loadConfig } from './src/config.ts';",
    "import { startGateway } from './src/gateway.ts';",
    'const client = await PGlite.create({ loadDataDir: new Blob([readFileSync(process.env.KGW_PGLITE_DUMP)]) });',
    "const gw = await startGateway(loadConfig(process.env), { database: { kind: 'pglite', client } });",
    'process.stdout.write(`listening on ${gw.url}\\n`);',
  ].join('\n');
  let child: ChildProcess | undefined;
  let output = '';
  let url = '';
  let dataDir = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kgw-child-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KGW_PGLITE_DUMP: inject('pgliteDump'),
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      JWT_SECRET: secret,
      LOG_LEVEL: 'error',
      PROMETHEUS_AUTO_DISCOVERY: 'false',
      HEALTH_CHECK_INTERVAL_SECONDS: '3600',
    };
    delete env.DATABASE_URL;
    child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', childScript], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway did not start within 45 s:\n${output}`)), 45_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = /listening on (http:\/\/\S+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child!.stdout!.on('data', onData);
      child!.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child!.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited (${code ?? signal}) before listening:\n${output}`));
      });
    });
  }, 60_000);
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 400 to ~5,000 nested brackets (10 KB), again and again, and keeps serving', async () => {
    const token = signToken(secret, { sub: 'admin-carol', role: 'admin' });
    const answers: string[] = [];
    for (let i = 0; i < 10; i++) {
      const depth = 5_000 + 97 * i;
      const nested = `x: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
      const viaRest = i < 8;
      let status: number;
      let text: string;
      try {
        const res = viaRest
          ? await fetch(`${url}/api/v1/k8s/clusters`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: JSON.stringify({ name: `deep-${i}`, kubeconfig: b64(nested) }),
            })
          : await fetch(`${url}/graphql`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: JSON.stringify({ query: CREATE, variables: { input: { name: `deep-${i}`, kubeconfig: nested } } }),
            });
        status = res.status;
        text = await res.text();
      } catch (err) {
        await sleep(200);
        throw new Error(
          `request ${i + 1} (${viaRest ? 'REST C3' : 'GraphQL createCluster'}) got no answer: ${(err as Error).message}; ` +
            `gateway exit ${child?.exitCode ?? child?.signalCode ?? 'none'}; answers so far: ${answers.join(' | ')}; ` +
            `gateway output: ${/FATAL ERROR:[^\n]*/.exec(output)?.[0] ?? output.slice(-300)}`,
        );
      }
      answers.push(`${status} ${text.slice(0, 80)}`);
      if (viaRest) {
        expect(status).toBe(400);
        expect(JSON.parse(text).message).toMatch(/^kubeconfig: /);
      } else {
        expect(JSON.parse(text).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
    }
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(child?.exitCode).toBeNull();
  }, 60_000);
});
