import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { loadConfig } from '../src/config.js';
import { type Gateway, startGateway } from '../src/gateway.js';
import { createLogger } from '../src/logger.js';
import { b64, kubeconfigYaml } from './support/kubeconfigs.js';
import { testDrivers } from './support/databases.js';
import { queryRows, registerCluster, startTestGateway, uniqueName, useTestGateway } from './support/gateway.js';
import type { ReachableCluster } from './support/reachable.js';
import { useReachableCluster } from './support/suite-fixtures.js';

const newKey = () => randomBytes(32).toString('base64');
/** Tests that restart an embedded gateway several times get headroom for a loaded CI machine (a few seconds when idle). */
const EMBEDDED_TIMEOUT_MS = 90_000;

/**
 * Every base64 (and base64url) rendering a string can take inside a longer base64 text: which characters encode it
 * depends on its byte offset modulo 3, so all three alignments are produced (trimmed to the whole groups).
 */
function base64Forms(marker: string): string[] {
  const forms = new Set<string>();
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), Buffer.from(marker)]).toString('base64');
    const start = Math.ceil(offset / 3) * 4;
    const end = Math.floor((offset + Buffer.byteLength(marker)) / 3) * 4;
    const form = encoded.slice(start, end);
    forms.add(form);
    forms.add(form.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms];
}

/** Every file below `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? filesUnder(path) : e.isFile() ? [path] : [];
  });
}

/** Files (as bytes) below `dir` that contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle);
  return filesUnder(dir).filter((f) => readFileSync(f).includes(bytes));
}

function expectNoPlaintext(text: string, c: ReachableCluster): void {
  expect(text).not.toContain(c.secretMarker);
  expect(text).not.toContain(c.kubeconfigBase64);
  for (const form of base64Forms(c.secretMarker)) expect(text).not.toContain(form);
}

describe.each(testDrivers())('kubeconfigs at rest in the %s database', (driver) => {
  const key = newKey();
  const t = useTestGateway(driver, { ENCRYPTION_KEY: key });
  const cluster = useReachableCluster();
  const register = (name: string) => registerCluster(t, { kubeconfig: cluster.kubeconfigYaml, name });

  /** On PostgreSQL, a connection of the test's own (not the gateway's pool): what any database reader could see. */
  async function withOwnConnection<T>(read: (pg: postgres.Sql) => Promise<T>): Promise<T> {
    const pg = postgres(t.databaseUrl!, { max: 1, onnotice: () => {} });
    try {
      return await read(pg);
    } finally {
      await pg.end();
    }
  }

  /** All rows of all public tables, rendered as text by the database itself. */
  async function everyRowAsText(): Promise<string> {
    if (driver === 'postgres') {
      return withOwnConnection(async (pg) => {
        const tables = await pg<{ table_name: string }[]>`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`;
        expect(tables.map((r) => r.table_name)).toContain('clusters');
        const dumps: string[] = [];
        for (const { table_name } of tables) {
          const rows = await pg.unsafe(`SELECT t::text AS row FROM "${table_name}" t`);
          dumps.push(...rows.map((r) => String(r.row)));
        }
        return dumps.join('\n');
      });
    }
    const rows = await queryRows<{ row: string }>(t.gw, sql`SELECT c::text AS row FROM clusters c`);
    return rows.map((r) => r.row).join('\n');
  }

  type CiphertextRow = { kubeconfig_ciphertext: string; kubeconfig_key_id: string };
  async function rawRow(id: number): Promise<CiphertextRow> {
    if (driver === 'postgres') {
      const [row] = await withOwnConnection(
        (pg) => pg<CiphertextRow[]>`SELECT kubeconfig_ciphertext, kubeconfig_key_id FROM clusters WHERE id = ${id}`,
      );
      return row!;
    }
    return (await queryRows<CiphertextRow>(t.gw, sql`SELECT kubeconfig_ciphertext, kubeconfig_key_id FROM clusters WHERE id = ${id}`))[0]!;
  }

  it('the kubeconfig_ciphertext column holds no plaintext, and kubeconfig_key_id is recorded', async () => {
    const created = await register(uniqueName('atrest'));
    const row = await rawRow(created.id);
    expect(row.kubeconfig_ciphertext.length).toBeGreaterThan(0);
    expectNoPlaintext(row.kubeconfig_ciphertext, cluster);
    expect(row.kubeconfig_ciphertext).not.toContain('apiVersion');
    expect(row.kubeconfig_key_id).toMatch(/^[0-9a-f]{8,32}$/);
    // The id names the key without revealing it.
    expect(row.kubeconfig_key_id).not.toContain(Buffer.from(key, 'base64').toString('hex').slice(0, 8));
    // It is still the same kubeconfig when read back by an admin (C2).
    const get = await t.rest('GET', `/api/v1/k8s/clusters/${created.id}`);
    expect(Buffer.from(get.body.data.kubeconfig, 'base64').toString()).toBe(cluster.kubeconfigYaml);
  });

  it('no row of any table holds the credential, as text', async () => {
    const { id, name } = await register(uniqueName('rows'));
    await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { kubeconfig: cluster.kubeconfigBase64, enabled: true } });
    const text = await everyRowAsText();
    // The dump does contain the rows (the name is stored in clear), so its silence about the credential means something.
    expect(text).toContain(name);
    expectNoPlaintext(text, cluster);
  });

  it('the same kubeconfig encrypts differently every time (random nonce), under one key id', async () => {
    const a = await register(uniqueName('nonce'));
    const b = await register(uniqueName('nonce'));
    const [ra, rb] = [await rawRow(a.id), await rawRow(b.id)];
    expect(ra.kubeconfig_ciphertext).not.toBe(rb.kubeconfig_ciphertext);
    expect(ra.kubeconfig_key_id).toBe(rb.kubeconfig_key_id);
  });
});

