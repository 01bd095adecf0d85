import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Config, ConfigError, loadConfig } from '../src/config.js';

const KEY = randomBytes(32).toString('base64');
const SECRET = 's'.repeat(32);

/** Loads a config that must fail and returns the listed problems. */
function problems(env: Record<string, string>): string[] {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a ConfigError').toBeInstanceOf(ConfigError);
  return (caught as ConfigError).problems;
}

const rsaPem = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const ecPem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

describe('loadConfig defaults', () => {
  it('an empty environment gives the documented defaults and embedded mode', () => {
    const c: Config = loadConfig({});
    expect(c.port).toBe(12306);
    expect(c.host).toBe('0.0.0.0');
    expect(c.dataDir).toBe('./data');
    expect(c.database).toEqual({ kind: 'embedded', dataDir: './data' });
    expect(c.health).toEqual({ intervalSeconds: 60, flipThreshold: 2, concurrency: 64 });
    expect(c.discovery).toEqual({ autoDiscovery: true, timeoutSeconds: 30 });
    expect(c.kube).toEqual({ connectTimeoutMs: 5000, requestTimeoutMs: 10_000 });
    expect(c.logLevel).toBe('info');
    expect(c.jwt).toEqual({ secret: undefined, publicKey: undefined, issuer: undefined, audience: undefined });
    expect(c.encryption.key).toBeUndefined();
    expect(c.encryption.previousKeys).toEqual([]);
  });

  it('treats empty strings as unset', () => {
    const c = loadConfig({ PORT: '', HOST: '', LOG_LEVEL: '', DATABASE_URL: '', JWT_SECRET: '', ENCRYPTION_KEY: '' });
    expect(c.port).toBe(12306);
    expect(c.host).toBe('0.0.0.0');
    expect(c.logLevel).toBe('info');
    expect(c.database.kind).toBe('embedded');
  });

  it('parses every variable it is given', () => {
    const c = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: '/var/lib/kgw',
      HEALTH_CHECK_INTERVAL_SECONDS: '15',
      HEALTH_FLIP_THRESHOLD: '3',
      PROMETHEUS_AUTO_DISCOVERY: 'false',
      DISCOVERY_TIMEOUT_SECONDS: '300',
      LOG_LEVEL: 'silent',
      JWT_SECRET: SECRET,
      JWT_ISSUER: 'https://issuer.example.com',
      JWT_AUDIENCE: 'kube-gateway',
    });
    expect(c).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      dataDir: '/var/lib/kgw',
      database: { kind: 'embedded', dataDir: '/var/lib/kgw' },
      health: { intervalSeconds: 15, flipThreshold: 3 },
      discovery: { autoDiscovery: false, timeoutSeconds: 300 },
      logLevel: 'silent',
      jwt: { secret: SECRET, issuer: 'https://issuer.example.com', audience: 'kube-gateway' },
    });
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['on', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['off', false],
  ])('PROMETHEUS_AUTO_DISCOVERY=%s → %s', (value, expected) => {
    expect(loadConfig({ PROMETHEUS_AUTO_DISCOVERY: value }).discovery.autoDiscovery).toBe(expected);
  });
});

describe('loadConfig errors', () => {
  it('reports every problem at once in one ConfigError', () => {
    const list = problems({ PORT: 'abc', DISCOVERY_TIMEOUT_SECONDS: '1', LOG_LEVEL: 'loud' });
    expect(list).toHaveLength(3);
    expect(list.some((p) => p.startsWith('PORT:'))).toBe(true);
    expect(list.some((p) => p.startsWith('DISCOVERY_TIMEOUT_SECONDS:'))).toBe(true);
    expect(list.some((p) => p.startsWith('LOG_LEVEL:'))).toBe(true);
    let message = '';
    try {
      loadConfig({ PORT: 'abc', DISCOVERY_TIMEOUT_SECONDS: '1', LOG_LEVEL: 'loud' });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of ['PORT', 'DISCOVERY_TIMEOUT_SECONDS', 'LOG_LEVEL']) expect(message).toContain(name);
  });

  it('reports a bad PORT together with the DATABASE_URL cross-field errors', () => {
    const list = problems({ PORT: 'abc', DATABASE_URL: 'postgres://db/kgw' });
    expect(list.map((p) => p.split(':')[0]).sort()).toEqual(['ENCRYPTION_KEY', 'JWT_SECRET', 'PORT']);
  });

  it.each([
    ['LOG_LEVEL', 'loud'],
    ['PROMETHEUS_AUTO_DISCOVERY', 'maybe'],
    ['JWT_PUBLIC_KEY', 'not a pem'],
  ])('reports %s=%s together with the DATABASE_URL cross-field errors (missing keys)', (name, value) => {
    // An operator must learn every problem in one go: fixing the bad value must not reveal a second round of errors.
    const list = problems({ DATABASE_URL: 'postgres://db/kgw', [name]: value });
    const named = list.map((p) => p.split(':')[0]);
    expect(named).toContain(name);
    expect(named).toContain('ENCRYPTION_KEY');
  });

  it.each([
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PORT', '0x50'],
    ['DISCOVERY_TIMEOUT_SECONDS', '4'],
    ['DISCOVERY_TIMEOUT_SECONDS', '301'],
    ['HEALTH_CHECK_INTERVAL_SECONDS', '0'],
    ['HEALTH_FLIP_THRESHOLD', '21'],
    ['PROMETHEUS_AUTO_DISCOVERY', 'maybe'],
    ['LOG_LEVEL', 'verbose'],
  ])('%s=%s is refused, naming the variable', (name, value) => {
    const list = problems({ [name]: value });
    expect(list).toHaveLength(1);
    expect(list[0]!.startsWith(`${name}:`)).toBe(true);
  });

  it('DISCOVERY_TIMEOUT_SECONDS accepts its bounds 5 and 300', () => {
    expect(loadConfig({ DISCOVERY_TIMEOUT_SECONDS: '5' }).discovery.timeoutSeconds).toBe(5);
    expect(loadConfig({ DISCOVERY_TIMEOUT_SECONDS: '300' }).discovery.timeoutSeconds).toBe(300);
  });
});

