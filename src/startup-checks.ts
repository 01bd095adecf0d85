import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { KubeconfigCipher } from './clusters/kubeconfig-cipher.js';
import type { Db } from './db/client.js';

/** The gateway must not start: the message says what to change (main.ts prints it without a stack). */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * DATA_DIR holds the embedded database and generated keys: created 0700, or forced to 0700 whatever it was before (the
 * Dockerfile's `mkdir -p /data` leaves it 0755, an operator may have made it 0777). A shared directory (sticky bit, like
 * /tmp) is refused rather than locked down for everyone else.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (!st.isDirectory()) throw new StartupError(`DATA_DIR ${dir} is not a directory`);
  if (st.mode & 0o1000) {
    throw new StartupError(
      `DATA_DIR ${dir} is a shared directory (sticky bit, like /tmp); point DATA_DIR at a directory of its own, e.g. ${join(dir, 'kube-gateway')}`,
    );
  }
  if ((st.mode & 0o777) === 0o700) return;
  try {
    chmodSync(dir, 0o700);
  } catch (err) {
    throw new StartupError(
      `DATA_DIR ${dir} cannot be made private (0700): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; point DATA_DIR at a directory this user owns`,
    );
  }
}

/** A file the gateway wrote into DATA_DIR: 0600, whatever mode it was created or copied with. */
export function makeFilePrivate(file: string): void {
  if (existsSync(file) && (statSync(file).mode & 0o777) !== 0o600) chmodSync(file, 0o600);
}

/**
 * Every directory below `root` 0700 and every file 0600 (symbolic links are not followed). PGlite's file system layer
 * creates its files 0666 whatever the process umask (measured: 968 of 972 files 0666 under umask 022 and 077), so the
 * tree is fixed after it opens and again after it closes; in between, the 0700 directories keep other users out.
 * Returns how many entries were changed.
 */
export function makeTreePrivate(root: string): number {
  if (!existsSync(root)) return 0;
  let changed = 0;
  const fix = (path: string, wanted: number) => {
    if ((lstatSync(path).mode & 0o777) !== wanted) {
      chmodSync(path, wanted);
      changed++;
    }
  };
  const walk = (dir: string) => {
    fix(dir, 0o700);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) fix(path, 0o600);
    }
  };
  walk(root);
  return changed;
}

/**
 * Refuses to start when the configured keys decrypt none of the stored kubeconfigs: a changed ENCRYPTION_KEY would
 * otherwise start silently and answer 500 on every read of a credential. One row per key id found in the table is
 * decrypted. When some key ids decrypt and others do not (an old key dropped after a rotation), the gateway starts and
 * the caller logs the key ids that are missing: those clusters' reads fail, the others keep working.
 */
export async function checkStoredKubeconfigsDecrypt(db: Db, cipher: KubeconfigCipher): Promise<{ missingKeyIds: string[] }> {
  const result: unknown = await db.execute(sql`
    SELECT DISTINCT ON (kubeconfig_key_id) kubeconfig_key_id AS "keyId", kubeconfig_ciphertext AS "ciphertext"
    FROM clusters WHERE deleted_at IS NULL ORDER BY kubeconfig_key_id, id`);
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { keyId: string; ciphertext: string }[];
  const missingKeyIds = rows.filter((row) => !decrypts(cipher, row.ciphertext)).map((row) => row.keyId);
  if (rows.length > 0 && missingKeyIds.length === rows.length) {
    throw new StartupError(
      `the configured ENCRYPTION_KEY cannot decrypt the stored kubeconfigs (they were encrypted with key id ${missingKeyIds.join(', ')}; ` +
        `the configured key is ${cipher.currentKeyId}). Start with the key they were written with, or set the new key as ENCRYPTION_KEY ` +
        'and the old one in ENCRYPTION_PREVIOUS_KEYS.',
    );
  }
  return { missingKeyIds };
}

function decrypts(cipher: KubeconfigCipher, ciphertext: string): boolean {
  try {
    cipher.decrypt(ciphertext);
    return true;
  } catch {
    return false;
  }
}
