import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { loadConfig } from '../src/config.js';
import { startGateway, type Gateway } from '../src/gateway.js';
import { TEST_JWT_SECRET, uniqueName } from './support/gateway.js';
import { freePort } from './support/prometheus.js';
import { reachableCluster } from './support/reachable.js';

/**
 * PostgreSQL going away under a running gateway: requests that need the database fail with a clear 503 (readiness too),
 * the process stays up, and it recovers by itself when the database returns, with nothing acknowledged lost. Uses a
 * private PostgreSQL server (initdb in a temp dir) so stopping it disturbs no other suite.
 */
const BIN = '/usr/lib/postgresql/15/bin';
const available = existsSync(`${BIN}/initdb`) && process.getuid?.() === 0;
if (!available) {
  if (process.env.REQUIRE_ALL_BACKENDS === '1')
    throw new Error('REQUIRE_ALL_BACKENDS=1 but a private PostgreSQL server cannot be started (needs root and PostgreSQL 15 binaries)');
  console.warn('[test] PostgreSQL binaries or root missing: the database outage test is skipped');
}

const asPostgres = (cmd: string, args: string[]) =>
  execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe', timeout: 60_000 });

describe.runIf(available)('database outage', () => {
  let dir: string;
  let port: number;
  let gw: Gateway;
  const token = signToken(TEST_JWT_SECRET, { sub: 'admin', role: 'admin' });
  const get = async (path: string) => {
    const res = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as { code?: number; message?: string; data?: any; status?: string } };
  };
  const pgCtl = (action: 'start' | 'stop') =>
    asPostgres(
      `${BIN}/pg_ctl`,
      action === 'start'
        ? ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start']
        : ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop'],
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kgw-pg-'));
    chmodSync(dir, 0o755);
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
    port = await freePort();
    asPostgres(`${BIN}/initdb`, ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    pgCtl('start');
    gw = await startGateway(
      loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: join(dir, 'gw'),
        DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/postgres`,
        JWT_SECRET: TEST_JWT_SECRET,
        ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        LOG_LEVEL: 'silent',
        PROMETHEUS_AUTO_DISCOVERY: 'false',
        AUTH_FAILURE_LIMIT: '0',
      }),
      { healthMonitor: false },
    );
  }, 120_000);

  afterAll(async () => {
    await gw?.close().catch(() => {});
    try {
      pgCtl('stop');
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 while PostgreSQL is down, stays up, and recovers by itself with nothing lost', async () => {
    const c = await reachableCluster();
    const created = await gw.clusters.create({ name: uniqueName('outage'), kubeconfig: c.kubeconfigYaml });
    expect((await get(`/api/v1/k8s/clusters/${created.id}`)).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);

    pgCtl('stop');
    const detail = await get(`/api/v1/k8s/clusters/${created.id}`);
    expect(detail.status).toBe(503);
    expect(detail.body).toMatchObject({ code: 503, data: null });
    expect(detail.body.message).toMatch(/database is unavailable/);
    expect((await get('/readyz')).status).toBe(503);
    expect((await get('/healthz')).status).toBe(200);
    const gql = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      // `discovery` is read from the database on every request; the cluster's own fields may come from the in-memory
      // list for up to its 5 s TTL (issue 18), so they alone would not show the outage yet.
      body: JSON.stringify({ query: `{ cluster(id: "${created.id}") { name discovery { state } } }` }),
    });
    expect(((await gql.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('SERVICE_UNAVAILABLE');

    pgCtl('start');
    const deadline = Date.now() + 20_000;
    let after = await get(`/api/v1/k8s/clusters/${created.id}`);
    while (after.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      after = await get(`/api/v1/k8s/clusters/${created.id}`);
    }
    expect(after.status).toBe(200);
    expect(after.body.data.name).toBe(created.name);
    expect((await get('/readyz')).status).toBe(200);
    const again = await gw.clusters.create({ name: uniqueName('outage-after'), kubeconfig: c.kubeconfigYaml });
    const list = await get('/api/v1/k8s/clusters');
    expect(list.body.data.clusters.map((x: { id: number }) => x.id)).toEqual(expect.arrayContaining([created.id, again.id]));
  });
});
