import { ApiException } from '@kubernetes/client-node';
import type { UnreachableReason } from '../errors.js';
import type { KubeClient } from './kube-client.js';

/** A failure talking to a cluster, classified so health and the C6 answer can say why in words and as data. */
export interface KubeFailure {
  reason: UnreachableReason;
  /** HTTP status when the API server answered. */
  status?: number;
  message: string;
}

export interface NodeFigures {
  total: number;
  ready: number;
  notReadyNames: string[];
}

/** What one health probe learned. Each part can fail on its own (partial permissions), so each is a result. */
export interface ProbeResult {
  version: { ok: true; gitVersion: string } | { ok: false; failure: KubeFailure };
  nodes: { ok: true; figures: NodeFigures } | { ok: false; failure: KubeFailure };
  pods: { ok: true; count: number; requests: number } | { ok: false; failure: KubeFailure };
  credentialExpiresAt: Date | null;
}

const PAGE_SIZE = 500;

export interface ProbeOptions {
  /**
   * Ask for nodes and pods one after the other on the version request's connection instead of in parallel on two.
   * Costs one round trip of latency but saves a TLS handshake per probe (on both ends) and halves the sockets in
   * flight: right for a sweep over many clusters, which is CPU bound; an interactive test keeps the lower latency.
   */
  oneConnection?: boolean;
}

export async function probeCluster(client: KubeClient, opts: ProbeOptions = {}): Promise<ProbeResult> {
  // Version first: if the cluster is down there is no point firing the other two.
  const version = await attempt(async () => cleanVersion((await client.version.getCode()).gitVersion));
  if (!version.ok && (version.failure.reason !== 'API_ERROR' || (version.failure.status ?? 0) >= 500)) {
    const failed = { ok: false as const, failure: version.failure };
    return { version: failed, nodes: failed, pods: failed, credentialExpiresAt: client.credentialExpiresAt };
  }
  const [nodes, pods] = opts.oneConnection
    ? [await attempt(() => countNodes(client)), await attempt(() => countPods(client))]
    : await Promise.all([attempt(() => countNodes(client)), attempt(() => countPods(client))]);
  return {
    version: version.ok ? { ok: true, gitVersion: version.value } : version,
    nodes: nodes.ok ? { ok: true, figures: nodes.value } : nodes,
    pods: pods.ok ? { ok: true, ...pods.value } : pods,
    credentialExpiresAt: client.credentialExpiresAt,
  };
}

/**
 * A version string as reported by a server we do not control: printable ASCII, at most 64 characters (the column),
 * so a hostile or broken API server cannot make a probe or a connection test fail to store.
 */
export function cleanVersion(raw: unknown): string {
  const text = typeof raw === 'string' ? raw.replace(/[^\x20-\x7e]/g, '').trim() : '';
  return (text || 'unknown').slice(0, 64);
}

/** Nodes by one list; Ready means the Ready condition is True. */
export async function countNodes(client: KubeClient): Promise<NodeFigures> {
  const list = await client.core.listNode();
  const notReadyNames: string[] = [];
  for (const node of list.items) {
    const ready = node?.status?.conditions?.find((c) => c?.type === 'Ready')?.status === 'True';
    if (!ready) notReadyNames.push(typeof node?.metadata?.name === 'string' ? node.metadata.name : '?');
  }
  return { total: list.items.length, ready: list.items.length - notReadyNames.length, notReadyNames };
}

/**
 * Pods are counted with `limit=1` and `metadata.remainingItemCount`: one small request however big the cluster.
 * Only when the server omits the count (old servers, some proxies) does it fall back to paging.
 */
export async function countPods(client: KubeClient): Promise<{ count: number; requests: number }> {
  const first = await client.core.listPodForAllNamespaces({ limit: 1 });
  const remaining = first.metadata?.remainingItemCount;
  if (typeof remaining === 'number') return { count: first.items.length + remaining, requests: 1 };
  let count = first.items.length;
  let token = first.metadata?._continue;
  let requests = 1;
  while (token) {
    const page = await client.core.listPodForAllNamespaces({ limit: PAGE_SIZE, _continue: token });
    requests++;
    const more = page.metadata?.remainingItemCount;
    if (typeof more === 'number') return { count: count + page.items.length + more, requests };
    count += page.items.length;
    token = page.metadata?._continue;
  }
  return { count, requests };
}

async function attempt<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; failure: KubeFailure }> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, failure: classifyKubeError(err) };
  }
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** Maps anything the client can throw to a reason a person (and a program) can act on. */
export function classifyKubeError(err: unknown): KubeFailure {
  if (err instanceof ApiException) {
    const status = err.code;
    const apiMessage = statusMessage(err.body);
    if (status === 401) return { reason: 'UNAUTHORIZED', status, message: 'the API server rejected the credentials (401 Unauthorized)' };
    if (status === 403) return { reason: 'FORBIDDEN', status, message: `permission denied (403)${apiMessage ? `: ${apiMessage}` : ''}` };
    if (status >= 200 && status < 300) return { reason: 'API_ERROR', status, message: 'the API server sent a response that is not valid Kubernetes JSON' };
    return { reason: 'API_ERROR', status, message: `the API server answered ${status}${apiMessage ? `: ${apiMessage}` : ''}` };
  }
  const codes = errorCodes(err);
  // Messages quote the request URL; a host name containing "tls" must not make a DNS failure look like a TLS one.
  const text = errorText(err).replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>');
  if (codes.includes('ECONNREFUSED')) return { reason: 'REFUSED', message: 'connection refused by the API server address' };
  if (codes.includes('ENOTFOUND') || codes.includes('EAI_AGAIN')) return { reason: 'DNS', message: 'the API server host name does not resolve' };
  if (codes.some((c) => TLS_CODES.has(c) || c.startsWith('ERR_SSL') || c.startsWith('ERR_TLS')) || /certificate|self[- ]signed|\bssl\b|\btls\b/i.test(text)) {
    return { reason: 'TLS', message: `TLS verification failed: ${firstSentence(text)}` };
  }
  if (codes.includes('ETIMEDOUT') || codes.includes('ABORT_ERR') || /aborted|timeout|timed out/i.test(text)) {
    return { reason: 'TIMEOUT', message: 'the API server did not answer in time' };
  }
  if (codes.includes('ECONNRESET') || codes.includes('EPIPE') || /socket hang up/i.test(text)) {
    return { reason: 'NETWORK', message: 'the connection was reset by the API server' };
  }
  if (err instanceof SyntaxError || /JSON|Unexpected token|parse/i.test(text)) {
    return { reason: 'API_ERROR', message: 'the API server sent a response that is not valid JSON' };
  }
  return { reason: 'NETWORK', message: `cannot reach the API server: ${firstSentence(text)}` };
}

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  for (let e = err as Record<string, unknown> | undefined, depth = 0; e && depth < 6; e = e.cause as Record<string, unknown>, depth++) {
    for (const key of ['code', 'errno', 'type', 'name']) {
      const v = e[key];
      if (typeof v === 'string') codes.push(v === 'AbortError' || v === 'aborted' || v === 'TimeoutError' ? 'ABORT_ERR' : v);
    }
  }
  return codes;
}

function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 6; e = e.cause as typeof e, depth++) {
    if (typeof e.message === 'string') parts.push(e.message);
  }
  return parts.join(': ');
}

function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const message = (parsed as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message.slice(0, 300) : undefined;
}

function firstSentence(s: string): string {
  return s.split('\n')[0]!.slice(0, 200);
}
