/**
 * Operational conventions, checked offline: compose.yaml (parsed and its gateway environment run through the real
 * configuration model: no Docker here), LICENSE, the dependency list, `.env` loading by the CLI, and the first-start
 * progress line of the embedded database.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/config.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'kgw-conv-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Compose's variable interpolation for the forms compose.yaml uses: ${VAR}, ${VAR:?message}, ${VAR:-default}. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    const v = env[name];
    if (v) return v;
    if (op === '?') throw new Error(`${name}: ${arg}`);
    return op === '-' ? arg! : '';
  });
}

describe('compose.yaml: the gateway on PostgreSQL with two replicas', () => {
  const compose = parse(read('compose.yaml')) as { services: Record<string, any>; volumes: Record<string, unknown> };
  const { postgres, gateway } = compose.services;
  const secrets = { POSTGRES_PASSWORD: 'pw-' + 'x'.repeat(16), JWT_SECRET: 'j'.repeat(64), ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };
  const gatewayEnv = (env: Record<string, string>) =>
    Object.fromEntries(Object.entries(gateway.environment as Record<string, string>).map(([k, v]) => [k, interpolate(String(v), env)]));

  it('runs two gateway replicas after a healthy PostgreSQL, with its data on a volume', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gateway', 'postgres']);
    expect(gateway.deploy.replicas).toBe(2);
    expect(gateway.depends_on.postgres.condition).toBe('service_healthy');
    expect(postgres.image).toMatch(/^postgres:\d+/);
    expect(postgres.healthcheck.test.join(' ')).toMatch(/pg_isready -U kube_gateway -d kube_gateway/);
    const [volume] = (postgres.volumes as string[])[0]!.split(':');
    expect(Object.keys(compose.volumes)).toContain(volume);
    // Two replicas cannot share one host port: one per replica.
    expect(gateway.ports).toEqual(['12306-12307:12306']);
  });

  it('the gateway environment is valid for src/config.ts, on PostgreSQL at the postgres service with its credentials', () => {
    const env = gatewayEnv(secrets);
    const config = loadConfig(env);
    expect(config.database.kind).toBe('postgres');
    const url = new URL((config.database as { url: string }).url);
    expect(url.hostname).toBe('postgres');
    expect(url.username).toBe(postgres.environment.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(secrets.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${postgres.environment.POSTGRES_DB}`);
    expect(config.port).toBe(12306);
    const configSource = read('src/config.ts');
    for (const key of Object.keys(env)) expect(configSource, `${key} is a variable of src/config.ts`).toMatch(new RegExp(`\\b${key}\\b`));
  });

  it('refuses to start without the keys rather than with empty ones', () => {
    for (const missing of Object.keys(secrets)) {
      const env = { ...secrets, [missing]: '' };
      expect(() => [gatewayEnv(env), interpolate(JSON.stringify(postgres.environment), env)], missing).toThrow(
        new RegExp(`^${missing}: set ${missing} in \\.env`),
      );
    }
  });

  it('hardened like the Kubernetes manifests; readiness-checked; shutdown fits the grace period', () => {
    expect(gateway.read_only).toBe(true);
    expect(gateway.tmpfs).toContain('/tmp');
    expect(gateway.user).not.toMatch(/^(0|root)(:|$)/);
    expect(gateway.cap_drop).toEqual(['ALL']);
    expect(gateway.security_opt).toContain('no-new-privileges:true');
    expect(gateway.healthcheck.test.join(' ')).toContain('/readyz');
    expect(parseInt(gateway.stop_grace_period, 10)).toBeGreaterThan(15); // src/cli/start.command.ts exits after 15 s
    expect(gateway.build).toBe('.');
  });
});

describe('licence and dependencies', () => {
  const pkg = JSON.parse(read('package.json')) as { license: string; bin: Record<string, string>; dependencies: Record<string, string> };

  it('LICENSE is the Apache License 2.0, and package.json says so', () => {
    const text = read('LICENSE');
    expect(text).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004\s+http:\/\/www\.apache\.org\/licenses\//);
    for (const section of [
      '1. Definitions.',
      '2. Grant of Copyright License.',
      '3. Grant of Patent License.',
      '9. Accepting Warranty or Additional Liability.',
    ]) {
      expect(text).toContain(section);
    }
    expect(text).toContain('END OF TERMS AND CONDITIONS');
    expect(pkg.license).toBe('Apache-2.0');
  });

  it('class-validator (imported by nothing) is gone; the kube-gateway command is the package bin', () => {
    expect(pkg.dependencies).not.toHaveProperty('class-validator');
    expect(pkg.bin).toEqual({ 'kube-gateway': 'bin/kube-gateway.js' });
    expect(read('bin/kube-gateway.js').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});

function runCli(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/kube-gateway.js'), ...args],
      { cwd, env: { PATH: process.env.PATH!, ...env }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('.env in the working directory', () => {
  it('is loaded by the CLI; a variable already set in the environment wins over the file', async () => {
    const cwd = tempDir();
    const fromFile = 'from-dotenv-' + 'f'.repeat(32);
    const fromEnv = 'from-environment-' + 'e'.repeat(32);
    writeFileSync(join(cwd, '.env'), `# comment\nJWT_SECRET=${fromFile}\nDATA_DIR=${join(cwd, 'data')}\n`);
    const [viaFile, viaEnv] = await Promise.all([
      runCli(['token', '--sub', 'dotenv-user'], cwd, {}),
      runCli(['token', '--sub', 'dotenv-user'], cwd, { JWT_SECRET: fromEnv }),
    ]);
    expect(viaFile.code, viaFile.stderr).toBe(0);
    expect(jwt.verify(viaFile.stdout.trim(), fromFile, { algorithms: ['HS256'] })).toMatchObject({ sub: 'dotenv-user', role: 'user' });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(jwt.verify(viaEnv.stdout.trim(), fromEnv, { algorithms: ['HS256'] })).toMatchObject({ sub: 'dotenv-user' });
  }, 180_000);

  it('a malformed variable in .env is reported as configuration, with exit code 2', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, '.env'), `JWT_SECRET=short\nDATA_DIR=${join(cwd, 'data')}\n`);
    const run = await runCli(['token', '--sub', 'x'], cwd, {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/JWT_SECRET: must be at least 32 characters/);
  }, 120_000);
});

describe('first start of the embedded database', () => {
  it('`kube-gateway start` says it is initialising the database before the seconds of initdb, then serves', async () => {
    const cwd = tempDir();
    const child = spawn(process.execPath, [join(ROOT, 'bin/kube-gateway.js'), 'start'], {
      cwd,
      env: {
        PATH: process.env.PATH!,
        DATA_DIR: join(cwd, 'data'),
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        PROMETHEUS_AUTO_DISCOVERY: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          if (stdout.includes('kube-gateway listening on')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
    } finally {
      child.kill('SIGTERM');
    }
    expect(stderr).toContain(`initialising the embedded database in ${join(cwd, 'data', 'pgdata')}…`);
    expect(stderr).toContain('embedded database initialised');
    expect(stdout).toMatch(/Database: {3}embedded PGlite in /);
  }, 240_000);
});
