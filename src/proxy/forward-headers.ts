import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection and are never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Headers of the caller that must never reach the cluster: its gateway credential, identity assertions the cluster
 * could believe (impersonation, front-proxy user headers), the gateway's own context-switching headers, and `host`
 * (node sets the cluster's). Impersonation is added back by the gateway itself, from the verified token only.
 */
const CALLER_ONLY = new Set(['authorization', 'host', 'cookie', 'x-cluster-name', 'x-cluster-id', 'x-remote-user', 'x-remote-group']);
const CALLER_ONLY_PREFIXES = /^(?:impersonate-|x-remote-extra-)/;
const NONE: ReadonlySet<string> = new Set();

/** Names listed in `Connection: a, b` are hop-by-hop for this message too. */
function connectionListed(headers: IncomingHttpHeaders): ReadonlySet<string> {
  const value = headers.connection;
  // Most messages have none, or a bare keep-alive/close (hop-by-hop anyway): no set to build per request.
  if (typeof value !== 'string' || HOP_BY_HOP.has(value) || value === 'close') return NONE;
  return new Set(
    value
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * The caller's headers as they go to the cluster. `upgrade` keeps `Connection: Upgrade` and `Upgrade` (the one case
 * where hop-by-hop headers must travel: the gateway relays the upgrade end to end).
 */
export function requestHeadersToCluster(incoming: IncomingHttpHeaders, upgrade: boolean): OutgoingHttpHeaders {
  const listed = connectionListed(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name) || CALLER_ONLY.has(name) || CALLER_ONLY_PREFIXES.test(name)) continue;
    out[name] = value;
  }
  if (upgrade && typeof incoming.upgrade === 'string') {
    out.connection = 'Upgrade';
    out.upgrade = incoming.upgrade;
  }
  return out;
}

/** The cluster's response headers as they go to the caller: everything but hop-by-hop ones. */
export function responseHeadersToCaller(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionListed(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name) || name === 'set-cookie') continue;
    out[name] = value;
  }
  return out;
}

/** The impersonation headers for a caller, when the cluster asks for them (its `impersonate` flag). */
export function impersonationHeaders(subject: string, groups: readonly string[]): OutgoingHttpHeaders {
  return groups.length ? { 'impersonate-user': subject, 'impersonate-group': [...groups] } : { 'impersonate-user': subject };
}
