import { refuse } from './kube-status.js';

/** The two proxy mount points (DESIGN, REST surface). */
export const CLUSTER_PROXY_PREFIX = '/api/v1/k8s/clusters/';
export const CURRENT_PROXY_PREFIX = '/api/v1/k8s/proxy';

/** The route templates requests are recorded under (never the raw path: it may name anything). */
export const CLUSTER_PROXY_ROUTE = '/api/v1/k8s/clusters/:id/proxy/*';
export const CURRENT_PROXY_ROUTE = '/api/v1/k8s/proxy/*';

/** Where a proxied request goes and what it asks for, after validation. */
export interface ProxyPath {
  /** `cluster`: the id in the path; `current`: the context-switching selector, else the default cluster. */
  target: { kind: 'cluster'; id: string } | { kind: 'current'; name?: string };
  route: string;
  /** Path and query to send below the cluster's server URL: still percent-encoded as the client sent it. */
  forwardPath: string;
  /** Decoded, non-empty path segments (for RequestInfo). */
  segments: string[];
  query: URLSearchParams;
}

const CLUSTER_PROXY = /^\/api\/v1\/k8s\/clusters\/([^/?]+)\/proxy(?=\/|$)/;

/** Whether a raw request target is on one of the proxy mount points (cheap: called for every request). */
export function isProxyUrl(url: string): boolean {
  if (url.startsWith(CURRENT_PROXY_PREFIX)) {
    const next = url.charAt(CURRENT_PROXY_PREFIX.length);
    return next === '' || next === '/' || next === '?';
  }
  return url.startsWith(CLUSTER_PROXY_PREFIX) && CLUSTER_PROXY.test(url.split('?', 1)[0]!);
}

/**
 * Parses and validates a proxy request target. The forwarded path can only ever be a path on the cluster's own API
 * server: the host and port come from the stored kubeconfig, and here the path is refused (400 Status) when it has a
 * `.` or `..` segment (also percent-encoded), an empty segment (`//`, which some servers read as an authority), an
 * encoded slash or backslash, a backslash, or control characters. Nothing is decoded and re-encoded on the way: what
 * is checked is what is sent.
 */
export function parseProxyPath(rawUrl: string): ProxyPath {
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const rawQuery = q === -1 ? '' : rawUrl.slice(q + 1);
  let target: ProxyPath['target'];
  let route: string;
  let kubePath: string;
  let query = rawQuery;
  const byId = CLUSTER_PROXY.exec(rawPath);
  if (byId) {
    target = { kind: 'cluster', id: decodeSafe(byId[1]!) };
    route = CLUSTER_PROXY_ROUTE;
    kubePath = rawPath.slice(byId[0].length);
  } else {
    kubePath = rawPath.slice(CURRENT_PROXY_PREFIX.length);
    route = CURRENT_PROXY_ROUTE;
    // `?cluster=<name>` selects the cluster and is not part of the Kubernetes request.
    const kept: string[] = [];
    let name: string | undefined;
    for (const pair of rawQuery.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const key = decodeQueryPart(eq === -1 ? pair : pair.slice(0, eq));
      if (key === 'cluster') name = decodeQueryPart(eq === -1 ? '' : pair.slice(eq + 1));
      else kept.push(pair);
    }
    query = kept.join('&');
    target = name !== undefined && name !== '' ? { kind: 'current', name } : { kind: 'current' };
  }
  if (kubePath === '') kubePath = '/';
  const segments = validatedSegments(kubePath);
  if (/[\u0000-\u001f\u007f\s]/.test(query)) throw badPath('the query contains control characters or spaces');
  return { target, route, forwardPath: query ? `${kubePath}?${query}` : kubePath, segments, query: new URLSearchParams(query) };
}

function validatedSegments(path: string): string[] {
  if (!path.startsWith('/')) throw badPath('the path must start with "/"');
  if (/[\u0000-\u001f\u007f\s\\#]/.test(path)) throw badPath('the path contains a backslash, "#", a space or a control character');
  const raw = path.split('/').slice(1);
  // One trailing slash is harmless (`/api/v1/`); any other empty segment is not.
  if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop();
  if (raw.length === 1 && raw[0] === '') return [];
  const segments: string[] = [];
  for (const segment of raw) {
    if (segment === '') throw badPath('the path contains an empty segment ("//")');
    if (/%2f|%5c|%00/i.test(segment)) throw badPath('the path contains an encoded "/", "\\" or NUL');
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw badPath('the path has malformed percent-encoding');
    }
    if (decoded === '.' || decoded === '..') throw badPath('the path contains a "." or ".." segment');
    segments.push(decoded);
  }
  return segments;
}

const badPath = (why: string) => refuse(400, 'BadRequest', `invalid proxy path: ${why}`);

function decodeSafe(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function decodeQueryPart(v: string): string {
  return decodeSafe(v.replace(/\+/g, ' '));
}
