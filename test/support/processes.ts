import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import { afterAll } from 'vitest';
import WebSocket from 'ws';
import { signToken } from '../../src/auth/jwt.js';

/**
 * Real gateway processes (`node --import tsx src/main.ts`) for multi-replica tests, plus the small HTTP and
 * graphql-ws clients those tests (and the in-process subscription tests) drive them with.
 *
 * Every process started here shares one JWT secret and one kubeconfig encryption key, as replicas of one deployment
 * do, and is SIGKILLed after the test file (afterAll) and when the test worker exits, so none outlives its test.
 */

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** HS256 secret shared by every gateway process of this test worker. */
export const PROCESS_JWT_SECRET = 'proc-secret-' + randomBytes(24).toString('hex');
/** Kubeconfig encryption key shared by every gateway process of this test worker. */
export const PROCESS_ENCRYPTION_KEY = randomBytes(32).toString('base64');

/** A token the gateway processes accept (admin by default). `expiresIn` uses jsonwebtoken's syntax ('2s', '-1h'). */
export function processToken(
  claims: { sub: string; role?: string; roles?: string[] } = { sub: 'proc-admin', role: 'admin' },
  opts: { expiresIn?: string } = {},
): string {
  return signToken(PROCESS_JWT_SECRET, claims, opts);
}

export interface GatewayProcess {
  /** `http://127.0.0.1:PORT` as printed in the banner. */
  readonly url: string;
  readonly pid: number;
  /** Output so far (capped to the last ~1 MB each). */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when a signal ended it) and the signal, once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Whether the process has exited. */
  isRunning(): boolean;
  /**
   * Sends `signal` and waits for the exit; resolves with the exit code (null if a signal ended it). After `timeoutMs`
   * (default 20 s) the process is SIGKILLed so it never outlives the test, and the promise resolves with null.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** SIGKILL, as a crashed replica; resolves once the process is gone. */
  kill(): Promise<number | null>;
  /** SIGSTOP / SIGCONT: a replica that is alive but momentarily not running (GC pause, CPU starvation). */
  pause(): void;
  resume(): void;
}

