import http from 'node:http';
import https from 'node:https';
import { normaliseRoutePrefix, type Candidate } from '../discovery/candidates.js';
import { serviceProxyPath } from '../discovery/verify.js';
import { PrometheusUnreachableError } from '../errors.js';
import type { KubeClient } from '../kube/kube-client.js';
import { endpointOf, httpGet } from '../kube/kube-http.js';

/** Most bytes one Prometheus answer may bring (on the wire and decompressed): 11,000 points of one series are ~0.4 MB. */
export const MAX_PROMETHEUS_RESPONSE_BYTES = 4 * 1024 * 1024;

/** How a cluster's Prometheus is reached: through the API server's service proxy, or directly. */
export type PrometheusTarget = { kind: 'service'; service: Candidate } | { kind: 'direct'; base: string };

/** One GET on the Prometheus HTTP API (`api/v1/…` with its query string). Resolves for any status; rejects on transport failures. */
export interface PrometheusEndpoint {
  readonly target: PrometheusTarget;
  get(apiPath: string, timeoutMs: number): Promise<{ status: number; body: string }>;
}

const IN_CLUSTER_SUFFIXES = ['.svc.cluster.local', '.svc'];

/**
 * Where a stored Prometheus URL points. `<service>.<namespace>.svc[.cluster.local]` (what discovery stores, or an
 * operator types) only resolves inside the cluster, so it is reached through the API server's service proxy with the
 * cluster's stored credentials, under the same path-safety rules discovery verifies with (`serviceProxyPath`). Any
 * other URL is fetched directly. The URL's query and fragment, if any, play no part.
 */
export function targetOf(url: string): PrometheusTarget {
  const parsed = new URL(url);
  const host = parsed.hostname.toLowerCase();
  const suffix = IN_CLUSTER_SUFFIXES.find((s) => host.endsWith(s));
  if (!suffix) return { kind: 'direct', base: `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}` };
  const labels = host.slice(0, -suffix.length).split('.');
  const prefix = normaliseRoutePrefix(parsed.pathname);
  const scheme = parsed.protocol === 'https:' ? 'https' : 'http';
  const port = parsed.port ? Number(parsed.port) : scheme === 'https' ? 443 : 80;
  if (labels.length !== 2 || !prefix.ok) {
    const why = !prefix.ok ? prefix.why : 'the host is not <service>.<namespace>.svc';
    throw new PrometheusUnreachableError(
      'DNS',
      `the Prometheus URL ${url} names an in-cluster address that cannot be reached through the service proxy: ${why}`,
    );
  }
  return {
    kind: 'service',
    service: { service: labels[0]!, namespace: labels[1]!, port, scheme, routePrefix: prefix.value, source: 'well-known-name' },
  };
}

/** Through the API server's service proxy, with the cluster's client (its agent, credentials and TLS settings). */
export function serviceProxyEndpoint(target: Extract<PrometheusTarget, { kind: 'service' }>, client: KubeClient): PrometheusEndpoint {
  return {
    target,
    // serviceProxyPath refuses (throws) any path that would leave the service's proxy subtree.
    get: (apiPath, timeoutMs) => client.rawGet(serviceProxyPath(target.service, apiPath), { timeoutMs }),
  };
}

// Direct Prometheus connections share two keep-alive pools; each request is held to its own timeout by httpGet.
const agentOptions = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16, timeout: 30_000 };
const directAgents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };

/**
 * Straight to the URL: no credentials are sent, redirects are not followed (a 3xx is "not Prometheus"), and the
 * answer is bounded in time and bytes by the same GET the kube clients use.
 */
export function directEndpoint(target: Extract<PrometheusTarget, { kind: 'direct' }>): PrometheusEndpoint {
  const ep = endpointOf(target.base, target.base.startsWith('https:') ? directAgents.https : directAgents.http, undefined);
  return {
    target,
    get: async (apiPath, timeoutMs) => {
      const { status, body } = await httpGet(ep, `${ep.basePath}/${apiPath}`, { timeoutMs, maxBytes: MAX_PROMETHEUS_RESPONSE_BYTES });
      return { status, body };
    },
  };
}
