import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';
import { ensurePrivateDir, makeFilePrivate } from './startup-checks.js';

/** Key material after defaults are resolved: either configured, or (embedded mode only) generated into DATA_DIR. */
export interface ResolvedSecrets {
  jwt:
    | { algorithm: 'HS256'; secret: string; generatedFile?: string }
    | { algorithm: 'RS256' | 'ES256'; publicKeyPem: string }
    /** The identity provider's published keys; each key's type pins its algorithm (RS256 or ES256). */
    | { algorithm: 'JWKS'; jwksUrl: string };
  encryptionKey: Buffer;
  previousEncryptionKeys: Buffer[];
}

/**
 * There is no built-in default secret anywhere: in embedded mode a missing key is generated once, stored 0600 in
 * DATA_DIR (0700) and reused on the next start, forced back to those modes at every start whatever they were; with
 * DATABASE_URL the config model already refused to start without keys.
 */
export function resolveSecrets(config: Config): ResolvedSecrets {
  const encryptionKey =
    config.encryption.key ??
    Buffer.from(
      readOrCreate(config.dataDir, 'encryption.key', () => randomBytes(32).toString('base64')),
      'base64',
    );
  if (encryptionKey.length !== 32) throw new Error(`${join(config.dataDir, 'encryption.key')} does not hold a 32-byte base64 key`);

  let jwt: ResolvedSecrets['jwt'];
  if (config.jwt.jwksUrl) {
    jwt = { algorithm: 'JWKS', jwksUrl: config.jwt.jwksUrl };
  } else if (config.jwt.publicKey) {
    jwt = { algorithm: config.jwt.publicKey.algorithm, publicKeyPem: config.jwt.publicKey.pem };
  } else if (config.jwt.secret) {
    jwt = { algorithm: 'HS256', secret: config.jwt.secret };
  } else {
    const file = join(config.dataDir, 'jwt.secret');
    jwt = {
      algorithm: 'HS256',
      secret: readOrCreate(config.dataDir, 'jwt.secret', () => randomBytes(48).toString('base64url')),
      generatedFile: file,
    };
  }
  return { jwt, encryptionKey, previousEncryptionKeys: config.encryption.previousKeys };
}

function readOrCreate(dir: string, name: string, generate: () => string): string {
  const file = join(dir, name);
  ensurePrivateDir(dir);
  try {
    const existing = readFileSync(file, 'utf8').trim();
    makeFilePrivate(file);
    return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const value = generate();
  try {
    // 'wx' so two processes starting together never overwrite each other's key.
    writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
  makeFilePrivate(file);
  return value;
}
