/**
 * Load generator process: runs autocannon once with the options given as JSON and prints a summary JSON line.
 * Started pinned to the load CPU (see lib.ts), never in the process of a server under test.
 *
 *   node --import tsx bench/load.ts '{"url":"http://…","connections":10,"duration":5}'
 */
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  duration: number;
  /** Requests per second across all connections (fixed-rate run; latencies are corrected for coordinated omission). */
  overallRate?: number;
}

export interface LoadResult {
  rps: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latencyMs: { p50: number; p90: number; p99: number; avg: number; max: number };
  /** Mean bytes per response (headers included), from autocannon's throughput counter. */
  bytesPerResponse: number;
  durationSec: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const r = await autocannon({ ...spec, timeout: 10, pipelining: 1 });
const requests = r.requests.total;
const result: LoadResult = {
  rps: requests / r.duration,
  requests,
  ok: r['2xx'],
  non2xx: r.non2xx,
  errors: r.errors,
  timeouts: r.timeouts,
  latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, avg: r.latency.average, max: r.latency.max },
  bytesPerResponse: requests ? r.throughput.total / requests : 0,
  durationSec: r.duration,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
