/**
 * Gateway replicas as deployed (bench/fleet-replica.mjs: compiled dist/, plain node) sharing one database, for the
 * fleet scale, soak and memory modes; and a private PostgreSQL database per run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import postgres from 'postgres';
import { ROOT, cpuMsOf, hasTaskset, rssOf } from './lib.js';

export interface Replica {
  readonly name: string;
  readonly child: ChildProcess;
  readonly url: string;
  readonly pid: number;
  ask<T>(type: string, extra?: Record<string, unknown>): Promise<T>;
  /** Graceful close (IPC), resolves when the process is gone. */
  close(): Promise<void>;
  /** SIGKILL: a crash, nothing flushed. */
  kill(): Promise<void>;
  rssBytes(): number;
  cpuMs(): number;
}

export async function startReplica(name: string, env: Record<string, string>, opts: { cpu?: number; nodeArgs?: string[] } = {}): Promise<Replica> {
  if (!existsSync(new URL('../dist/gateway.js', import.meta.url))) throw new Error('replicas run the compiled gateway: run `npm run build` first');
  const nodeCmd = [process.execPath, ...(opts.nodeArgs ?? []), 'bench/fleet-replica.mjs'];
  const [cmd, ...args] = opts.cpu !== undefined && hasTaskset() ? ['taskset', '-c', String(opts.cpu), ...nodeCmd] : nodeCmd;
  const child = spawn(cmd!, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`replica ${name} exited (${code}) before '${type}'`));
      child.once('exit', onExit);
      const onMessage = (m: { type?: string }) => {
        if (m?.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m as T);
      };
      child.on('message', onMessage);
    });
  const ready = await next<{ url: string; pid: number }>('ready');
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.once('exit', () => child.kill('SIGKILL'));
  return {
    name,
    child,
    url: ready.url,
    pid: ready.pid,
    ask: async <T>(type: string, extra: Record<string, unknown> = {}) => {
      const reply = next<T>(type === 'seed' ? 'seeded' : type);
      child.send({ type, ...extra });
      return reply;
    },
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.send({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await gone;
      clearTimeout(timer);
    },
    kill: async () => {
      child.kill('SIGKILL');
      await gone;
    },
    rssBytes: () => rssOf(ready.pid),
    cpuMs: () => cpuMsOf(ready.pid),
  };
}

/** A private database on the PostgreSQL server at `serverUrl`; `drop` removes it. */
export async function privatePostgres(serverUrl: string, tag: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `kgw_${tag}_${process.pid}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await a.end();
    },
  };
}