/** A gateway in embedded mode: PGlite files and generated secrets under DATA_DIR, exactly as `main.ts` runs it. */
async function startEmbedded(dataDir: string, env: Record<string, string>) {
  const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', PROMETHEUS_AUTO_DISCOVERY: 'false', ...env });
  const gw: Gateway = await startGateway(config);
  const secret = gw.secrets.jwt.algorithm === 'HS256' ? gw.secrets.jwt.secret : '';
  const admin = signToken(secret, { sub: 'admin', role: 'admin' });
  const rest = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${gw.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as { code: number; message: string; data: any } };
  };
  const keyIds = async (): Promise<Map<number, string>> => {
    const rows = await queryRows<{ id: number; kubeconfig_key_id: string }>(gw, sql`SELECT id, kubeconfig_key_id FROM clusters`);
    return new Map(rows.map((r) => [Number(r.id), r.kubeconfig_key_id]));
  };
  return { gw, admin, rest, keyIds };
}

describe('kubeconfigs at rest in embedded PGlite files (DATA_DIR)', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'kgw-at-rest-'));
    dirs.push(dir);
    return dir;
  };
  const cluster = useReachableCluster();
  let template: string;
  /** A DATA_DIR holding a migrated embedded database (PGlite's initdb costs seconds; copying its files does not). */
  const seededDataDir = (sub?: string) => {
    const dir = sub ? join(tempDir(), sub) : tempDir();
    cpSync(join(template, 'pgdata'), join(dir, 'pgdata'), { recursive: true });
    return dir;
  };

  beforeAll(async () => {
    // The migrated database the test harness prepared once per run, unpacked into files as an embedded gateway keeps them.
    template = tempDir();
    const client = await PGlite.create(join(template, 'pgdata'), { loadDataDir: new Blob([readFileSync(inject('pgliteDump'))]) });
    await client.close();
  });
  afterAll(async () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'no file under DATA_DIR holds the credential; it reads back after a restart, and across a key rotation',
    async () => {
      const dataDir = seededDataDir();
      const oldKey = newKey();
      const jwtSecret = 'embedded-' + randomBytes(24).toString('hex');
      const name = uniqueName('embedded');

      const first = await startEmbedded(dataDir, { JWT_SECRET: jwtSecret, ENCRYPTION_KEY: oldKey });
      let id: number;
      try {
        const created = await first.rest('POST', '/api/v1/k8s/clusters', { name, kubeconfig: cluster.kubeconfigBase64 });
        expect(created.status, created.body.message).toBe(201);
        id = created.body.data.id;
        expect((await first.keyIds()).get(id)).toMatch(/^[0-9a-f]{8,32}$/);
      } finally {
        await first.gw.close();
      }

      // The database files hold the row (the name is stored in clear), but not the credential in any encoding.
      expect(filesUnder(dataDir).length).toBeGreaterThan(0);
      expect(filesContaining(dataDir, name).length, 'the cluster row should be on disk').toBeGreaterThan(0);
      for (const needle of [cluster.secretMarker, cluster.kubeconfigBase64, ...base64Forms(cluster.secretMarker)]) {
        expect(filesContaining(dataDir, needle), `found ${needle.slice(0, 12)}…`).toEqual([]);
      }

      // Restart with the same key: C2 still returns the kubeconfig.
      const second = await startEmbedded(dataDir, { JWT_SECRET: jwtSecret, ENCRYPTION_KEY: oldKey });
      let oldKeyId: string;
      try {
        const get = await second.rest('GET', `/api/v1/k8s/clusters/${id}`);
        expect(get.status).toBe(200);
        expect(Buffer.from(get.body.data.kubeconfig, 'base64').toString()).toBe(cluster.kubeconfigYaml);
        oldKeyId = (await second.keyIds()).get(id)!;
      } finally {
        await second.gw.close();
      }

      // Rotation: a new ENCRYPTION_KEY with the old one in ENCRYPTION_PREVIOUS_KEYS reads old rows and writes new ones.
      const newEncryptionKey = newKey();
      const rotated = await startEmbedded(dataDir, { JWT_SECRET: jwtSecret, ENCRYPTION_KEY: newEncryptionKey, ENCRYPTION_PREVIOUS_KEYS: oldKey });
      let newId: number;
      try {
        const get = await rotated.rest('GET', `/api/v1/k8s/clusters/${id}`);
        expect(get.status).toBe(200);
        expect(Buffer.from(get.body.data.kubeconfig, 'base64').toString()).toBe(cluster.kubeconfigYaml);
        const created = await rotated.rest('POST', '/api/v1/k8s/clusters', { name: uniqueName('rotated'), kubeconfig: cluster.kubeconfigBase64 });
        expect(created.status).toBe(201);
        newId = created.body.data.id;
        const ids = await rotated.keyIds();
        expect(ids.get(id)).toBe(oldKeyId);
        expect(ids.get(newId)).toMatch(/^[0-9a-f]{8,32}$/);
        expect(ids.get(newId)).not.toBe(oldKeyId);
      } finally {
        await rotated.gw.close();
      }

      // Without the old key, the old row cannot be decrypted (and nothing leaks), while the list and new rows still work.
      const withoutOld = await startEmbedded(dataDir, { JWT_SECRET: jwtSecret, ENCRYPTION_KEY: newEncryptionKey });
      try {
        const old = await withoutOld.rest('GET', `/api/v1/k8s/clusters/${id}`);
        expect(old.status).not.toBe(200);
        expect(JSON.stringify(old.body)).not.toContain(cluster.secretMarker);
        const fresh = await withoutOld.rest('GET', `/api/v1/k8s/clusters/${newId}`);
        expect(fresh.status).toBe(200);
        expect(Buffer.from(fresh.body.data.kubeconfig, 'base64').toString()).toBe(cluster.kubeconfigYaml);
        const list = await withoutOld.rest('GET', '/api/v1/k8s/clusters');
        expect(list.status).toBe(200);
        expect(list.body.data.clusters.map((c: { id: number }) => c.id)).toEqual(expect.arrayContaining([id, newId]));
      } finally {
        await withoutOld.gw.close();
      }
      // Still nothing on disk after rows were written under the new key and health probes ran.
      for (const needle of [cluster.secretMarker, ...base64Forms(cluster.secretMarker)]) expect(filesContaining(dataDir, needle)).toEqual([]);
    },
    EMBEDDED_TIMEOUT_MS,
  );

  it(
    'without JWT_SECRET / ENCRYPTION_KEY, generates jwt.secret and encryption.key (0600) in DATA_DIR and reuses them',
    async () => {
      const dataDir = seededDataDir('data');
      expect(filesUnder(dataDir).some((f) => /jwt\.secret|encryption\.key/.test(f))).toBe(false);
      const first = await startEmbedded(dataDir, {});
      let id: number;
      let jwtSecret: string;
      let encryptionKey: string;
      try {
        const jwtFile = join(dataDir, 'jwt.secret');
        const keyFile = join(dataDir, 'encryption.key');
        for (const file of [jwtFile, keyFile]) {
          expect(statSync(file).isFile(), file).toBe(true);
          expect(statSync(file).mode & 0o777, file).toBe(0o600);
        }
        jwtSecret = readFileSync(jwtFile, 'utf8').trim();
        encryptionKey = readFileSync(keyFile, 'utf8').trim();
        expect(jwtSecret.length).toBeGreaterThanOrEqual(32);
        expect(Buffer.from(encryptionKey, 'base64')).toHaveLength(32);
        // The generated secret is the one that verifies tokens.
        expect(first.gw.secrets.jwt).toMatchObject({ algorithm: 'HS256', secret: jwtSecret });
        const created = await first.rest('POST', '/api/v1/k8s/clusters', { name: uniqueName('generated'), kubeconfig: cluster.kubeconfigBase64 });
        expect(created.status, created.body.message).toBe(201);
        id = created.body.data.id;
      } finally {
        await first.gw.close();
      }
      for (const needle of [cluster.secretMarker, ...base64Forms(cluster.secretMarker)]) expect(filesContaining(dataDir, needle)).toEqual([]);

      const second = await startEmbedded(dataDir, {});
      try {
        expect(readFileSync(join(dataDir, 'jwt.secret'), 'utf8').trim()).toBe(jwtSecret);
        expect(readFileSync(join(dataDir, 'encryption.key'), 'utf8').trim()).toBe(encryptionKey);
        expect(statSync(join(dataDir, 'jwt.secret')).mode & 0o777).toBe(0o600);
        expect(statSync(join(dataDir, 'encryption.key')).mode & 0o777).toBe(0o600);
        // A token signed before the restart still works, and the kubeconfig still decrypts: both keys were reused.
        const get = await fetch(`${second.gw.url}/api/v1/k8s/clusters/${id}`, { headers: { authorization: `Bearer ${first.admin}` } });
        expect(get.status).toBe(200);
        const body = (await get.json()) as { data: { kubeconfig: string } };
        expect(Buffer.from(body.data.kubeconfig, 'base64').toString()).toBe(cluster.kubeconfigYaml);
      } finally {
        await second.gw.close();
      }
    },
    EMBEDDED_TIMEOUT_MS,
  );

  it('the credential never reaches the logs, even at trace level, on failed requests and on health changes', async () => {
    const lines: string[] = [];
    const logger = createLogger('trace', { write: (line: string) => void lines.push(line) });
    const t = await startTestGateway('pglite', { LOG_LEVEL: 'trace' }, { logger });
    try {
      const { id } = await registerCluster(t, { kubeconfig: cluster.kubeconfigYaml, name: uniqueName('logs') });
      await t.rest('GET', `/api/v1/k8s/clusters/${id}`);
      await t.rest('PUT', `/api/v1/k8s/clusters/${id}`, { body: { kubeconfig: cluster.kubeconfigBase64 } });
      expect((await t.rest('POST', `/api/v1/k8s/clusters/${id}/test-connection`)).status).toBe(200);
      // Refused kubeconfigs carrying the credential: a forbidden field, and an unreachable server.
      const exec = kubeconfigYaml({ user: { token: cluster.secretMarker, exec: { command: '/bin/true' } } });
      expect((await t.rest('POST', '/api/v1/k8s/clusters', { body: { name: uniqueName('logs'), kubeconfig: b64(exec) } })).status).toBe(400);
      const unreachable = kubeconfigYaml({ server: 'https://127.0.0.1:1', user: { token: cluster.secretMarker } });
      expect((await t.rest('POST', '/api/v1/k8s/clusters', { body: { name: uniqueName('logs'), kubeconfig: b64(unreachable) } })).status).toBe(400);
      // Saved anyway (GraphQL skipConnectionTest), then tested: the failure is logged as a health change. The
      // kubeconfig is selected so that it passes through the response path too.
      const gql = await t.gql('mutation($input: CreateClusterInput!) { createCluster(input: $input) { id kubeconfig } }', {
        input: { name: uniqueName('logs'), kubeconfig: unreachable, skipConnectionTest: true },
      });
      expect(gql.errors).toBeUndefined();
      const down = await t.rest('POST', `/api/v1/k8s/clusters/${gql.data.createCluster.id}/test-connection`);
      expect(down.status).toBe(503);
      expect(JSON.stringify(down.body)).not.toContain(cluster.secretMarker);
    } finally {
      await t.close();
    }
    const log = lines.join('');
    expect(log, 'health changes should have been logged').toContain('cluster health changed');
    expectNoPlaintext(log, cluster);
    expect(log).not.toContain(t.adminToken);
  });
});
