/**
 * What a proxied request does, derived from its method and path the way the Kubernetes API server's RequestInfo
 * resolver does (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go), so the gateway's verdict and the cluster's
 * RBAC talk about the same verb and resource.
 */
export interface KubeRequestInfo {
  /** `/api/...` or `/apis/...` with a resource; false for `/version`, `/healthz`, discovery documents and the like. */
  isResourceRequest: boolean;
  /** get, list, watch, create, update, patch, delete, deletecollection, proxy; for non-resource paths the lower-case method. */
  verb: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  /** The path as the API server saw it, for non-resource messages. */
  path: string;
}

const READ_VERBS = new Set(['get', 'list', 'watch']);
/** Subresources that run something in the cluster or reach past the API server: never for a viewer. */
const ACTIVE_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

/**
 * `segments` are the decoded path segments below the cluster's API root (no empty ones: the path was validated);
 * `query` the request's query.
 */
export function requestInfoOf(method: string, segments: readonly string[], query: URLSearchParams): KubeRequestInfo {
  const info: KubeRequestInfo = {
    isResourceRequest: false,
    verb: method.toLowerCase(),
    apiGroup: '',
    resource: '',
    subresource: '',
    namespace: '',
    name: '',
    path: `/${segments.join('/')}`,
  };
  let parts: readonly string[];
  if (segments[0] === 'api' && segments.length >= 2) parts = segments.slice(2);
  else if (segments[0] === 'apis' && segments.length >= 3) {
    info.apiGroup = segments[1]!;
    parts = segments.slice(3);
  } else return info;
  if (parts.length === 0) return info; // the group-version's discovery document

  info.isResourceRequest = true;
  let verbFromPath: string | undefined;
  // Legacy prefixes: /api/v1/watch/pods, /api/v1/proxy/nodes/x.
  if (parts[0] === 'watch' || parts[0] === 'proxy') {
    verbFromPath = parts[0];
    parts = parts.slice(1);
  }
  if (parts[0] === 'namespaces' && parts.length >= 2) {
    info.namespace = parts[1]!;
    // /namespaces/x (and its status/finalize) is the namespace object itself; /namespaces/x/pods/... a namespaced resource.
    if (parts.length > 2 && parts[2] !== 'status' && parts[2] !== 'finalize') parts = parts.slice(2);
  }
  info.resource = parts[0] ?? '';
  info.name = parts[1] ?? '';
  info.subresource = parts[2] ?? '';

  if (verbFromPath) info.verb = verbFromPath;
  else info.verb = verbOf(method, info.name !== '', query);
  return info;
}

function verbOf(method: string, hasName: boolean, query: URLSearchParams): string {
  switch (method.toUpperCase()) {
    case 'GET':
    case 'HEAD': {
      const watch = query.get('watch');
      if (watch === 'true' || watch === '1') return 'watch';
      return hasName ? 'get' : 'list';
    }
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** Whether this request only reads: what READ_ONLY mode lets through, and what is not audited. */
export function isReadRequest(info: KubeRequestInfo): boolean {
  if (!info.isResourceRequest) return info.verb === 'get' || info.verb === 'head';
  return READ_VERBS.has(info.verb) && !ACTIVE_SUBRESOURCES.has(info.subresource);
}

/** The VIEWER rule (DESIGN, Access): get/list/watch, except secrets and except exec/attach/port-forward/proxy. */
export function viewerMay(info: KubeRequestInfo): boolean {
  return isReadRequest(info) && info.resource !== 'secrets';
}

/**
 * The API server's forbidden message (its `forbiddenMessage` plus `errors.NewForbidden`), so kubectl prints what it
 * would print for the cluster's own RBAC: `pods "x" is forbidden: User "bob" cannot delete resource "pods" in API group
 * "" in the namespace "default"`.
 */
export function forbiddenMessage(user: string, info: KubeRequestInfo): string {
  if (!info.isResourceRequest) return `forbidden: User "${user}" cannot ${info.verb} path "${info.path}"`;
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  const scope = info.namespace ? `in the namespace "${info.namespace}"` : 'at the cluster scope';
  const reason = `User "${user}" cannot ${info.verb} resource "${resource}" in API group "${info.apiGroup}" ${scope}`;
  const qualified = info.apiGroup ? `${info.resource}.${info.apiGroup}` : info.resource;
  return info.name ? `${qualified} "${info.name}" is forbidden: ${reason}` : `${qualified} is forbidden: ${reason}`;
}
