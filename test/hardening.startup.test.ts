import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { JwtVerifier, NOT_BEFORE_TOLERANCE_SECONDS, signToken } from '../src/auth/jwt.js';
import { loadConfig } from '../src/config.js';
import type { DatabaseTarget } from '../src/db/client.js';
import { type Gateway, startGateway } from '../src/gateway.js';
import { createTestDatabase, testDrivers } from './support/databases.js';
import { kubeconfigYaml } from './support/kubeconfigs.js';

const newKey = () => randomBytes(32).toString('base64');
const JWT_SECRET = 'startup-' + randomBytes(24).toString('hex');
/** Embedded gateways open PGlite files (seconds on a loaded machine). */
const EMBEDDED_TIMEOUT_MS = 120_000;

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'kgw-startup-'));
  dirs.push(dir);
  return dir;
};
let template: string;
beforeAll(async () => {
  // The migrated database the harness prepared once per run, unpacked into files as an embedded gateway keeps them.
  template = tempDir();
  await (await PGlite.create(join(template, 'pgdata'), { loadDataDir: new Blob([readFileSync(inject('pgliteDump'))]) })).close();
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Mode bits of everything below `root` (itself included), as `{ 'd700': n, 'f600': m }`. */
function modesUnder(root: string): Record<string, number> {
  const modes: Record<string, number> = {};
  const count = (kind: string, path: string) => {
    const key = `${kind}${(statSync(path).mode & 0o777).toString(8)}`;
    modes[key] = (modes[key] ?? 0) + 1;
  };
  const walk = (dir: string) => {
    count('d', dir);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.isFile()) count('f', join(dir, e.name));
    }
  };
  walk(root);
  return modes;
}

/** A gateway started as `main.ts` starts it, on `database` (embedded in DATA_DIR unless a target is given). */
async function start(dataDir: string, env: Record<string, string>, database?: DatabaseTarget): Promise<Gateway> {
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    PROMETHEUS_AUTO_DISCOVERY: 'false',
    HEALTH_CHECK_INTERVAL_SECONDS: '3600',
    ...env,
  });
  return startGateway(config, { database, healthMonitor: false });
}

async function call(gw: Gateway, secret: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${signToken(secret, { sub: 'admin', role: 'admin' })}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string }[] } };
}

/** Stores a cluster without contacting it (GraphQL createCluster with skipConnectionTest); returns its id. */
async function storeCluster(gw: Gateway, secret: string): Promise<number> {
  const input = {
    name: `startup-${randomBytes(4).toString('hex')}`,
    kubeconfig: kubeconfigYaml({ server: 'https://127.0.0.1:1' }),
    skipConnectionTest: true,
  };
  const res = await call(gw, secret, 'POST', '/graphql', {
    query: 'mutation($input: CreateClusterInput!) { createCluster(input: $input) { id } }',
    variables: { input },
  });
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return Number(res.body.data.createCluster.id);
}

describe('DATA_DIR and the files the gateway writes there are private whatever existed before', () => {
  it(
    'a DATA_DIR pre-created 0777 with 0666 files (as a copied or Docker-made volume) becomes 0700 / 0600 at start and after close',
    async () => {
      const dataDir = join(tempDir(), 'data');
      cpSync(join(template, 'pgdata'), join(dataDir, 'pgdata'), { recursive: true });
      writeFileSync(join(dataDir, 'encryption.key'), `${newKey()}\n`);
      writeFileSync(join(dataDir, 'jwt.secret'), `${randomBytes(48).toString('base64url')}\n`);
      const loosen = (dir: string) => {
        chmodSync(dir, 0o777);
        for (const e of readdirSync(dir, { withFileTypes: true })) (e.isDirectory() ? loosen : (p: string) => chmodSync(p, 0o666))(join(dir, e.name));
      };
      loosen(dataDir);
      const before = modesUnder(dataDir);
      expect(Object.keys(before).sort()).toEqual(['d777', 'f666']);

      const gw = await start(dataDir, {});
      let beforeClose: Record<string, number> = {};
      const secret = gw.secrets.jwt.algorithm === 'HS256' ? gw.secrets.jwt.secret : '';
      try {
        const running = modesUnder(dataDir);
        expect(Object.keys(running).sort(), 'while running').toEqual(['d700', 'f600']);
        expect(running.f600).toBeGreaterThanOrEqual(before.f666!);
        await storeCluster(gw, secret);
        beforeClose = modesUnder(dataDir);
      } finally {
        await gw.close();
      }
      // Files PGlite created while running (0666 whatever the umask) are fixed on close.
      const after = modesUnder(dataDir);
      console.log(
        `[hardening startup] DATA_DIR: ${before.f666} files 0666 and ${before.d777} dirs 0777 before; before close ${JSON.stringify(beforeClose)}; after close ${JSON.stringify(after)}`,
      );
      expect(Object.keys(after).sort()).toEqual(['d700', 'f600']);
    },
    EMBEDDED_TIMEOUT_MS,
  );

  it('a DATA_DIR that does not exist yet is created 0700 with generated keys 0600', async () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const database = await createTestDatabase('pglite');
    const gw = await start(dataDir, {}, database.target);
    try {
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dataDir, 'jwt.secret')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, 'encryption.key')).mode & 0o777).toBe(0o600);
    } finally {
      await gw.close();
      await database.dispose();
    }
  });

  it('a shared directory (sticky bit, like /tmp) is refused as DATA_DIR rather than locked down', async () => {
    const shared = tempDir();
    chmodSync(shared, 0o1777);
    await expect(start(shared, {})).rejects.toThrow(/DATA_DIR .* is a shared directory/);
    expect(statSync(shared).mode & 0o7777).toBe(0o1777);
  });
});