describe('loadConfig with DATABASE_URL', () => {
  it('requires ENCRYPTION_KEY and a JWT key, naming both', () => {
    const list = problems({ DATABASE_URL: 'postgres://db/kgw' });
    expect(list).toHaveLength(2);
    expect(list.some((p) => p.startsWith('ENCRYPTION_KEY:'))).toBe(true);
    expect(list.some((p) => p.startsWith('JWT_SECRET:') && p.includes('JWT_PUBLIC_KEY'))).toBe(true);
  });

  it('still requires ENCRYPTION_KEY when a JWT key is set, and vice versa', () => {
    expect(problems({ DATABASE_URL: 'postgres://db/kgw', JWT_SECRET: SECRET }).map((p) => p.split(':')[0])).toEqual(['ENCRYPTION_KEY']);
    expect(problems({ DATABASE_URL: 'postgresql://db/kgw', ENCRYPTION_KEY: KEY }).map((p) => p.split(':')[0])).toEqual(['JWT_SECRET']);
  });

  it('refuses a URL that is not postgres:// or postgresql://', () => {
    const list = problems({ DATABASE_URL: 'mysql://db/kgw', ENCRYPTION_KEY: KEY, JWT_SECRET: SECRET });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(/^DATABASE_URL: /);
  });

  it('with both keys, selects PostgreSQL', () => {
    const c = loadConfig({ DATABASE_URL: 'postgresql://u@db:5432/kgw', ENCRYPTION_KEY: KEY, JWT_PUBLIC_KEY: ecPem() });
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgresql://u@db:5432/kgw' });
    expect(c.encryption.key?.equals(Buffer.from(KEY, 'base64'))).toBe(true);
  });
});

describe('loadConfig keys', () => {
  it('accepts a 32-byte base64 ENCRYPTION_KEY', () => {
    const key = loadConfig({ ENCRYPTION_KEY: KEY }).encryption.key;
    expect(key).toBeInstanceOf(Buffer);
    expect(key!.length).toBe(32);
    expect(key!.toString('base64')).toBe(KEY);
  });

  it.each([
    ['not base64', 'not-a-key!'],
    ['16 bytes', randomBytes(16).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
    ['hex of 32 bytes', randomBytes(32).toString('hex')],
    ['base64url with - or _', 'A'.repeat(40) + '-_' + 'A'.repeat(1) + '='],
  ])('refuses a malformed ENCRYPTION_KEY (%s)', (_label, value) => {
    const list = problems({ ENCRYPTION_KEY: value });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(/^ENCRYPTION_KEY: .*32 bytes/);
  });

  it('parses ENCRYPTION_PREVIOUS_KEYS as a comma-separated list of keys, refusing a bad one', () => {
    const a = randomBytes(32).toString('base64');
    const b = randomBytes(32).toString('base64');
    const c = loadConfig({ ENCRYPTION_KEY: KEY, ENCRYPTION_PREVIOUS_KEYS: ` ${a} ,${b},` });
    expect(c.encryption.previousKeys.map((k) => k.toString('base64'))).toEqual([a, b]);
    const list = problems({ ENCRYPTION_PREVIOUS_KEYS: `${a},short` });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(/^ENCRYPTION_PREVIOUS_KEYS/);
  });

  it('refuses a JWT_SECRET shorter than 32 characters and accepts 32', () => {
    const list = problems({ JWT_SECRET: 's'.repeat(31) });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(/^JWT_SECRET: .*32/);
    expect(loadConfig({ JWT_SECRET: SECRET }).jwt.secret).toBe(SECRET);
  });

  it('JWT_PUBLIC_KEY as an RSA PEM selects RS256', () => {
    const pem = rsaPem();
    const c = loadConfig({ JWT_PUBLIC_KEY: pem });
    expect(c.jwt.publicKey?.algorithm).toBe('RS256');
    expect(c.jwt.publicKey?.pem).toContain('BEGIN PUBLIC KEY');
    expect(c.jwt.secret).toBeUndefined();
  });

  it('JWT_PUBLIC_KEY as an EC P-256 PEM selects ES256', () => {
    expect(loadConfig({ JWT_PUBLIC_KEY: ecPem() }).jwt.publicKey?.algorithm).toBe('ES256');
  });

  it('JWT_PUBLIC_KEY may be given on one line with literal \\n escapes', () => {
    const oneLine = rsaPem().trim().replace(/\n/g, '\\n');
    expect(oneLine).not.toContain('\n');
    expect(loadConfig({ JWT_PUBLIC_KEY: oneLine }).jwt.publicKey?.algorithm).toBe('RS256');
  });

  it('refuses a JWT_PUBLIC_KEY that is not a PEM public key, or of an unsupported type', () => {
    expect(problems({ JWT_PUBLIC_KEY: 'hello' })[0]).toMatch(/^JWT_PUBLIC_KEY: /);
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(problems({ JWT_PUBLIC_KEY: ed })[0]).toMatch(/^JWT_PUBLIC_KEY: .*unsupported/);
  });

  it('refuses JWT_SECRET and JWT_PUBLIC_KEY together', () => {
    const list = problems({ JWT_SECRET: SECRET, JWT_PUBLIC_KEY: rsaPem() });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(/^JWT_SECRET: .*not both/);
  });
});
