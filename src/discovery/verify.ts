import type { KubeClient } from '../kube/kube-client.js';
import { type Candidate, candidateProblem, describeCandidate, untilAborted } from './candidates.js';

export type Verdict = { ok: true; version: string } | { ok: false; why: string; timedOut?: boolean };

/** A service-proxy path that would leave its service's proxy subtree: never sent. */
export class UnsafeProxyPathError extends Error {}

/** Any base for resolving: only the path matters. */
const RESOLVE_BASE = 'http://service-proxy.invalid';

/**
 * `/api/v1/namespaces/<ns>/services/[https:]<name>:<port>/proxy/<prefix>/<apiPath>`, built from the candidate's
 * validated parts with every segment encoded. Checked again as built: resolving it must not move it (no dot segment,
 * encoded or not, survived) and it must stay under the candidate's own proxy path, so no `..` and no other resource of
 * the API server is ever requested with the gateway's credentials.
 */
export function serviceProxyPath(c: Candidate, apiPath: string): string {
  const problem = candidateProblem(c);
  if (problem) throw new UnsafeProxyPathError(`${describeCandidate(c)}: ${problem}`);
  const base = `/api/v1/namespaces/${encodeURIComponent(c.namespace)}/services/${c.scheme === 'https' ? 'https:' : ''}${encodeURIComponent(c.service)}:${c.port}/proxy/`;
  const [pathPart = '', query] = apiPath.split('?', 2);
  const segments = [...c.routePrefix.split('/'), ...pathPart.split('/')].filter(Boolean).map(encodeURIComponent);
  const path = `${base}${segments.join('/')}${query === undefined ? '' : `?${query}`}`;
  const resolved = new URL(path, RESOLVE_BASE);
  if (!path.startsWith(base) || resolved.pathname + resolved.search !== path || !resolved.pathname.startsWith(base)) {
    throw new UnsafeProxyPathError(`${describeCandidate(c)}: the service-proxy path would leave ${base}`);
  }
  return path;
}

/**
 * Proves a candidate is a real Prometheus through the API server's service proxy: `/api/v1/status/buildinfo` must
 * carry Prometheus' build fields, and an instant query for `up` must answer a vector. Exporters (no such API) and
 * vmagent (no query API) fail one of the two, so a look-alike is never chosen. An aborted `signal` rejects at once.
 */
export async function verifyCandidate(client: KubeClient, c: Candidate, timeoutMs: number, signal: AbortSignal): Promise<Verdict> {
  const started = Date.now();
  const remaining = () => Math.max(1, timeoutMs - (Date.now() - started));
  try {
    const info = await untilAborted(client.rawGet(serviceProxyPath(c, 'api/v1/status/buildinfo'), { timeoutMs: remaining() }), signal);
    if (info.status !== 200) return { ok: false, why: `build info answered HTTP ${info.status}` };
    const build = parseJson(info.body) as { status?: string; data?: { version?: unknown; revision?: unknown; goVersion?: unknown } } | undefined;
    if (
      build?.status !== 'success' ||
      typeof build.data?.version !== 'string' ||
      typeof build.data?.goVersion !== 'string' ||
      build.data.revision === undefined
    ) {
      return { ok: false, why: 'build info is not Prometheus build info' };
    }
    const query = await untilAborted(client.rawGet(serviceProxyPath(c, 'api/v1/query?query=up'), { timeoutMs: remaining() }), signal);
    if (query.status !== 200) return { ok: false, why: `query API answered HTTP ${query.status}` };
    const result = parseJson(query.body) as { status?: string; data?: { resultType?: string } } | undefined;
    if (result?.status !== 'success' || result.data?.resultType !== 'vector') return { ok: false, why: 'query API did not return a vector' };
    return { ok: true, version: printableVersion(build.data.version) };
  } catch (err) {
    if (signal.aborted) throw err;
    if (err instanceof UnsafeProxyPathError) return { ok: false, why: err.message };
    const timedOut = (err as Error).name === 'TimeoutError' || /abort|timeout/i.test((err as Error).message);
    return timedOut ? { ok: false, why: 'timed out', timedOut } : { ok: false, why: `unreachable (${(err as Error).message.slice(0, 120)})` };
  }
}

/** The version goes into a message people read: printable ASCII, short. */
function printableVersion(version: string): string {
  return version.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
