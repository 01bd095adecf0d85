import type { KubeClient } from '../kube/kube-client.js';
import type { Candidate } from './candidates.js';

export type Verdict = { ok: true; version: string } | { ok: false; why: string; timedOut?: boolean };

/**
 * Proves a candidate is a real Prometheus through the API server's service proxy: `/api/v1/status/buildinfo` must
 * carry Prometheus' build fields, and an instant query for `up` must answer a vector. Exporters (no such API) and
 * vmagent (no query API) fail one of the two, so a look-alike is never chosen.
 */
export async function verifyCandidate(client: KubeClient, c: Candidate, timeoutMs: number): Promise<Verdict> {
  const base = `/api/v1/namespaces/${encodeURIComponent(c.namespace)}/services/${c.scheme === 'https' ? 'https:' : ''}${encodeURIComponent(c.service)}:${c.port}/proxy${c.routePrefix}`;
  const started = Date.now();
  const remaining = () => Math.max(1, timeoutMs - (Date.now() - started));
  try {
    const info = await client.rawGet(`${base}/api/v1/status/buildinfo`, { timeoutMs: remaining() });
    if (info.status !== 200) return { ok: false, why: `build info answered HTTP ${info.status}` };
    const build = parseJson(info.body) as { status?: string; data?: { version?: unknown; revision?: unknown; goVersion?: unknown } } | undefined;
    if (build?.status !== 'success' || typeof build.data?.version !== 'string' || typeof build.data?.goVersion !== 'string' || build.data.revision === undefined) {
      return { ok: false, why: 'build info is not Prometheus build info' };
    }
    const query = await client.rawGet(`${base}/api/v1/query?query=up`, { timeoutMs: remaining() });
    if (query.status !== 200) return { ok: false, why: `query API answered HTTP ${query.status}` };
    const result = parseJson(query.body) as { status?: string; data?: { resultType?: string } } | undefined;
    if (result?.status !== 'success' || result.data?.resultType !== 'vector') return { ok: false, why: 'query API did not return a vector' };
    return { ok: true, version: build.data.version };
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError' || /abort|timeout/i.test((err as Error).message);
    return timedOut ? { ok: false, why: 'timed out', timedOut } : { ok: false, why: `unreachable (${(err as Error).message.slice(0, 120)})` };
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