describe.each(testDrivers())('a start with an ENCRYPTION_KEY that cannot decrypt the stored kubeconfigs on %s', (driver) => {
  it(
    'fails fast naming ENCRYPTION_KEY / ENCRYPTION_PREVIOUS_KEYS; the right keys then start and read the cluster',
    async () => {
      const dataDir = tempDir();
      let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
      // PGlite: the embedded files in DATA_DIR, as main.ts runs it; PostgreSQL: a private database.
      if (driver === 'pglite') cpSync(join(template, 'pgdata'), join(dataDir, 'pgdata'), { recursive: true });
      else database = await createTestDatabase('postgres');
      const target = database?.target;
      const [oldKey, otherKey] = [newKey(), newKey()];
      try {
        const first = await start(dataDir, { JWT_SECRET, ENCRYPTION_KEY: oldKey }, target);
        let id: number;
        try {
          id = await storeCluster(first, JWT_SECRET);
        } finally {
          await first.close();
        }

        const startedAt = Date.now();
        const refused = await start(dataDir, { JWT_SECRET, ENCRYPTION_KEY: otherKey }, target).then(
          (gw) => gw.close().then(() => undefined),
          (err: Error) => err,
        );
        expect(refused, 'the start with another key should fail').toBeInstanceOf(Error);
        expect(refused!.message).toMatch(/ENCRYPTION_KEY cannot decrypt the stored kubeconfigs/);
        expect(refused!.message).toMatch(/ENCRYPTION_PREVIOUS_KEYS/);
        expect(refused!.name).toBe('StartupError');
        expect(Date.now() - startedAt).toBeLessThan(60_000);

        // The failed start closed the database: the rotation (new key, old one as previous) starts on the same files.
        const rotated = await start(dataDir, { JWT_SECRET, ENCRYPTION_KEY: otherKey, ENCRYPTION_PREVIOUS_KEYS: oldKey }, target);
        try {
          const c2 = await call(rotated, JWT_SECRET, 'GET', `/api/v1/k8s/clusters/${id}`);
          expect(c2.status).toBe(200);
          expect(Buffer.from(c2.body.data.kubeconfig, 'base64').toString()).toContain('https://127.0.0.1:1');
        } finally {
          await rotated.close();
        }
      } finally {
        await database?.dispose();
      }
    },
    EMBEDDED_TIMEOUT_MS,
  );

  it('an empty registry starts with any key', async () => {
    const database = await createTestDatabase(driver);
    try {
      const gw = await start(tempDir(), { JWT_SECRET, ENCRYPTION_KEY: newKey() }, database.target);
      await gw.close();
    } finally {
      await database.dispose();
    }
  });
});

describe('JWT clock rule (SECURITY.md): exp exact, nbf up to 5 s ahead', () => {
  const verifier = () => new JwtVerifier({ keys: { algorithm: 'HS256', secret: JWT_SECRET } });
  const now = () => Math.floor(Date.now() / 1000);
  const sign = (claims: Record<string, unknown>) => jwt.sign({ sub: 'alice', ...claims }, JWT_SECRET, { algorithm: 'HS256', noTimestamp: true });

  it('refuses a token from its exp second on, with no tolerance', () => {
    expect(() => verifier().verify(sign({ exp: now() }))).toThrow(/expired/);
    expect(() => verifier().verify(sign({ exp: now() - 1 }))).toThrow(/expired/);
    expect(verifier().verify(sign({ exp: now() + 30 })).subject).toBe('alice');
  });

  it('accepts an nbf up to the tolerance ahead of this clock, and refuses one beyond it or not a number', () => {
    expect(NOT_BEFORE_TOLERANCE_SECONDS).toBe(5);
    expect(verifier().verify(sign({ nbf: now() + 3, exp: now() + 600 })).subject).toBe('alice');
    expect(() => verifier().verify(sign({ nbf: now() + 30, exp: now() + 600 }))).toThrow(/not valid yet/);
    // jsonwebtoken refuses to sign a non-numeric nbf, so this token is assembled by hand.
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'alice', nbf: 'soon', exp: now() + 600 })}`;
    const odd = `${unsigned}.${createHmac('sha256', JWT_SECRET).update(unsigned).digest('base64url')}`;
    expect(() => verifier().verify(odd)).toThrow(/malformed/);
  });
});
