/**
 * One load run with Debian's `wrk` (C, one thread, epoll): a load generator that is not the bottleneck of a Node
 * server on the other core. The request (method, headers, body) is written into a small Lua script, whose `done`
 * hook prints the latency percentiles (µs) and the CPU time wrk itself used (/proc/self/stat), so every figure can
 * be reported beside the load generator's own CPU share.
 *
 * Latency at a given rate (half the maximum) is a paced run: every connection waits `delayMs` after each answer
 * (`pacedRun` picks it for the rate asked for and reports the rate reached). A Node load generator (autocannon's
 * `overallRate`, or an open-loop client in Node) measured its own GC pauses: a raw node:http server answering 34 KiB
 * from memory read p99 10–30 ms at a quarter of its maximum rate.
 */
export async function pacedRun(
  baseUrl: string,
  req: HttpRequestSpec,
  opts: { connections: number; durationSec: number; rate: number; serviceMs?: number },
): Promise<WrkResult> {
  // Period of one connection = its delay + the answer's time; the delay is what is left of connections / rate.
  const delayMs = Math.max(1, (opts.connections * 1000) / opts.rate - (opts.serviceMs ?? 0));
  return runWrk(baseUrl, req, { connections: opts.connections, durationSec: opts.durationSec, delayMs });
}

/**
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOAD_CPU, hasTaskset } from './lib.js';

export interface HttpRequestSpec {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface WrkResult {
  rps: number;
  requests: number;
  /** Socket errors plus answers with a status ≥ 400 (wrk counts both). */
  errors: number;
  non2xx: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  /** CPU wrk used, as a share of one core over the run (100 = a whole core: the generator was the bottleneck). */
  loadCpuPct: number;
  durationSec: number;
}

let wrkChecked: boolean | undefined;
export function hasWrk(): boolean {
  if (wrkChecked === undefined) {
    try {
      execFileSync('wrk', ['--version'], { stdio: 'ignore' });
      wrkChecked = true;
    } catch (err) {
      // `wrk --version` prints its banner and exits 1; only a missing binary is fatal.
      wrkChecked = (err as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  }
  return wrkChecked;
}

/** A Lua long string that cannot be closed by the text inside it. */
const luaString = (s: string) => {
  let eq = '=';
  while (s.includes(`]${eq}]`)) eq += '=';
  return `[${eq}[${s}]${eq}]`;
};

function script(req: HttpRequestSpec, delayMs?: number): string {
  return [
    `wrk.method = ${luaString(req.method)}`,
    // Paced load: each connection waits `delayMs` after an answer before its next request (wrk's delay hook).
    ...(delayMs !== undefined ? [`delay = function() return ${Math.max(1, Math.round(delayMs))} end`] : []),
    ...(req.body !== undefined ? [`wrk.body = ${luaString(req.body)}`] : []),
    ...Object.entries(req.headers).map(([k, v]) => `wrk.headers[ ${luaString(k)} ] = ${luaString(v)}`),
    'done = function(summary, latency, requests)',
    '  local f = io.open("/proc/self/stat"); local stat = f:read("*a"); f:close()',
    '  local fields = {}',
    '  for w in stat:match("%) (.*)"):gmatch("%S+") do fields[#fields + 1] = w end',
    '  local e = summary.errors',
    '  io.write(string.format("WRKJSON {\\"requests\\":%d,\\"durationUs\\":%d,\\"socketErrors\\":%d,\\"status\\":%d,\\"p50\\":%d,\\"p90\\":%d,\\"p99\\":%d,\\"mean\\":%f,\\"max\\":%d,\\"cpuTicks\\":%d}\\n",',
    '    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,',
    '    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max,',
    '    tonumber(fields[12]) + tonumber(fields[13])))',
    'end',
    '',
  ].join('\n');
}

const CLOCK_TICK_MS = 10;

export async function runWrk(
  baseUrl: string,
  req: HttpRequestSpec,
  opts: { connections: number; durationSec: number; delayMs?: number },
): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'kgw-wrk-'));
  try {
    const file = join(dir, 'request.lua');
    writeFileSync(file, script(req, opts.delayMs));
    const args = ['-t1', `-c${opts.connections}`, `-d${opts.durationSec}s`, '--timeout', '10s', '-s', file, new URL(req.path, baseUrl).toString()];
    const [cmd, ...rest] = hasTaskset() ? ['taskset', '-c', String(LOAD_CPU), 'wrk', ...args] : ['wrk', ...args];
    const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const line = /WRKJSON (\{.*\})/.exec(out)?.[1];
    if (code !== 0 || !line) throw new Error(`wrk exited with ${code}: ${out.slice(-1500)}`);
    const r = JSON.parse(line) as {
      requests: number;
      durationUs: number;
      socketErrors: number;
      status: number;
      p50: number;
      p90: number;
      p99: number;
      mean: number;
      max: number;
      cpuTicks: number;
    };
    const durationSec = r.durationUs / 1e6;
    const ms = (us: number) => Math.round(us / 10) / 100;
    return {
      rps: r.requests / durationSec,
      requests: r.requests,
      errors: r.socketErrors + r.status,
      non2xx: r.status,
      latencyMs: { p50: ms(r.p50), p90: ms(r.p90), p99: ms(r.p99), mean: ms(r.mean), max: ms(r.max) },
      loadCpuPct: Math.round((1000 * r.cpuTicks * CLOCK_TICK_MS) / (durationSec * 1000)) / 10,
      durationSec,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
