import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StartupError } from '../startup-checks.js';

/**
 * Who holds an embedded DATA_DIR. PGlite's own `pgdata/postmaster.pid` cannot say: it always records PID -42 and a
 * killed process leaves it behind (PGlite opens over it). So every process that opens the embedded database (a
 * gateway, or a `kube-gateway db` command) writes `DATA_DIR/kube-gateway.lock` with its PID and host first, and
 * removes it on a clean close. Two PGlite instances on one directory corrupt it; this is what keeps them apart.
 */
export const LOCK_FILE = 'kube-gateway.lock';

interface LockRecord {
  pid: number;
  hostname: string;
  holder: string;
  since: string;
}

export class DataDirInUseError extends StartupError {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirInUseError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockRecord;
  } catch {
    return undefined;
  }
}

/**
 * A lock left by a process that is gone: same host and that PID no longer runs, or the PID is our own (a container
 * restarted as PID 1 reads the lock of its previous life). A lock written on another host is never taken as stale.
 */
function isStale(lock: LockRecord | undefined): boolean {
  if (!lock || typeof lock.pid !== 'number') return false;
  if (lock.hostname !== hostname()) return false;
  return lock.pid === process.pid || !alive(lock.pid);
}

/** Describes the live holder of DATA_DIR, or undefined when nobody holds it. Does not take the lock. */
export function dataDirHolder(dataDir: string): string | undefined {
  const lock = readLock(join(dataDir, LOCK_FILE));
  if (existsSync(join(dataDir, LOCK_FILE)) && !isStale(lock)) {
    return lock ? `${lock.holder} (pid ${lock.pid} on ${lock.hostname}, since ${lock.since})` : `an unreadable ${LOCK_FILE}`;
  }
  return undefined;
}

/** Takes DATA_DIR for this process (throws DataDirInUseError naming the holder otherwise); returns the release function. */
export function acquireDataDirLock(dataDir: string, holder: string): () => void {
  const file = join(dataDir, LOCK_FILE);
  const record: LockRecord = { pid: process.pid, hostname: hostname(), holder, since: new Date().toISOString() };
  try {
    writeFileSync(file, JSON.stringify(record) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const lock = readLock(file);
    if (!isStale(lock)) {
      throw new DataDirInUseError(
        `DATA_DIR ${dataDir} is in use by ${lock ? `${lock.holder} (pid ${lock.pid} on ${lock.hostname}, since ${lock.since})` : `an unreadable ${file}`}; stop it first`,
      );
    }
    // A stale lock of a process that is gone: take it over.
    writeFileSync(file, JSON.stringify(record) + '\n', { mode: 0o600 });
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    // Only our own lock: never remove one another process took over.
    if (readLock(file)?.pid === process.pid) rmSync(file, { force: true });
  };
}
