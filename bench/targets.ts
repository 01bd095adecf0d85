/**
 * The two requests under test (REST C1 and GraphQL `clusters`), the gateway and baseline child processes that serve
 * them, and one load run in its own process.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CapturedRoute } from './baseline-server.js';
import { GATEWAY_NODE_ENV, LOAD_CPU, SERVER_CPU, ask, firstJsonLine, runJson, spawnTs, stopChild } from './lib.js';
import type { LoadResult, LoadSpec } from './load.js';

export type Kind = 'rest' | 'graphql';
export const KINDS: Kind[] = ['rest', 'graphql'];

export const REST_PATH = '/api/v1/k8s/clusters';
export const GRAPHQL_QUERY =
  '{ clusters { total items { id name isDefault enabled healthStatus lastConnectedAt nodeCount podCount prometheusUrl createdAt updatedAt } } }';

export interface RequestDef {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export function requestOf(kind: Kind, token: string): RequestDef {
  const auth = { authorization: `Bearer ${token}` };
  return kind === 'rest'
    ? { method: 'GET', path: REST_PATH, headers: auth }
    : { method: 'POST', path: '/graphql', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ query: GRAPHQL_QUERY }) };
}

export interface GatewayInfo {
  url: string;
  adminToken: string;
  /** Admins with distinct subjects (a user may hold 500 subscriptions per replica). */
  adminTokens: string[];
  pid: number;
  clusters: number;
  firstId: number;
  seedMs: number;
  createMs: number;
}

export interface ServerChild<T> {
  child: ChildProcess;
  info: T;
  stop(): Promise<void>;
}

export async function startGatewayChild(
  clusters: number,
  opts: { countQueries?: boolean; kubeconfigFile?: string; nodeArgs?: string[]; viaService?: number } = {},
): Promise<ServerChild<GatewayInfo>> {
  const args = ['--clusters', String(clusters), '--via-service', String(opts.viaService ?? 20)];
  if (opts.countQueries) args.push('--count-queries');
  if (opts.kubeconfigFile) args.push('--kubeconfig-file', opts.kubeconfigFile);
  const child = spawnTs('bench/gateway-server.ts', args, {
    cpu: SERVER_CPU,
    ipc: true,
    nodeArgs: opts.nodeArgs,
    env: { NODE_ENV: GATEWAY_NODE_ENV },
  });
  const info = await firstJsonLine<GatewayInfo>(child);
  return { child, info, stop: () => stopChild(child) };
}

export async function startBaselineChild(
  routes: CapturedRoute[],
  opts: { ws?: boolean } = {},
): Promise<ServerChild<{ url: string; pid: number }> & { setRoutes(r: CapturedRoute[]): Promise<void> }> {
  const file = writeRoutes(routes);
  const child = spawnTs('bench/baseline-server.ts', ['--responses', file, ...(opts.ws ? ['--ws'] : [])], { cpu: SERVER_CPU, ipc: true });
  const info = await firstJsonLine<{ url: string; pid: number }>(child);
  return {
    child,
    info,
    stop: () => stopChild(child),
    setRoutes: async (r) => {
      await ask(child, 'routes', { file: writeRoutes(r) });
    },
  };
}

const routeFiles: string[] = [];
process.once('exit', () => {
  for (const f of routeFiles) rmSync(f, { force: true });
});
function writeRoutes(routes: CapturedRoute[]): string {
  const file = join(tmpdir(), `kgw-bench-routes-${process.pid}-${routeFiles.length}.json`);
  writeFileSync(file, JSON.stringify({ routes }));
  routeFiles.push(file);
  return file;
}

/** Sends a request once and returns the bytes the gateway answered, as the baseline will replay them. */
export async function capture(baseUrl: string, req: RequestDef): Promise<CapturedRoute & { ms: number }> {
  const t = performance.now();
  const res = await fetch(baseUrl + req.path, { method: req.method, headers: req.headers, body: req.body });
  const body = Buffer.from(await res.arrayBuffer());
  const ms = performance.now() - t;
  if (res.status !== 200) throw new Error(`${req.method} ${req.path} answered ${res.status}: ${body.toString('utf8').slice(0, 300)}`);
  return {
    method: req.method,
    path: req.path,
    status: res.status,
    contentType: res.headers.get('content-type') ?? 'application/octet-stream',
    bodyBase64: body.toString('base64'),
    ms,
  };
}

export const bodyBytes = (r: CapturedRoute) => Buffer.from(r.bodyBase64, 'base64').length;

/** One autocannon run in its own process on the load CPU. */
export async function load(
  baseUrl: string,
  req: RequestDef,
  opts: { connections: number; duration: number; overallRate?: number },
): Promise<LoadResult> {
  const spec: LoadSpec = { url: baseUrl + req.path, method: req.method, headers: req.headers, body: req.body, ...opts };
  const r = await runJson<LoadResult>('bench/load.ts', [JSON.stringify(spec)], { cpu: LOAD_CPU });
  if (r.non2xx > 0 || r.errors > 0)
    process.stderr.write(`  warning: ${baseUrl}${req.path}: ${r.non2xx} non-2xx, ${r.errors} errors of ${r.requests}\n`);
  return r;
}

/** Timed single request (for "first list after a change"). */
export async function timed(baseUrl: string, req: RequestDef): Promise<{ ms: number; status: number; bytes: number }> {
  const t = performance.now();
  const res = await fetch(baseUrl + req.path, { method: req.method, headers: req.headers, body: req.body });
  const bytes = (await res.arrayBuffer()).byteLength;
  return { ms: performance.now() - t, status: res.status, bytes };
}
