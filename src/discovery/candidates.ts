import type { V1Service } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/kube-client.js';

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
 * Gathers candidates from (a) prometheus-operator `Prometheus` objects, (b) services with the usual labels, (c) well-known
 * service names in well-known namespaces. Lookups that fail (no CRD, no permission, no namespace) just yield nothing.
 */
export async function gatherCandidates(client: KubeClient, signal: AbortSignal): Promise<Candidate[]> {
  const found: Candidate[] = [];
  const seen = new Set<string>();
  const add = (c: Candidate) => {
    const key = `${c.namespace}/${c.service}:${c.port}`;
    if (seen.has(key) || signal.aborted) return;
    seen.add(key);
    found.push(c);
  };

  const [operator, byLabel, byName] = await Promise.all([
    fromOperator(client),
    Promise.all(PROMETHEUS_LABEL_SELECTORS.map((labelSelector) => quietly(client.core.listServiceForAllNamespaces({ labelSelector })))),
    Promise.all(WELL_KNOWN_NAMESPACES.map((namespace) => quietly(client.core.listNamespacedService({ namespace })))),
  ]);
  for (const c of operator) add(c);
  for (const list of byLabel) for (const svc of list?.items ?? []) for (const c of fromService(svc, 'labels', '')) add(c);
  for (const list of byName) {
    for (const svc of list?.items ?? []) {
      if (WELL_KNOWN_SERVICES.includes(svc.metadata?.name ?? '')) for (const c of fromService(svc, 'well-known-name', '')) add(c);
    }
  }
  return found;
}

/** The operator exposes each Prometheus through the `prometheus-operated` service of its namespace (port `web`). */
async function fromOperator(client: KubeClient): Promise<Candidate[]> {
  const list = (await quietly(
    client.customObjects.listClusterCustomObject({ group: 'monitoring.coreos.com', version: 'v1', plural: 'prometheuses' }),
  )) as { items?: { metadata?: { namespace?: string }; spec?: { routePrefix?: string } }[] } | undefined;
  const out: Candidate[] = [];
  for (const p of list?.items ?? []) {
    const namespace = p.metadata?.namespace;
    if (!namespace) continue;
    const routePrefix = normalisePrefix(p.spec?.routePrefix);
    const svc = await quietly(client.core.readNamespacedService({ name: 'prometheus-operated', namespace }));
    const fromSvc = svc ? fromService(svc, 'operator', routePrefix) : [];
    out.push(...(fromSvc.length ? fromSvc : [{ namespace, service: 'prometheus-operated', port: 9090, portName: 'web', scheme: 'http' as const, routePrefix, source: 'operator' as const }]));
  }
  return out;
}

/** Ports worth trying: 9090, or a port named web/http(s). */
function fromService(svc: V1Service, source: Candidate['source'], routePrefix: string): Candidate[] {
  const namespace = svc.metadata?.namespace;
  const service = svc.metadata?.name;
  if (!namespace || !service) return [];
  return (svc.spec?.ports ?? [])
    .filter((p) => p.port === 9090 || ['web', 'http', 'https', 'http-web'].includes(p.name ?? ''))
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

function normalisePrefix(prefix: string | undefined): string {
  if (!prefix || prefix === '/') return '';
  return ('/' + prefix.replace(/^\/+|\/+$/g, '')).replace(/\/+/g, '/');
}

async function quietly<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch {
    return undefined;
  }
}

/** The URL stored for a verified candidate (in-cluster DNS name). */
export function candidateUrl(c: Candidate): string {
  return `${c.scheme}://${c.service}.${c.namespace}.svc.cluster.local:${c.port}${c.routePrefix}`;
}
