/**
 * `npm run demo`: the gateway on a throw-away embedded database, three simulated clusters registered through its own
 * REST API (production: healthy with Prometheus; staging: a NotReady node → WARNING; legacy: credentials rejected →
 * ERROR), then tokens and copy-paste examples. Ctrl+C stops everything and removes the temporary data.
 *
 * Environment: PORT (default 12306), HOST (default 127.0.0.1: the demo prints an admin token), DATA_DIR (default: a
 * fresh directory under the OS temp dir, removed on exit), LOG_LEVEL (default warn). DATABASE_URL and JWT_PUBLIC_KEY
 * are ignored: the demo always runs embedded and signs its own HS256 tokens. DEMO_PROMETHEUS=stand-in skips the real
 * Prometheus even when it is installed.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '../src/auth/jwt.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { type Gateway, startGateway } from '../src/gateway.js';
import { KubeSimulator, type ClusterHandle, type SimService } from '../tools/kube-simulator/index.js';
import { startPrometheus } from '../test/support/prometheus.js';

type Closer = () => Promise<unknown> | unknown;
const closers: Closer[] = []; // run in reverse order on shutdown

interface DemoPrometheus {
  url: string;
  kind: string;
  stop(): Promise<void>;
}

/** A real Prometheus when Debian's binary is installed, else a stand-in that answers what discovery verifies. */
async function startDemoPrometheus(): Promise<DemoPrometheus> {
  if (process.env.DEMO_PROMETHEUS !== 'stand-in' && existsSync('/usr/bin/prometheus')) {
    const prom = await startPrometheus();
    return { url: prom.url, kind: `real Prometheus (/usr/bin/prometheus on ${prom.url})`, stop: prom.stop };
  }
  const answers: Record<string, unknown> = {
    '/api/v1/status/buildinfo': { status: 'success', data: { version: '2.53.0-demo', revision: 'demo', branch: 'HEAD', goVersion: 'go1.22.5' } },
    '/api/v1/query': {
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: { __name__: 'up', job: 'demo' }, value: [Date.now() / 1000, '1'] }] },
    },
  };
  const server = createServer((req, res) => {
    const body = answers[(req.url ?? '/').split('?')[0]!];
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? { status: 'error', error: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections());
  return { url, kind: `in-process stand-in on ${url} (answers buildinfo and query; install prometheus for a real one)`, stop };
}

const prometheusService = (upstream: string): SimService => ({
  name: 'prometheus-server',
  namespace: 'monitoring',
  labels: { app: 'prometheus', component: 'server' },
  ports: [{ name: 'http', port: 9090, upstream }],
});

/** Calls the gateway's REST API; returns the status and the `{code,message,data}` envelope. */
async function rest(gw: Gateway, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${gw.url}/api/v1/k8s${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { code: number; message: string; data: any } };
}

/** C3, or C4 when a kept DATA_DIR already has the name (the simulator's credentials change on every run). */
async function registerCluster(gw: Gateway, token: string, name: string, handle: ClusterHandle, isDefault: boolean): Promise<number> {
  const kubeconfig = Buffer.from(handle.kubeconfig()).toString('base64');
  const created = await rest(gw, token, 'POST', '/clusters', { name, kubeconfig, is_default: isDefault });
  if (created.status === 201) return created.body.data.id;
  const existing = (await rest(gw, token, 'GET', '/clusters')).body.data?.clusters?.find((c: { name: string }) => c.name === name);
  if (!existing) throw new Error(`registering ${name}: ${created.status} ${created.body.message}`);
  const updated = await rest(gw, token, 'PUT', `/clusters/${existing.id}`, { kubeconfig, is_default: isDefault, enabled: true, prometheus_url: '' });
  if (updated.status !== 200) throw new Error(`updating ${name}: ${updated.status} ${updated.body.message}`);
  return existing.id;
}

/** GraphQL list, polled until no discovery task is still pending or running (bounded). */
async function clusterSummary(gw: Gateway, token: string, timeoutMs = 20_000): Promise<any[]> {
  const query =
    '{ clusters { items { id name isDefault healthStatus healthMessage nodeCount readyNodeCount podCount prometheusUrl discovery { state } } } }';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    const json = (await res.json()) as { data?: { clusters: { items: any[] } }; errors?: { message: string }[] };
    if (!json.data) throw new Error(`GraphQL: ${json.errors?.[0]?.message ?? res.status}`);
    const items = json.data.clusters.items;
    if (Date.now() > deadline || !items.some((c) => ['PENDING', 'RUNNING'].includes(c.discovery?.state))) return items;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function banner(gw: Gateway, promKind: string, dataDir: string, items: any[], admin: string, user: string): string {
  const rows = items.map(
    (c) =>
      `    ${c.isDefault ? '*' : ' '} ${c.name.padEnd(11)} ${c.healthStatus.padEnd(8)} nodes ${c.readyNodeCount ?? '?'}/${c.nodeCount}  pods ${String(c.podCount).padEnd(4)} ` +
      `prometheus ${c.prometheusUrl ?? `- (${c.discovery?.state ?? 'n/a'})`}\n${' '.repeat(16)}${c.healthMessage ?? ''}`,
  );
  const gql = JSON.stringify({ query: '{ clusters { total items { id name healthStatus healthMessage nodeCount podCount prometheusUrl } } }' });
  return [
    '',
    `  kube-gateway demo on ${gw.url}   (embedded database in ${dataDir})`,
    `  GraphiQL:   ${gw.url}/graphql`,
    `  REST:       ${gw.url}/api/v1/k8s/clusters`,
    `  Prometheus: ${promKind}`,
    '',
    '  Clusters (* = default), after a connection test of each:',
    ...rows,
    '',
    "  Tokens (12 h, signed with this gateway's secret):",
    `    export ADMIN_TOKEN=${admin}`,
    `    export USER_TOKEN=${user}`,
    '',
    '  Try:',
    `    curl -s ${gw.url}/api/v1/k8s/clusters -H "Authorization: Bearer $USER_TOKEN"`,
    `    curl -s -X POST ${gw.url}/api/v1/k8s/clusters/${items.find((c) => c.isDefault)?.id ?? 1}/test-connection -H "Authorization: Bearer $ADMIN_TOKEN"`,
    `    curl -s ${gw.url}/graphql -H "Authorization: Bearer $USER_TOKEN" -H 'Content-Type: application/json' \\`,
    `      -d '${gql}'`,
    '  GraphQL (paste into GraphiQL with the header {"Authorization": "Bearer <USER_TOKEN>"}):',
    '    query { currentCluster { name healthStatus prometheusUrl } }',
    '    subscription { clusterHealth { name healthStatus nodeCount podCount } }',
    '',
    '  Ctrl+C to stop.',
    '',
  ].join('\n');
}

let stopping: Promise<void> | undefined;

/** Stops whatever has started, newest first, once (a second Ctrl+C or a failing start-up joins the first stop). */
function stopAll(exitCode: number): Promise<void> {
  return (stopping ??= (async () => {
    setTimeout(() => process.exit(1), 20_000).unref();
    let failed = false;
    for (const close of closers.reverse()) {
      await Promise.resolve()
        .then(close)
        .catch((err: Error) => ((failed = true), process.stderr.write(`  shutdown: ${err.message}\n`)));
    }
    process.exit(failed ? 1 : exitCode);
  })());
}

/**
 * `npm run demo` is npm → sh → tsx → this process, and a SIGTERM sent to npm ends only the shell: when the launcher
 * above tsx goes away (tsx gets re-parented), stop as if signalled. Linux only (/proc); elsewhere a no-op.
 */
function stopWhenOrphaned(onGone: () => void): void {
  const parentOf = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return -1; // gone, or no /proc
    }
  };
  const launcher = parentOf(process.ppid);
  if (launcher > 1) setInterval(() => parentOf(process.ppid) !== launcher && onGone(), 1000).unref();
}

