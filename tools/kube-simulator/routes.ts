/**
 * Request routing of one virtual cluster: discovery, resources (list/get, with RBAC-like `forbid`) and the
 * service proxy target resolution. Handlers return a `Reply`; the server writes it (and streams lists).
 */
import { apiGroup, apiGroupList, apiVersions, coreResources, MONITORING_GROUP, monitoringResources, versionInfo } from './discovery.js';
import { arraySource, listPage, StatusError, type IndexedSource } from './list.js';
import type { ClusterModel } from './model.js';
import { nodeName } from './model.js';
import { buildNamespace, buildNode, buildPod, buildPrometheus, buildService, serviceFacts, withType, type KubeObject } from './objects.js';
import { resolveProxy, type ProxyTarget } from './proxy.js';
import { forbidden, methodNotAllowed, notFound, notFoundPath, type KubeStatus } from './status.js';
import { tableHead, tableRow, wantsTable } from './table.js';

/** What to send back. */
export type Reply =
  | { type: 'json'; status: number; body: unknown }
  | { type: 'text'; status: number; body: string }
  /** A list whose `key` array is streamed from a lazy iterable after the `head` fields. */
  | { type: 'list'; head: Record<string, unknown>; key: 'items' | 'rows'; items: Iterable<unknown> }
  | { type: 'proxy'; target: ProxyTarget };

/** The request as routes see it. */
export interface RouteRequest {
  model: ClusterModel;
  user: string;
  method: string;
  /** Raw (still percent-encoded) path. */
  path: string;
  query: URLSearchParams;
  accept: string | undefined;
  server: string;
}

const json = (body: unknown, status = 200): Reply => ({ type: 'json', status, body });
const fail = (s: KubeStatus): Reply => json(s, s.code);

interface ResourceDef {
  name: string;
  kind: string;
  apiVersion: string;
  group: string;
  namespaced: boolean;
  /** Objects of the namespace (or all). */
  source(m: ClusterModel, ns?: string): IndexedSource;
  get(m: ClusterModel, ns: string | undefined, name: string): KubeObject | undefined;
}

const RESOURCES: Record<string, ResourceDef> = {
  namespaces: {
    name: 'namespaces',
    kind: 'Namespace',
    apiVersion: 'v1',
    group: '',
    namespaced: false,
    source: (m) =>
      arraySource(
        m.namespaces(),
        (n) => ({ name: n, labels: { 'kubernetes.io/metadata.name': n } }),
        (n) => buildNamespace(m, n),
        ['status.phase'],
      ),
    get: (m, _ns, name) => (m.namespaces().includes(name) ? buildNamespace(m, name) : undefined),
  },
  nodes: {
    name: 'nodes',
    kind: 'Node',
    apiVersion: 'v1',
    group: '',
    namespaced: false,
    source: (m) => ({
      start: 0,
      end: Math.max(0, m.knobs.nodes),
      facts: (i) => m.nodeFacts(i),
      build: (i) => buildNode(m, i),
      extraFields: ['spec.unschedulable'],
    }),
    get(m, _ns, name) {
      const i = Number(/^node-(\d+)$/.exec(name)?.[1] ?? -1);
      return i >= 0 && i < m.knobs.nodes && nodeName(i) === name ? buildNode(m, i) : undefined;
    },
  },
  pods: {
    name: 'pods',
    kind: 'Pod',
    apiVersion: 'v1',
    group: '',
    namespaced: true,
    source(m, ns) {
      const [start, end] = m.podRange(ns);
      return { start, end, facts: (i) => m.podFacts(i), build: (i) => buildPod(m, i), extraFields: ['spec.nodeName', 'status.phase'] };
    },
    get(m, ns, name) {
      const i = m.podIndex(ns ?? '', name);
      return i >= 0 ? buildPod(m, i) : undefined;
    },
  },
  services: {
    name: 'services',
    kind: 'Service',
    apiVersion: 'v1',
    group: '',
    namespaced: true,
    source: (m, ns) =>
      arraySource(
        m.services().filter((s) => ns === undefined || s.namespace === ns),
        serviceFacts,
        (s) => buildService(m, s),
      ),
    get(m, ns, name) {
      const s = m.services().find((x) => x.namespace === ns && x.name === name);
      return s && buildService(m, s);
    },
  },
  prometheuses: {
    name: 'prometheuses',
    kind: 'Prometheus',
    apiVersion: `${MONITORING_GROUP}/v1`,
    group: MONITORING_GROUP,
    namespaced: true,
    source: (m, ns) =>
      arraySource(
        m.prometheuses().filter((p) => ns === undefined || p.namespace === ns),
        (p) => ({ name: p.name, namespace: p.namespace, labels: p.labels ?? {} }),
        (p) => buildPrometheus(m, p),
      ),
    get(m, ns, name) {
      const p = m.prometheuses().find((x) => x.namespace === ns && x.name === name);
      return p && buildPrometheus(m, p);
    },
  },
};

/** Whether `resource` (e.g. `pods`, `services/proxy`) is forbidden by the `forbid` knob. */
export function isForbidden(m: ClusterModel, resource: string): boolean {
  const f = m.knobs.forbid;
  return f.includes('*') || f.includes(resource);
}

