import { hasControlCharacters, parsePrometheusUrl } from '../clusters/cluster.validation.js';
import type { KubeClient } from '../kube/kube-client.js';
import type { KubeService } from '../kube/kube-reads.js';

/** A service that might be Prometheus, and how it was found (earlier sources are more trustworthy). */
export interface Candidate {
  namespace: string;
  service: string;
  port: number;
  /** Port name if the service names it (the proxy path can use either). */
  portName?: string;
  scheme: 'http' | 'https';
  /** Path prefix Prometheus serves under (prometheus-operator `spec.routePrefix`), '' for none. */
  routePrefix: string;
  source: 'operator' | 'labels' | 'well-known-name';
}

/** What one gathering found: safe candidates (at most MAX_CANDIDATES), and why others were left out. */
export interface GatheredCandidates {
  candidates: Candidate[];
  /** One line per unsafe candidate (names escaped for display), at most MAX_SKIPPED_REASONS of them. */
  skipped: string[];
  skippedCount: number;
  /** Safe candidates beyond the cap, never checked. */
  overCap: number;
}

export const PROMETHEUS_LABEL_SELECTORS = [
  'app.kubernetes.io/name=prometheus',
  'app.kubernetes.io/instance=prometheus',
  'app.kubernetes.io/part-of=kube-prometheus-stack',
  'app=prometheus,component=server',
  'operated-prometheus=true',
];
export const WELL_KNOWN_NAMESPACES = ['monitoring', 'prometheus', 'kube-prometheus', 'kube-system', 'default'];
export const WELL_KNOWN_SERVICES = ['prometheus-server', 'prometheus-k8s', 'prometheus-operated', 'kube-prometheus-stack-prometheus'];

/**
 * A cluster is untrusted input: a hostile one can list thousands of services or Prometheus objects. Real clusters have
 * a handful of Prometheus candidates, so anything past this many is dropped rather than probed one by one.
 */
export const MAX_CANDIDATES = 50;
const MAX_SKIPPED_REASONS = 10;

/** The real API server enforces these on Service objects; anything else came from a hostile or broken server. */
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const IANA_SERVICE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 3986 path characters without percent-encoding: an encoded `.` or `/` could become traversal after decoding. */
const PREFIX_CHARACTERS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

/**
 * Gathers candidates from (a) prometheus-operator `Prometheus` objects, (b) services with the usual labels, (c) well-known
 * service names in well-known namespaces. Lookups that fail (no CRD, no permission, no namespace) just yield nothing;
 * an aborted `signal` stops every lookup at once (it rejects with the abort reason).
 */