/** tsx SIGKILLs a child slow to acknowledge Ctrl+C (a loaded machine): remove data left by such demos (pid in name). */
function sweepStaleDataDirs(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^kube-gateway-demo-(\d+)-/.exec(name)?.[1]);
    try {
      if (pid) process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

async function main(): Promise<void> {
  const onSignal = (signal: string) => {
    if (!stopping) process.stdout.write(`\n  ${signal}: stopping the gateway, the simulator and Prometheus…\n`);
    void stopAll(0);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  stopWhenOrphaned(() => onSignal('launcher gone'));

  sweepStaleDataDirs();
  const dataDir = process.env.DATA_DIR || mkdtempSync(join(tmpdir(), `kube-gateway-demo-${process.pid}-`));
  if (!process.env.DATA_DIR) closers.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const { PORT, HOST, LOG_LEVEL } = process.env; // empty means unset, as in src/config.ts
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: undefined,
    JWT_PUBLIC_KEY: undefined,
    DATA_DIR: dataDir,
    PORT: PORT || '12306',
    HOST: HOST || '127.0.0.1',
    LOG_LEVEL: LOG_LEVEL || 'warn',
  });

  // Each closer is registered before its start completes, so Ctrl+C during start-up waits for it, then stops it.
  // The gateway goes first: opening the embedded database blocks the event loop for seconds, the window in which tsx
  // (it SIGKILLs a child that does not acknowledge a signal within ~60 ms) would orphan an already started Prometheus.
  const starting = <T>(start: () => Promise<T>, stop: (t: T) => Promise<unknown>): Promise<T> => {
    if (stopping) throw new Error('stopping');
    const started = start();
    closers.push(() => started.then(stop, () => {}));
    return started;
  };
  const gw = await starting(
    () => startGateway(config),
    (g) => g.close(),
  );
  const prom = await starting(startDemoPrometheus, (p) => p.stop());
  const sim = await starting(
    () => KubeSimulator.start({ id: 'production', nodes: 5, pods: 150, services: [prometheusService(prom.url)] }),
    (k) => k.close(),
  );
  const staging = sim.addCluster({ id: 'staging', nodes: 3, notReadyNodes: 1, pods: 40 });
  const legacy = sim.addCluster({ id: 'legacy', nodes: 2, pods: 12, gitVersion: 'v1.24.17' });

  if (gw.secrets.jwt.algorithm !== 'HS256') throw new Error('the demo signs HS256 tokens; unset JWT_PUBLIC_KEY');
  const sign = (sub: string, role: string) =>
    signToken((gw.secrets.jwt as { secret: string }).secret, { sub, role }, { issuer: config.jwt.issuer, audience: config.jwt.audience });
  const admin = sign('demo-admin', 'admin');
  const user = sign('demo-user', 'user');

  const ids: number[] = [];
  for (const [name, handle] of [
    ['production', sim.cluster],
    ['staging', staging],
    ['legacy', legacy],
  ] as const) {
    ids.push(await registerCluster(gw, admin, name, handle, name === 'production'));
  }
  // C3 reaches a cluster before saving it, so legacy is registered while healthy; its credentials "expire" after.
  legacy.set({ expired: true });
  for (const id of ids) await rest(gw, admin, 'POST', `/clusters/${id}/test-connection`); // 503 for legacy

  const items = await clusterSummary(gw, user);
  if (stopping) return;
  process.stdout.write(banner(gw, prom.kind, dataDir, items, admin, user) + '\n');
}

main().catch((err) => {
  if (stopping) return; // interrupted while starting: the stop already under way decides the exit code
  process.stderr.write(`demo failed: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? err)}\n`);
  void stopAll(1);
});