function resourceRequest(r: RouteRequest, def: ResourceDef, ns: string | undefined, name: string | undefined): Reply {
  if (r.method !== 'GET' && r.method !== 'HEAD') return fail(methodNotAllowed());
  const verb = name ? 'get' : r.query.get('watch') === 'true' || r.query.get('watch') === '1' ? 'watch' : 'list';
  if (isForbidden(r.model, def.name)) return fail(forbidden({ user: r.user, verb, resource: def.name, group: def.group, namespace: ns, name }));
  // Watches are not simulated; say so rather than answering a list to a client expecting an event stream.
  if (verb === 'watch') return fail(methodNotAllowed());
  const table = wantsTable(r.accept);
  const include = r.query.get('includeObject') ?? undefined;
  if (name !== undefined) {
    const obj = def.get(r.model, ns, name);
    if (!obj) return fail(notFound(def.name, name, def.group));
    if (table) {
      return json({
        ...tableHead(def.name, { resourceVersion: String(r.model.rv) }),
        rows: [tableRow(def.name, obj, def.kind, def.apiVersion, include)],
      });
    }
    return json(def.group ? obj : withType(obj, def.kind, def.apiVersion));
  }
  const page = listPage(r.model, def.source(r.model, ns), {
    limit: r.query.get('limit') ?? undefined,
    continue: r.query.get('continue') ?? undefined,
    labelSelector: r.query.get('labelSelector') ?? undefined,
    fieldSelector: r.query.get('fieldSelector') ?? undefined,
  });
  if (table) {
    const items = page.items;
    const rows = (function* () {
      for (const o of items) yield tableRow(def.name, o, def.kind, def.apiVersion, include);
    })();
    return { type: 'list', head: tableHead(def.name, page.metadata), key: 'rows', items: rows };
  }
  return { type: 'list', head: { kind: `${def.kind}List`, apiVersion: def.apiVersion, metadata: page.metadata }, key: 'items', items: page.items };
}

/** Routes for `/api/v1/...` and `/apis/monitoring.coreos.com/v1/...` below the group-version prefix. */
function groupVersionRequest(r: RouteRequest, segs: string[], allowed: string[]): Reply {
  const [a, b, c, d, e] = segs;
  if (a === undefined) return fail(notFoundPath());
  const def = (n: string | undefined): ResourceDef | undefined => (n !== undefined && allowed.includes(n) ? RESOURCES[n] : undefined);
  if (a === 'namespaces' && b !== undefined && c !== undefined) {
    if (c === 'services' && e === 'proxy' && d !== undefined && allowed.includes('services'))
      return proxyRequest(r, decodeSegment(b), decodeSegment(d));
    const rd = def(c);
    if (!rd?.namespaced || segs.length > 4) return fail(notFoundPath());
    return resourceRequest(r, rd, b, d);
  }
  const rd = def(a);
  if (!rd || segs.length > 2 || (rd.namespaced && b !== undefined)) return fail(notFoundPath());
  return resourceRequest(r, rd, undefined, b);
}

/** Like the API server, the namespace and service segments are matched decoded (`a%40b` names the service `a@b`). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function proxyRequest(r: RouteRequest, ns: string, id: string): Reply {
  const verb =
    ({ GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[r.method] ?? 'get';
  if (isForbidden(r.model, 'services/proxy'))
    return fail(forbidden({ user: r.user, verb, resource: 'services/proxy', group: '', namespace: ns, name: id }));
  // The tail is forwarded still percent-encoded: ['', 'api', 'v1', 'namespaces', ns, 'services', id, 'proxy', ...tail].
  const rest = `/${r.path.split('/').slice(8).join('/')}`;
  return { type: 'proxy', target: resolveProxy(r.model, ns, id, rest, r.query) };
}

/** Routes one authenticated request. */
export function route(r: RouteRequest): Reply {
  try {
    return dispatch(r);
  } catch (e) {
    if (e instanceof StatusError) return fail(e.status);
    throw e;
  }
}

/** Malformed percent-encoding is left as is (it then simply matches nothing: 404). */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function dispatch(r: RouteRequest): Reply {
  const path = r.path.length > 1 ? r.path.replace(/\/+$/, '') : r.path;
  const segs = path
    .split('/')
    .filter((s) => s !== '')
    .map(safeDecode);
  const isRead = r.method === 'GET' || r.method === 'HEAD';
  const fixed: Record<string, () => Reply> = {
    '/healthz': () => ({ type: 'text', status: 200, body: 'ok' }),
    '/livez': () => ({ type: 'text', status: 200, body: 'ok' }),
    '/readyz': () => ({ type: 'text', status: 200, body: 'ok' }),
    '/version': () => json(versionInfo(r.model)),
    '/api': () => json(apiVersions(r.server)),
    '/api/v1': () => json(coreResources()),
    '/apis': () => json(apiGroupList(r.model)),
  };
  const fixedHandler = fixed[path];
  if (fixedHandler) return isRead ? fixedHandler() : fail(methodNotAllowed());
  if (segs[0] === 'api' && segs[1] === 'v1') {
    return groupVersionRequest(r, segs.slice(2), ['namespaces', 'nodes', 'pods', 'services']);
  }
  if (segs[0] === 'apis' && segs[1] === MONITORING_GROUP && r.model.monitoringEnabled()) {
    if (segs.length === 2) return isRead ? json(apiGroup()) : fail(methodNotAllowed());
    if (segs[2] !== 'v1') return fail(notFoundPath());
    if (segs.length === 3) return isRead ? json(monitoringResources()) : fail(methodNotAllowed());
    return groupVersionRequest(r, segs.slice(3), ['prometheuses']);
  }
  return fail(notFoundPath());
}
