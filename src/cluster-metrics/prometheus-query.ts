import { UnsafeProxyPathError } from '../discovery/verify.js';
import type { PrometheusUnreachableReason } from '../errors.js';
import { ConnectTimeoutError } from '../kube/kube-client.js';
import { ConnectionClosedError, RequestTimeoutError, ResponseTooLargeError, UnexpectedResponseError } from '../kube/kube-http.js';
import type { PrometheusEndpoint } from './prometheus-endpoint.js';

export interface Sample {
  t: Date;
  v: number;
}

/**
 * Why one query gave no answer. `transport` failures (nothing, or not Prometheus, answered) say the Prometheus is
 * unreachable; a `query` failure is Prometheus itself refusing or failing that one query.
 */
export class PrometheusQueryError extends Error {
  constructor(
    readonly kind: 'transport' | 'query',
    readonly reason: PrometheusUnreachableReason | 'QUERY_ERROR',
    message: string,
  ) {
    super(message);
    this.name = 'PrometheusQueryError';
  }
}

/** `query_range` for one PromQL expression aggregated to one series (`sum(…)`); an empty answer is no samples. */
export async function queryRange(
  endpoint: PrometheusEndpoint,
  promql: string,
  startSec: number,
  endSec: number,
  stepSec: number,
  timeoutMs: number,
): Promise<Sample[]> {
  const params = new URLSearchParams({
    query: promql,
    start: String(startSec),
    end: String(endSec),
    step: String(stepSec),
    timeout: `${Math.ceil(timeoutMs / 1000)}s`,
  });
  const data = await call(endpoint, `api/v1/query_range?${params}`, 'matrix', timeoutMs);
  const first = data.result[0] as { values?: unknown } | undefined;
  if (!first) return [];
  if (!Array.isArray(first.values)) throw notPrometheus('a matrix without values');
  const samples: Sample[] = [];
  for (const pair of first.values) {
    const sample = toSample(pair);
    if (sample) samples.push(sample);
  }
  return samples;
}

/** An instant `query` at `timeSec`; null when the expression has no value (no data, or not a finite number). */
export async function queryInstant(endpoint: PrometheusEndpoint, promql: string, timeSec: number, timeoutMs: number): Promise<number | null> {
  const params = new URLSearchParams({ query: promql, time: String(timeSec), timeout: `${Math.ceil(timeoutMs / 1000)}s` });
  const data = await call(endpoint, `api/v1/query?${params}`, 'vector', timeoutMs);
  const first = data.result[0] as { value?: unknown } | undefined;
  return first ? (toSample(first.value)?.v ?? null) : null;
}

/**
 * `[unixSeconds, "value"]` as a sample; NaN and ±Inf (a division by a zero allocatable) are not numbers a chart or
 * GraphQL's Float can carry, so they are left out.
 */
function toSample(pair: unknown): Sample | undefined {
  if (!Array.isArray(pair) || typeof pair[0] !== 'number' || typeof pair[1] !== 'string') return undefined;
  const v = Number(pair[1]);
  return Number.isFinite(v) ? { t: new Date(pair[0] * 1000), v } : undefined;
}

async function call(
  endpoint: PrometheusEndpoint,
  apiPath: string,
  resultType: 'matrix' | 'vector',
  timeoutMs: number,
): Promise<{ result: unknown[] }> {
  let res: { status: number; body: string };
  try {
    res = await endpoint.get(apiPath, timeoutMs);
  } catch (err) {
    throw transportFailure(err, endpoint, timeoutMs);
  }
  const json = parseJson(res.body) as
    | { status?: unknown; errorType?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } }
    | undefined;
  // Prometheus' own refusals (bad_data 400, execution 422, timeout/canceled 503) carry this shape; anything else with a
  // non-200 status is whatever stands in front of it (the API server's service proxy, a load balancer, another server).
  if (json?.status === 'error' && typeof json.errorType === 'string') {
    throw new PrometheusQueryError('query', 'QUERY_ERROR', `Prometheus refused the query (${printable(json.errorType)}): ${printable(json.error)}`);
  }
  if (res.status !== 200)
    throw new PrometheusQueryError('transport', 'HTTP_STATUS', `${where(endpoint)} answered HTTP ${res.status}, not the Prometheus query API`);
  if (json?.status !== 'success' || json.data?.resultType !== resultType || !Array.isArray(json.data.result))
    throw notPrometheus(`an answer that is not a Prometheus ${resultType}`);
  return { result: json.data.result };
}

const notPrometheus = (what: string) => new PrometheusQueryError('transport', 'NOT_PROMETHEUS', `what answered is not Prometheus: it sent ${what}`);

function where(endpoint: PrometheusEndpoint): string {
  const t = endpoint.target;
  return t.kind === 'service' ? `the API server's proxy to service ${t.service.namespace}/${t.service.service}:${t.service.port}` : 'the server';
}

/**
 * Transport errors by their class or code, never by message text alone. Only the kind and a fixed sentence are
 * reported: what a server sent is not echoed back (a hand-set URL could point anywhere on the gateway's network).
 */
function transportFailure(err: unknown, endpoint: PrometheusEndpoint, timeoutMs: number): PrometheusQueryError {
  const via = endpoint.target.kind === 'service' ? ' (through the API server)' : '';
  const fail = (reason: PrometheusUnreachableReason, message: string) => new PrometheusQueryError('transport', reason, `${message}${via}`);
  if (err instanceof UnsafeProxyPathError) return fail('DNS', `the service-proxy path is unsafe: ${err.message}`);
  if (err instanceof RequestTimeoutError || err instanceof ConnectTimeoutError) return fail('TIMEOUT', `no answer within ${timeoutMs} ms`);
  if (err instanceof ResponseTooLargeError) return fail('TOO_LARGE', `the answer is larger than ${err.limit} bytes`);
  if (err instanceof ConnectionClosedError) return fail('NETWORK', 'the connection closed before the answer was complete');
  if (err instanceof UnexpectedResponseError) return fail('NOT_PROMETHEUS', `what answered is not Prometheus: it sent ${err.what}`);
  const codes = errorCodes(err);
  if (codes.includes('ECONNREFUSED')) return fail('REFUSED', 'connection refused');
  if (codes.includes('ENOTFOUND') || codes.includes('EAI_AGAIN')) return fail('DNS', 'the host name does not resolve');
  if (codes.some((c) => c.startsWith('ERR_TLS') || c.startsWith('ERR_SSL') || c.includes('CERT') || c === 'DEPTH_ZERO_SELF_SIGNED_CERT'))
    return fail('TLS', 'TLS verification failed');
  if (codes.includes('ETIMEDOUT')) return fail('TIMEOUT', `no answer within ${timeoutMs} ms`);
  if (codes.includes('ECONNRESET') || codes.includes('EPIPE')) return fail('NETWORK', 'the connection was reset');
  return fail('NETWORK', 'the connection failed');
}

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  for (let e = err as Record<string, unknown> | undefined, depth = 0; e && depth < 6; e = e.cause as Record<string, unknown>, depth++) {
    if (typeof e.code === 'string') codes.push(e.code);
  }
  return codes;
}

/** Prometheus' error text goes into a message people read: printable ASCII, short. */
function printable(s: unknown): string {
  return String(s)
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 300);
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