export interface StartGatewayProcessOptions {
  /** PostgreSQL URL every replica shares (required: the embedded database cannot be shared between processes). */
  databaseUrl: string;
  /** Extra environment (e.g. DISCOVERY_TIMEOUT_SECONDS); overrides the defaults below. */
  env?: Record<string, string>;
  /** How long to wait for the banner and /healthz (default 60 s: loading the TypeScript sources is slow on a busy machine). */
  startTimeoutMs?: number;
}

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function killAllNow(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

process.once('exit', () => {
  killAllNow();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

afterAll(async () => {
  const children = [...live];
  killAllNow();
  await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
});

/** Configuration variables the parent's environment must not leak into a child (the child gets exactly ours). */
const GATEWAY_VARIABLES = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'DATA_DIR',
  'JWT_SECRET',
  'JWT_PUBLIC_KEY',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'ENCRYPTION_KEY',
  'ENCRYPTION_PREVIOUS_KEYS',
  'HEALTH_CHECK_INTERVAL_SECONDS',
  'HEALTH_FLIP_THRESHOLD',
  'HEALTH_CHECK_CONCURRENCY',
  'KUBE_CONNECT_TIMEOUT_MS',
  'KUBE_REQUEST_TIMEOUT_MS',
  'PROMETHEUS_AUTO_DISCOVERY',
  'DISCOVERY_TIMEOUT_SECONDS',
  'LOG_LEVEL',
  'NODE_OPTIONS',
];

const MAX_OUTPUT = 1 << 20;

/**
 * Spawns `node --import tsx src/main.ts` (one process: a signal reaches the gateway itself, not a wrapper) on a free
 * port, waits for its banner and for `/healthz`, and returns a handle.
 */
export async function startGatewayProcess(opts: StartGatewayProcessOptions): Promise<GatewayProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kgw-proc-'));
  tempDirs.add(dataDir);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of GATEWAY_VARIABLES) delete env[k];
  Object.assign(env, {
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: opts.databaseUrl,
    DATA_DIR: dataDir,
    JWT_SECRET: PROCESS_JWT_SECRET,
    ENCRYPTION_KEY: PROCESS_ENCRYPTION_KEY,
    LOG_LEVEL: 'warn',
    ...opts.env,
  });

  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  let err = '';
  const append = (buf: string, chunk: Buffer) => {
    const next = buf + chunk.toString('utf8');
    return next.length > MAX_OUTPUT ? next.slice(-MAX_OUTPUT) : next;
  };
  child.stdout!.on('data', (d: Buffer) => (out = append(out, d)));
  child.stderr!.on('data', (d: Buffer) => (err = append(err, d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  spawnError.catch(() => {});
  const running = () => child.exitCode === null && child.signalCode === null;
  const describe = () => `pid ${child.pid}; stdout:\n${out.slice(-2000)}\nstderr:\n${err.slice(-4000)}`;

  const startTimeout = opts.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + startTimeout;
  let url: string | undefined;
  try {
    while (!url) {
      url = /kube-gateway listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) break;
      if (!running()) throw new Error(`gateway process exited during start-up (code ${child.exitCode}, signal ${child.signalCode}); ${describe()}`);
      if (Date.now() > deadline) throw new Error(`gateway process printed no banner within ${startTimeout} ms; ${describe()}`);
      await Promise.race([new Promise((r) => setTimeout(r, 50)), spawnError]);
    }
    for (;;) {
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) break;
      } catch {
        // not answering yet
      }
      if (!running()) throw new Error(`gateway process exited before /healthz answered; ${describe()}`);
      if (Date.now() > deadline) throw new Error(`gateway /healthz did not answer within ${startTimeout} ms; ${describe()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw e;
  }

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<number | null> => {
    if (running()) child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), timeoutMs)));
    const result = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (result === 'late') {
      child.kill('SIGKILL');
      await exited;
      return null;
    }
    return result.code;
  };

  return {
    url,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    isRunning: running,
    stop,
    kill: () => stop('SIGKILL'),
    pause: () => void (running() && child.kill('SIGSTOP')),
    resume: () => void (running() && child.kill('SIGCONT')),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Clients: plain HTTP (REST envelope, GraphQL over POST) and graphql-ws subscriptions.
// ---------------------------------------------------------------------------------------------------------------

export interface HttpResult {
  status: number;
  body: any;
}

/** Calls a REST endpoint of the gateway at `baseUrl`; `token: null` sends no Authorization header. */
export async function restCall(baseUrl: string, token: string | null, method: string, path: string, body?: unknown): Promise<HttpResult> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    throw new Error(`non-JSON response ${res.status} from ${method} ${path}: ${text.slice(0, 200)}`);
  }
}

/** POSTs a GraphQL operation to `${baseUrl}/graphql`. */
export async function gqlCall(
  baseUrl: string,
  token: string | null,
  query: string,
  variables?: Record<string, unknown>,
): Promise<{ status: number; data: any; errors?: any[] }> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await res.json()) as { data?: unknown; errors?: any[] };
  return { status: res.status, data: json.data, errors: json.errors };
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** Date.now() when the client saw the close. */
  at: number;
}

/** One graphql-ws subscription, recording everything it receives. */
export interface LiveSubscription<T> {
  /** Every `next` payload, in order (data and/or errors). */
  readonly results: FormattedExecutionResult<Record<string, T>, unknown>[];
  /** The root field's value of every payload that has one, in order. */
  readonly items: T[];
  /** Settles when the server completes the subscription or it errors (a CloseEvent when the socket closed). */
  readonly ended: Promise<{ kind: 'complete' } | { kind: 'error'; error: unknown }>;
  /**
   * Waits until an item at or after the cursor satisfies `predicate`, moves the cursor past it and returns it.
   * Rejects after `timeoutMs` with everything received so far.
   */
  waitFor(predicate: (item: T) => boolean, timeoutMs?: number, what?: string): Promise<T>;
  /** Waits for the next payload (data or errors) after those already consumed by `nextResult`. */
  nextResult(timeoutMs?: number): Promise<FormattedExecutionResult<Record<string, T>, unknown>>;
  unsubscribe(): void;
}

export interface LiveClient {
  readonly client: Client;
  /** Settles with the first close of the socket. */
  readonly closed: Promise<CloseInfo>;
  /** Every message the server sent, parsed, for leak checks. */
  readonly messages: unknown[];
  subscribe<T = any>(query: string, variables?: Record<string, unknown>): LiveSubscription<T>;
  dispose(): Promise<void>;
}

/**
 * A graphql-ws client on `ws://…/graphql` that never retries (a close is a result the test inspects).
 * `connectionParams: undefined` sends none; `token` sends `Authorization: Bearer <token>`.
 * It connects on the first subscribe; `connectNow` connects at once, for tests of the handshake alone.
 */
export function liveClient(
  httpUrl: string,
  auth: { token?: string; connectionParams?: Record<string, unknown> },
  opts: { connectNow?: boolean } = {},
): LiveClient {
  let onClosed!: (c: CloseInfo) => void;
  const closed = new Promise<CloseInfo>((r) => (onClosed = r));
  const messages: unknown[] = [];
  const connectionParams = auth.connectionParams ?? (auth.token !== undefined ? { Authorization: `Bearer ${auth.token}` } : undefined);
  const client = createClient({
    url: httpUrl.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: !opts.connectNow,
    lazyCloseTimeout: 0,
    // A refused connection is reported through `closed`, which the test inspects.
    onNonLazyError: () => {},
    on: {
      closed: (event) => {
        const e = event as { code?: number; reason?: string | Buffer };
        onClosed({ code: e.code ?? -1, reason: String(e.reason ?? ''), at: Date.now() });
      },
      message: (m) => void messages.push(m),
    },
  });
  const subscriptions: LiveSubscription<unknown>[] = [];

  return {
    client,
    closed,
    messages,
    subscribe<T>(query: string, variables?: Record<string, unknown>): LiveSubscription<T> {
      const results: FormattedExecutionResult<Record<string, T>, unknown>[] = [];
      const items: T[] = [];
      const listeners = new Set<() => void>();
      const notify = () => {
        for (const l of [...listeners]) l();
      };
      let settle!: (v: { kind: 'complete' } | { kind: 'error'; error: unknown }) => void;
      let finished = false;
      const ended = new Promise<{ kind: 'complete' } | { kind: 'error'; error: unknown }>((r) => (settle = r));
      const dispose = client.subscribe<Record<string, T>>(
        { query, variables },
        {
          next: (result) => {
            results.push(result);
            const data = result.data as Record<string, T> | null | undefined;
            if (data) {
              const value = data[Object.keys(data)[0]!];
              if (value !== undefined && value !== null) items.push(value);
            }
            notify();
          },
          error: (error) => {
            finished = true;
            settle({ kind: 'error', error });
            notify();
          },
          complete: () => {
            finished = true;
            settle({ kind: 'complete' });
            notify();
          },
        },
      );

      let cursor = 0;
      let resultCursor = 0;
      const wait = <R>(check: () => R | undefined, timeoutMs: number, describe: () => string): Promise<R> =>
        new Promise<R>((resolve, reject) => {
          const attempt = () => {
            const r = check();
            if (r !== undefined) {
              cleanup();
              resolve(r);
            } else if (finished) {
              cleanup();
              reject(new Error(`subscription ended before ${describe()}; received ${JSON.stringify(results)}`));
            }
          };
          const timer = setTimeout(() => {
            cleanup();
            reject(new Error(`timed out after ${timeoutMs} ms waiting for ${describe()}; received ${JSON.stringify(results)}`));
          }, timeoutMs);
          const cleanup = () => {
            clearTimeout(timer);
            listeners.delete(attempt);
          };
          listeners.add(attempt);
          attempt();
        });

      const sub: LiveSubscription<T> = {
        results,
        items,
        ended,
        waitFor: (predicate, timeoutMs = 10_000, what = 'a matching item') =>
          wait(
            () => {
              for (let i = cursor; i < items.length; i++) {
                if (predicate(items[i]!)) {
                  cursor = i + 1;
                  return { item: items[i]! };
                }
              }
              return undefined;
            },
            timeoutMs,
            () => what,
          ).then((r) => r.item),
        nextResult: (timeoutMs = 10_000) =>
          wait(
            () => (resultCursor < results.length ? results[resultCursor++] : undefined),
            timeoutMs,
            () => `payload #${resultCursor + 1}`,
          ),
        unsubscribe: dispose,
      };
      subscriptions.push(sub as LiveSubscription<unknown>);
      return sub;
    },
    dispose: async () => {
      for (const s of subscriptions) s.unsubscribe();
      await client.dispose();
    },
  };
}
