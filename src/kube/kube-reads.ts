import { type KubeEndpoint, UnexpectedResponseError, httpGet } from './kube-http.js';

/**
 * The handful of Kubernetes reads the gateway makes (health probes, connection tests, Prometheus discovery), as plain
 * GETs through `httpGet` with the per-kind response caps of `responseCapFor`. In place of the generated Kubernetes
 * client library the gateway used before, for eight GETs: it held every model of the whole API reachable through its
 * serializer, which every garbage collection then walked. Without it the compiled gateway idles on PostgreSQL at about
 * 240 MB of RSS instead of 280, with 34 MB of live heap instead of 55 (issue 18, bench/memory.ts).
 *
 * Answers are the server's JSON as sent (`metadata.continue`, timestamps as strings), typed with only the fields the
 * gateway reads. The server may be hostile: a list is checked to be a list before it is returned, and the fields of
 * its items are as Kubernetes documents them only if the server says so; callers check each value they use.
 */

/** A non-2xx answer from the API server, with what its `Status` body says (capped), when it sent one. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    /** `Status.message`, at most `MAX_STATUS_MESSAGE` characters. */
    readonly apiMessage: string | undefined,
    /** `Status.reason` (`NotFound`, `Forbidden`, …), at most 64 characters. */
    readonly apiReason: string | undefined,
  ) {
    super(`the API server answered ${status}`);
    this.name = 'KubeApiError';
  }
}

/** The list envelope: `continue` and `remainingItemCount` only when the server sent them with the right types. */
export interface KubeList<T> {
  metadata?: { continue?: string; remainingItemCount?: number };
  items: T[];
}

/** A Node as far as readiness goes. Items may be anything the server sent (`null` included). */
export interface KubeNode {
  metadata?: { name?: string } | null;
  status?: { conditions?: { type?: string; status?: string }[] } | null;
}

export interface KubeServicePort {
  name?: string;
  port: number;
}

/** A Service as far as discovery goes: where it is and which ports it exposes. */
export interface KubeService {
  metadata?: { name?: string; namespace?: string } | null;
  spec?: { ports?: KubeServicePort[] } | null;
}

/** A prometheus-operator `Prometheus` object: its namespace and the path prefix it serves under. */
export interface KubePrometheus {
  metadata?: { namespace?: unknown } | null;
  spec?: { routePrefix?: unknown } | null;
}

export interface ListPage {
  limit?: number;
  continue?: string;
}

export interface KubeReads {
  /** `GET /version`: the server's version document, unchecked (`probe.isKubernetesVersion` checks it). */
  version(): Promise<unknown>;
  listNamespaces(page: ListPage): Promise<KubeList<unknown>>;
  listNodes(page: ListPage): Promise<KubeList<KubeNode | null>>;
  /** Pods of every namespace; items are only counted, never read. */
  listPods(page: ListPage): Promise<KubeList<unknown>>;
  listServices(query: { labelSelector: string }): Promise<KubeList<KubeService | null>>;
  listNamespacedServices(namespace: string): Promise<KubeList<KubeService | null>>;
  readService(namespace: string, name: string): Promise<KubeService>;
  /** Cluster-wide custom objects, e.g. `monitoring.coreos.com/v1` `prometheuses`. */
  listClusterCustomObjects(group: string, version: string, plural: string): Promise<KubeList<KubePrometheus | null>>;
}

const MAX_STATUS_MESSAGE = 300;
/** A real `Status` body is well under a kilobyte; a bigger error body is not parsed for its message. */
const MAX_STATUS_BODY = 64 * 1024;

/**
 * The reads of one cluster through `ep`. `capFor` gives the most bytes a request may bring (by path and query),
 * `timeoutMs` bounds each request, and `signal` (when given) cuts every request short.
 */