export async function gatherCandidates(client: KubeClient, signal: AbortSignal): Promise<GatheredCandidates> {
  const result: GatheredCandidates = { candidates: [], skipped: [], skippedCount: 0, overCap: 0 };
  const seen = new Set<string>();
  const skip = (what: string, why: string) => {
    result.skippedCount++;
    if (result.skipped.length < MAX_SKIPPED_REASONS) result.skipped.push(`${what}: ${why}`);
  };
  const add = (c: Candidate) => {
    const problem = candidateProblem(c);
    if (problem) return skip(describeCandidate(c), problem);
    const key = `${c.namespace}/${c.service}:${c.port}${c.routePrefix}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (result.candidates.length >= MAX_CANDIDATES) result.overCap++;
    else result.candidates.push(c);
  };

  const [operator, byLabel, byName] = await Promise.all([
    fromOperator(client, signal, skip),
    Promise.all(PROMETHEUS_LABEL_SELECTORS.map((labelSelector) => quietly(client.reads.listServices({ labelSelector }), signal))),
    Promise.all(WELL_KNOWN_NAMESPACES.map((namespace) => quietly(client.reads.listNamespacedServices(namespace), signal))),
  ]);
  for (const c of operator) add(c);
  for (const list of byLabel) for (const svc of list?.items ?? []) for (const c of fromService(svc, 'labels', '')) add(c);
  for (const list of byName) {
    for (const svc of list?.items ?? []) {
      const name = svc?.metadata?.name;
      if (typeof name === 'string' && WELL_KNOWN_SERVICES.includes(name)) for (const c of fromService(svc, 'well-known-name', '')) add(c);
    }
  }
  return result;
}

/**
 * The operator exposes each Prometheus through the `prometheus-operated` service of its namespace (port `web`). One
 * lookup per distinct namespace and prefix, at most MAX_CANDIDATES of them, and none after the signal aborted.
 */
async function fromOperator(client: KubeClient, signal: AbortSignal, skip: (what: string, why: string) => void): Promise<Candidate[]> {
  const list = await quietly(client.reads.listClusterCustomObjects('monitoring.coreos.com', 'v1', 'prometheuses'), signal);
  const out: Candidate[] = [];
  const looked = new Set<string>();
  for (const p of list?.items ?? []) {
    signal.throwIfAborted();
    if (looked.size >= MAX_CANDIDATES) break;
    const namespace = p?.metadata?.namespace;
    if (typeof namespace !== 'string' || !namespace) continue;
    const what = `Prometheus object in namespace ${printable(namespace)}`;
    if (!isDnsLabel(namespace)) {
      skip(what, 'namespace is not a DNS-1123 label');
      continue;
    }
    const prefix = normaliseRoutePrefix(p?.spec?.routePrefix);
    if (!prefix.ok) {
      skip(what, prefix.why);
      continue;
    }
    const routePrefix = prefix.value;
    if (looked.has(`${namespace}${routePrefix}`)) continue;
    looked.add(`${namespace}${routePrefix}`);
    const svc = await quietly(client.reads.readService(namespace, 'prometheus-operated'), signal);
    const fromSvc = svc ? fromService(svc, 'operator', routePrefix) : [];
    out.push(
      ...(fromSvc.length
        ? fromSvc
        : [
            {
              namespace,
              service: 'prometheus-operated',
              port: 9090,
              portName: 'web',
              scheme: 'http' as const,
              routePrefix,
              source: 'operator' as const,
            },
          ]),
    );
  }
  return out;
}

/**
 * Ports worth trying: 9090, or a port named web/http(s). The values are the server's, whatever their type:
 * `candidateProblem` refuses what a real API server would not have sent.
 */
function fromService(svc: KubeService | null, source: Candidate['source'], routePrefix: string): Candidate[] {
  const namespace = svc?.metadata?.namespace;
  const service = svc?.metadata?.name;
  if (!namespace || !service) return [];
  const ports = svc.spec?.ports;
  return (Array.isArray(ports) ? ports : [])
    .filter((p) => p?.port === 9090 || ['web', 'http', 'https', 'http-web'].includes(p?.name ?? ''))
    .map((p) => ({
      namespace,
      service,
      port: p.port,
      portName: p.name,
      scheme: p.name === 'https' ? ('https' as const) : ('http' as const),
      routePrefix,
      source,
    }));
}

const isDnsLabel = (s: unknown): s is string => typeof s === 'string' && s.length <= 63 && DNS_1123_LABEL.test(s);

/**
 * Why a candidate must not be probed or stored, or undefined when every part is what a real API server allows. Its parts
 * end up in a service-proxy path and in the stored URL's host, so a name like `x@attacker.example/` or a `..` prefix
 * would otherwise redirect the gateway's credentials or store a foreign host.
 */
export function candidateProblem(c: Candidate): string | undefined {
  if (!isDnsLabel(c.namespace)) return 'namespace is not a DNS-1123 label';
  if (!isDnsLabel(c.service)) return 'service name is not a DNS-1123 label';
  if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535) return 'port is not a number from 1 to 65535';
  if (c.portName !== undefined && c.portName !== null && !isPortName(c.portName)) return 'port name is not a valid port name';
  if (c.scheme !== 'http' && c.scheme !== 'https') return 'scheme is not http or https';
  const prefix = normaliseRoutePrefix(c.routePrefix);
  if (!prefix.ok) return prefix.why;
  if (prefix.value !== c.routePrefix) return 'routePrefix is not in normal form';
  return undefined;
}

function isPortName(name: unknown): boolean {
  return typeof name === 'string' && name.length <= 15 && IANA_SERVICE_NAME.test(name) && /[a-z]/.test(name) && !name.includes('--');
}

/**
 * `spec.routePrefix` as a path prefix: '' for none, otherwise `/seg/seg` (slashes collapsed, no trailing slash). Refused:
 * non-strings, control or invisible characters, any percent-encoding (`%2e%2e`, `%2f` decode to traversal further on),
 * characters outside a URL path (`?`, `#`, `\`) and `.`/`..` segments.
 */
export function normaliseRoutePrefix(raw: unknown): { ok: true; value: string } | { ok: false; why: string } {
  if (raw === undefined || raw === null || raw === '' || raw === '/') return { ok: true, value: '' };
  if (typeof raw !== 'string') return { ok: false, why: 'routePrefix is not a string' };
  if (raw.length > 256) return { ok: false, why: 'routePrefix is longer than 256 characters' };
  if (hasControlCharacters(raw)) return { ok: false, why: 'routePrefix contains control or invisible characters' };
  if (raw.includes('%')) return { ok: false, why: 'routePrefix contains percent-encoding' };
  if (!PREFIX_CHARACTERS.test(raw)) return { ok: false, why: 'routePrefix contains characters not allowed in a URL path' };
  const segments = raw.split('/').filter(Boolean);
  if (segments.some((s) => s === '.' || s === '..')) return { ok: false, why: 'routePrefix contains a "." or ".." segment' };
  return { ok: true, value: segments.length ? `/${segments.join('/')}` : '' };
}

/** A candidate for messages: hostile names are shown escaped (no bidi or control characters reach a reader) and short. */
export function describeCandidate(c: Pick<Candidate, 'namespace' | 'service' | 'port'>): string {
  return `${printable(c.namespace)}/${printable(c.service)}:${printable(String(c.port))}`;
}

function printable(s: unknown): string {
  const text = String(s);
  const short = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  if (/^[a-z0-9.-]+$/.test(short)) return short;
  return JSON.stringify(short).replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Awaits a lookup; a failed one yields undefined, but an abort always propagates (the task must stop now). */
async function quietly<T>(p: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  try {
    return await untilAborted(p, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    return undefined;
  }
}

/**
 * Settles with `p`, or rejects with the abort reason as soon as `signal` aborts. The request behind `p` still ends at
 * its own timeout, but nothing waits for it, so no further request follows it.
 */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * The URL stored for a verified candidate (in-cluster DNS name), normalised exactly as a hand-set URL is. Throws when the
 * candidate is unsafe or the result's host, port or path is not the one its validated parts describe.
 */
export function candidateUrl(c: Candidate): string {
  const problem = candidateProblem(c);
  if (problem) throw new Error(`refusing to store the URL of ${describeCandidate(c)}: ${problem}`);
  const host = `${c.service}.${c.namespace}.svc.cluster.local`;
  const stored = parsePrometheusUrl(`${c.scheme}://${host}:${c.port}${c.routePrefix}`)!;
  const url = new URL(stored);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (url.hostname !== host || port !== c.port || url.pathname.replace(/\/$/, '') !== c.routePrefix || url.search || url.hash) {
    throw new Error(`refusing to store the URL of ${describeCandidate(c)}: it does not normalise to its own host and path`);
  }
  return stored;
}
