/**
 * Shared helpers of the benchmark harness: child processes (pinned to a CPU with `taskset` when it exists), JSON
 * hand-over on stdout, statistics, and machine facts for BENCHMARKS.md.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The gateway under test runs as the Dockerfile runs it (NODE_ENV=production) unless BENCH_NODE_ENV says otherwise. */
export const GATEWAY_NODE_ENV = process.env.BENCH_NODE_ENV ?? 'production';

/**
 * The node flags the gateway is deployed with (package.json `start:prod`, the Dockerfile's CMD): the memory and soak
 * modes measure the gateway as it runs there.
 */
export const DEPLOYED_NODE_FLAGS = ['--max-semi-space-size=16'];

/** CPU roles: servers under test on one core, load generators and clients on the other (when there are two). */
export const SERVER_CPU = 0;
export const LOAD_CPU = cpus().length > 1 ? 1 : 0;

let tasksetChecked: boolean | undefined;
export function hasTaskset(): boolean {
  if (tasksetChecked === undefined) {
    try {
      execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
      tasksetChecked = true;
    } catch {
      tasksetChecked = false;
    }
  }
  return tasksetChecked;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export interface SpawnOptions {
  cpu?: number;
  env?: Record<string, string | undefined>;
  nodeArgs?: string[];
  ipc?: boolean;
  /** Forward the child's stderr to ours (default true). */
  stderr?: boolean;
  /** Load TypeScript through tsx (default true); false runs compiled JavaScript as is. */
  tsx?: boolean;
}

/** `[taskset -c CPU] node [nodeArgs] --import tsx script args`. taskset execs node, so the pid is node's. */
export function spawnTs(script: string, args: string[] = [], opts: SpawnOptions = {}): ChildProcess {
  const nodeCmd = [process.execPath, ...(opts.nodeArgs ?? []), ...(opts.tsx === false ? [] : ['--import', 'tsx']), script, ...args];
  const [cmd, ...rest] = opts.cpu !== undefined && hasTaskset() ? ['taskset', '-c', String(opts.cpu), ...nodeCmd] : nodeCmd;
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(cmd!, rest, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', opts.stderr === false ? 'ignore' : 'inherit', ...(opts.ipc ? (['ipc'] as const) : [])],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Resolves with the first stdout line that parses as a JSON object (a server's "I am ready" line). */
export function firstJsonLine<T>(child: ChildProcess, timeoutMs = 600_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => fail(new Error(`no JSON line from pid ${child.pid} within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null) => fail(new Error(`pid ${child.pid} exited (${code}) before printing its JSON line`));
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      rl.close();
      reject(err);
    };
    rl.on('line', (line) => {
      if (!line.startsWith('{')) return;
      try {
        const value = JSON.parse(line) as T;
        clearTimeout(timer);
        child.off('exit', onExit);
        rl.close();
        resolve(value);
      } catch {
        // not ours
      }
    });
    child.once('exit', onExit);
  });
}

/** Runs a script to completion and parses the last JSON line it printed. */
export async function runJson<T>(script: string, args: string[], opts: SpawnOptions = {}): Promise<T> {
  const child = spawnTs(script, args, opts);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines = out.trim().split('\n');
  const line = [...lines].reverse().find((l) => l.startsWith('{') && l.trimEnd().endsWith('}'));
  // A script that prints its result pretty (bench/proxy.ts) ends with a lone `{` … `}` block instead of one line.
  const block = lines.lastIndexOf('{') >= 0 ? lines.slice(lines.lastIndexOf('{')).join('\n') : undefined;
  if (code !== 0 || !(line ?? block)) throw new Error(`${script} ${args.join(' ')} exited with ${code}; stdout tail:\n${out.slice(-2000)}`);
  return JSON.parse(lines.at(-1) === '}' && block ? block : line!) as T;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Makes an initialised, migrated, empty DATA_DIR once, and points BENCH_TEMPLATE_DIR (inherited by every child) at
 * it, so gateway processes start warm instead of running PGlite's initdb each time (cold start is measured on its own).
 */
/**
 * A migrated embedded DATA_DIR every gateway child copies instead of paying PGlite's initdb. Kept in the temporary
 * directory under a name derived from the migrations and the PGlite version, so a second run (a `--quick` one above
 * all) reuses it; a template is complete only once its marker file exists.
 */
export async function prepareTemplate(): Promise<string> {
  const hash = createHash('sha256');
  const migrations = join(ROOT, 'src/db/migrations');
  for (const f of readdirSync(migrations, { recursive: true }).map(String).sort()) {
    const file = join(migrations, f);
    if (statSync(file).isFile()) hash.update(f).update(readFileSync(file));
  }
  hash.update(readFileSync(join(ROOT, 'node_modules/@electric-sql/pglite/package.json')));
  const dir = join(tmpdir(), `kgw-bench-template-${hash.digest('hex').slice(0, 16)}`);
  const marker = join(dir, '.kgw-template-complete');
  if (!existsSync(marker)) {
    rmSync(dir, { recursive: true, force: true });
    await runJson('bench/gateway-server.ts', ['--clusters', '0', '--save-template', dir], { cpu: SERVER_CPU });
    writeFileSync(marker, '');
  }
  process.env.BENCH_TEMPLATE_DIR = dir;
  return dir;
}

/** Sends an IPC request and waits for the reply of the same type. */
export function ask<T>(child: ChildProcess, type: string, extra: Record<string, unknown> = {}): Promise<T> {
  return new Promise<T>((resolve) => {
    const onMessage = (m: { type?: string }) => {
      if (m?.type !== type) return;
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.send({ type, ...extra });
  });
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const round = (x: number, digits = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);
export const mb = (bytes: number) => round(bytes / (1024 * 1024), 1);

/** Parses `--flag value` / `--flag` arguments. */
export function flags(argv = process.argv.slice(2)): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      out.set(a.slice(2), next);
      i++;
    } else out.set(a.slice(2), 'true');
  }
  return out;
}

function pkgVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(`${ROOT}node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'n/a';
  }
}

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  os: string;
  taskset: boolean;
  packages: Record<string, string>;
  gitCommit: string;
  gitDirty: boolean;
}

export function machineInfo(): MachineInfo {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  let os = 'linux';
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    // keep the default
  }
  const packages = [
    'autocannon',
    'express',
    '@apollo/server',
    'graphql',
    'type-graphql',
    'graphql-ws',
    'ws',
    '@electric-sql/pglite',
    'drizzle-orm',
    '@kubernetes/client-node',
    'tsx',
    'typescript',
  ];
  return {
    nproc: cpus().length,
    cpuModel: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    os: `${os} (${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()})`,
    taskset: hasTaskset(),
    packages: Object.fromEntries(packages.map((p) => [p, pkgVersion(p)])),
    gitCommit: git(['rev-parse', '--short', 'HEAD']),
    gitDirty: git(['status', '--porcelain', '--', 'src']) !== '',
  };
}

/** `npm run build` (compiled dist/, as `npm run start:prod` and the Dockerfile run the gateway); returns its ms. */
export function buildDist(): number {
  const started = performance.now();
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  return Math.round(performance.now() - started);
}