export function kubeReads(
  ep: KubeEndpoint,
  opts: { timeoutMs: number; capFor: (pathAndQuery: string) => number; signal: AbortSignal | undefined },
): KubeReads {
  const getJson = async (apiPath: string, query?: URLSearchParams): Promise<unknown> => {
    const qs = query?.toString();
    const path = `${ep.basePath}${apiPath}${qs ? `?${qs}` : ''}`;
    const res = await httpGet(ep, path, { timeoutMs: opts.timeoutMs, maxBytes: opts.capFor(path), signal: opts.signal });
    if (res.status < 200 || res.status > 299) throw apiError(res.status, res.body);
    if (!isJsonMediaType(res.headers['content-type'])) throw new UnexpectedResponseError('a response that is not JSON');
    return JSON.parse(res.body) as unknown;
  };
  const list = async <T>(what: string, apiPath: string, query?: URLSearchParams): Promise<KubeList<T>> =>
    asList<T>(what, await getJson(apiPath, query));
  const seg = encodeURIComponent;
  return {
    version: () => getJson('/version'),
    listNamespaces: (page) => list('namespace', '/api/v1/namespaces', pageQuery(page)),
    listNodes: (page) => list('nodes', '/api/v1/nodes', pageQuery(page)),
    listPods: (page) => list('pods', '/api/v1/pods', pageQuery(page)),
    listServices: ({ labelSelector }) => list('services', '/api/v1/services', new URLSearchParams({ labelSelector })),
    listNamespacedServices: (namespace) => list('services', `/api/v1/namespaces/${seg(namespace)}/services`),
    readService: async (namespace, name) => {
      const svc = await getJson(`/api/v1/namespaces/${seg(namespace)}/services/${seg(name)}`);
      if (!isObject(svc)) throw new UnexpectedResponseError('a service that is not a JSON object');
      return svc as KubeService;
    },
    listClusterCustomObjects: (group, version, plural) => list(plural, `/apis/${seg(group)}/${seg(version)}/${seg(plural)}`),
  };
}

/** `continue` before `limit`, in the order the generated client sent them; the server does not mind the order. */
function pageQuery(page: ListPage): URLSearchParams {
  const q = new URLSearchParams();
  if (page.continue !== undefined) q.set('continue', page.continue);
  if (page.limit !== undefined) q.set('limit', String(page.limit));
  return q;
}

/**
 * A list answer checked as far as paging relies on it: `items` an array, `metadata.continue` a string if present (a
 * token of another type would page forever or end a count early). `remainingItemCount` is kept only as a number, so a
 * count falls back to paging rather than trust anything else.
 */
function asList<T>(what: string, body: unknown): KubeList<T> {
  if (!isObject(body) || !Array.isArray(body.items)) throw new UnexpectedResponseError(`a ${what} list without items`);
  const meta = isObject(body.metadata) ? body.metadata : {};
  const token = meta.continue;
  if (token !== undefined && token !== null && typeof token !== 'string')
    throw new UnexpectedResponseError(`a ${what} list whose continue token is not a string`);
  const metadata: KubeList<T>['metadata'] = {};
  if (typeof token === 'string' && token !== '') metadata.continue = token;
  if (typeof meta.remainingItemCount === 'number') metadata.remainingItemCount = meta.remainingItemCount;
  return { metadata, items: body.items as T[] };
}

function apiError(status: number, body: string): KubeApiError {
  let parsed: unknown;
  if (body.length <= MAX_STATUS_BODY) {
    try {
      parsed = JSON.parse(body);
    } catch {
      // Not a Status object (a proxy's HTML page, plain text): the status code says enough.
    }
  }
  const text = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : undefined);
  const o = isObject(parsed) ? parsed : {};
  return new KubeApiError(status, text(o.message, MAX_STATUS_MESSAGE), text(o.reason, 64));
}

/** `application/json` and its relatives (`application/merge-patch+json`, …), as the generated client accepted them. */
function isJsonMediaType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const [top, sub] = type.split('/');
  return top === 'application' && sub !== undefined && sub.split('+').includes('json');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
