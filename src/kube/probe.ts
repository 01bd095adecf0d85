import type { UnreachableReason } from '../errors.js';
import { ConnectTimeoutError, type KubeClient } from './kube-client.js';
import { ConnectionClosedError, RequestTimeoutError, ResponseTooLargeError, UnexpectedResponseError } from './kube-http.js';
import { KubeApiError, type KubeList } from './kube-reads.js';

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
/**
 * Most list pages one count may take: 10,000 objects at `PAGE_SIZE`, twice the nodes Kubernetes supports, and far
 * more pods than a server that omits `remainingItemCount` is ever asked to page through. A list that has not ended by
 * then (or repeats a continue token) is a failure, not a lower bound: a count the gateway cannot vouch for is not shown
 * as a figure, and a server handing out endless tokens is broken or hostile either way.
 */
export const MAX_LIST_PAGES = 20;
/** When no caller says otherwise: well above connect + a few requests at the default timeouts. */
export const DEFAULT_PROBE_DEADLINE_MS = 30_000;

/** A paged list did not end within `MAX_LIST_PAGES`, or handed out the same continue token twice. */
export class ListPagingError extends Error {
  constructor(what: string, why: 'endless' | 'repeated') {
    super(
      why === 'endless'
        ? `the ${what} list did not end within ${MAX_LIST_PAGES} pages of ${PAGE_SIZE}`
        : `the API server repeated a continue token while listing ${what}`,
    );
    this.name = 'ListPagingError';
  }
}

/** A whole probe (or connection test) ran past its deadline; its requests still in flight were cut short. */
export class ProbeDeadlineError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly ms: number) {
    super(`the cluster did not complete its answers within the ${ms} ms probe deadline`);
    this.name = 'ProbeDeadlineError';
  }
}

export interface ProbeOptions {
  /**
   * Ask for nodes and pods one after the other on the version request's connection instead of in parallel on two.
   * Costs one round trip of latency but saves a TLS handshake per probe (on both ends) and halves the sockets in
   * flight: right for a sweep over many clusters, which is CPU bound; an interactive test keeps the lower latency.
   */
  oneConnection?: boolean;
  /** The whole probe, every request included (default `DEFAULT_PROBE_DEADLINE_MS`). */
  deadlineMs?: number;
}

/**
 * Runs `work` with a signal that aborts at `ms` (cutting short every request made through `client.withSignal` of it),
 * and settles by then whatever `work` does: with `work`'s outcome, or with `onDeadline`'s.
 */
export async function withinDeadline<T>(
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
  onDeadline: (err: ProbeDeadlineError) => T,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      const err = new ProbeDeadlineError(ms);
      controller.abort(err);
      try {
        resolve(onDeadline(err));
      } catch (thrown) {
        reject(thrown);
      }
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

type Part<T> = { ok: true; value: T } | { ok: false; failure: KubeFailure };

export async function probeCluster(client: KubeClient, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const ms = opts.deadlineMs ?? DEFAULT_PROBE_DEADLINE_MS;
  // What finished before the deadline is kept: a cluster whose version answered but whose pod list never ends is
  // reported as such, not as "did not answer".
  const done: { version?: Part<string>; nodes?: Part<NodeFigures>; pods?: Part<{ count: number; requests: number }> } = {};
  const result = (): ProbeResult => {
    const late: Part<never> = { ok: false, failure: classifyKubeError(new ProbeDeadlineError(ms)) };
    const version = done.version ?? late;
    if (!version.ok && !worthListing(version.failure)) {
      const failed = { ok: false as const, failure: version.failure };
      return { version: failed, nodes: failed, pods: failed, credentialExpiresAt: client.credentialExpiresAt };
    }
    const nodes = done.nodes ?? late;
    const pods = done.pods ?? late;
    return {
      version: version.ok ? { ok: true, gitVersion: version.value } : version,
      nodes: nodes.ok ? { ok: true, figures: nodes.value } : nodes,
      pods: pods.ok ? { ok: true, ...pods.value } : pods,
      credentialExpiresAt: client.credentialExpiresAt,
    };
  };
  return withinDeadline(
    ms,
    async (signal) => {
      const scoped = client.withSignal(signal);
      // Version first: if the cluster is down there is no point firing the other two.
      done.version = await attempt(async () => {
        const version: unknown = await scoped.reads.version();
        // Any JSON-200 endpoint is not a cluster: "reachable" means a Kubernetes /version answer.
        if (!isKubernetesVersion(version)) throw new UnexpectedResponseError('a /version answer that is not a Kubernetes version');
        return cleanVersion(version.gitVersion);
      });
      const v = done.version;
      if (!v.ok && !worthListing(v.failure)) return result();
      const nodes = async () => (done.nodes = await attempt(() => countNodes(scoped)));
      const pods = async () => (done.pods = await attempt(() => countPods(scoped)));
      if (opts.oneConnection) {
        await nodes();
        await pods();
      } else await Promise.all([nodes(), pods()]);
      return result();
    },
    result,
  );
}

/**
 * After a failed `/version`, nodes and pods are still asked for only when the server answered it with a 4xx of its own
 * (some setups refuse `/version` yet serve lists): a server that is down, slow, broken or hostile is not asked again.
 */
function worthListing(f: KubeFailure): boolean {
  return f.reason === 'API_ERROR' && f.status !== undefined && f.status >= 400 && f.status < 500;
}

/**
 * A version string as reported by a server we do not control: printable ASCII, at most 64 characters (the column),
 * so a hostile or broken API server cannot make a probe or a connection test fail to store.
 */
export function cleanVersion(raw: unknown): string {
  const text = typeof raw === 'string' ? raw.replace(/[^\x20-\x7e]/g, '').trim() : '';
  return (text || 'unknown').slice(0, 64);
}

/** A `/version` document as Kubernetes sends it: string `gitVersion` "vX.Y…", `major` and `minor`. */
export function isKubernetesVersion(v: unknown): v is { gitVersion: string; major: string; minor: string } {
  const o = v as Record<string, unknown> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.gitVersion === 'string' &&
    /^v\d+\.\d+/.test(o.gitVersion) &&
    typeof o.major === 'string' &&
    typeof o.minor === 'string'
  );
}

/** Nodes by pages of `PAGE_SIZE` (one request for most clusters); Ready means the Ready condition is True. */
export async function countNodes(client: KubeClient): Promise<NodeFigures> {
  let total = 0;
  const notReadyNames: string[] = [];
  await forEachPage(
    'nodes',
    undefined,
    (token) => client.reads.listNodes({ limit: PAGE_SIZE, continue: token }),
    (page) => {
      for (const node of page.items) {
        total++;
        const conditions = node?.status?.conditions;
        const ready = Array.isArray(conditions) && conditions.find((c) => c?.type === 'Ready')?.status === 'True';
        if (!ready) notReadyNames.push(typeof node?.metadata?.name === 'string' ? node.metadata.name : '?');
      }
      return false;
    },
  );
  return { total, ready: total - notReadyNames.length, notReadyNames };
}

/**
 * Pods are counted with `limit=1` and `metadata.remainingItemCount`: one small request however big the cluster.
 * Only when the server omits the count (old servers, some proxies) does it fall back to paging, at most
 * `MAX_LIST_PAGES` pages.
 */
export async function countPods(client: KubeClient): Promise<{ count: number; requests: number }> {
  const first = await client.reads.listPods({ limit: 1 });
  const remaining = first.metadata?.remainingItemCount;
  const firstItems = first.items.length;
  if (typeof remaining === 'number') return { count: firstItems + remaining, requests: 1 };
  let count = firstItems;
  let requests = 1;
  const token = first.metadata?.continue;
  if (token) {
    await forEachPage(
      'pods',
      token,
      (t) => client.reads.listPods({ limit: PAGE_SIZE, continue: t }),
      (page) => {
        requests++;
        const more = page.metadata?.remainingItemCount;
        count += page.items.length;
        if (typeof more !== 'number') return false;
        count += more;
        return true;
      },
    );
  }
  return { count, requests };
}

/**
 * Fetches pages (starting at `token`, undefined for the first page) until the list ends or `onPage` says it has what it
 * needs; throws `ListPagingError` past `MAX_LIST_PAGES` or on a continue token seen before. A page without items never
 * gets here (the reads refuse it).
 */
async function forEachPage<P extends KubeList<unknown>>(
  what: string,
  token: string | undefined,
  fetchPage: (token: string | undefined) => Promise<P>,
  onPage: (page: P) => boolean,
): Promise<void> {
  const seen = new Set<string>();
  for (let pages = 0; ; pages++) {
    if (pages >= MAX_LIST_PAGES) throw new ListPagingError(what, 'endless');
    if (token !== undefined) {
      if (seen.has(token)) throw new ListPagingError(what, 'repeated');
      seen.add(token);
    }
    const page = await fetchPage(token);
    if (onPage(page)) return;
    token = page.metadata?.continue;
    if (token === undefined) return;
  }
}

async function attempt<T>(fn: () => Promise<T>): Promise<Part<T>> {
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

/**
 * Maps anything the client can throw to a reason a person (and a program) can act on. By type first (the gateway's own
 * errors, `KubeApiError` for a non-2xx answer, Node's error codes), by message text only as a last resort: a server that
 * answered too much is API_ERROR (it answered), whatever words its error happens to contain.
 */
export function classifyKubeError(err: unknown): KubeFailure {
  if (err instanceof ResponseTooLargeError) {
    return {
      reason: 'API_ERROR',
      message: `the API server sent more than ${Math.round(err.limit / 1024 / 1024)} MiB for one request (the limit for its kind)`,
    };
  }
  if (err instanceof UnexpectedResponseError) return { reason: 'API_ERROR', message: `the API server sent ${err.what}` };
  if (err instanceof ListPagingError) return { reason: 'API_ERROR', message: err.message };
  if (err instanceof ProbeDeadlineError) return { reason: 'TIMEOUT', message: err.message };
  if (err instanceof RequestTimeoutError || err instanceof ConnectTimeoutError)
    return { reason: 'TIMEOUT', message: 'the API server did not answer in time' };
  if (err instanceof ConnectionClosedError)
    return { reason: 'NETWORK', message: 'the connection was closed by the API server before the answer was complete' };
  if (err instanceof KubeApiError) {
    const { status, apiMessage } = err;
    if (status === 401) return { reason: 'UNAUTHORIZED', status, message: 'the API server rejected the credentials (401 Unauthorized)' };
    if (status === 403) return { reason: 'FORBIDDEN', status, message: `permission denied (403)${apiMessage ? `: ${apiMessage}` : ''}` };
    return { reason: 'API_ERROR', status, message: `the API server answered ${status}${apiMessage ? `: ${apiMessage}` : ''}` };
  }
  if (err instanceof SyntaxError) return { reason: 'API_ERROR', message: 'the API server sent a response that is not valid JSON' };
  const codes = errorCodes(err);
  // Messages quote the request URL; a host name containing "tls" must not make a DNS failure look like a TLS one.
  const text = errorText(err).replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>');
  if (codes.includes('ECONNREFUSED')) return { reason: 'REFUSED', message: 'connection refused by the API server address' };
  if (codes.includes('ENOTFOUND') || codes.includes('EAI_AGAIN')) return { reason: 'DNS', message: 'the API server host name does not resolve' };
  if (codes.some((c) => TLS_CODES.has(c) || c.startsWith('ERR_SSL') || c.startsWith('ERR_TLS')))
    return { reason: 'TLS', message: `TLS verification failed: ${firstSentence(text)}` };
  if (codes.includes('ETIMEDOUT') || codes.includes('ABORT_ERR')) return { reason: 'TIMEOUT', message: 'the API server did not answer in time' };
  if (codes.includes('ECONNRESET') || codes.includes('EPIPE')) return { reason: 'NETWORK', message: 'the connection was reset by the API server' };
  // Last resort, errors without a code (wrapped by a library): their words.
  if (/certificate|self[- ]signed|\bssl\b|\btls\b/i.test(text)) return { reason: 'TLS', message: `TLS verification failed: ${firstSentence(text)}` };
  if (/aborted|timeout|timed out/i.test(text)) return { reason: 'TIMEOUT', message: 'the API server did not answer in time' };
  if (/socket hang up/i.test(text)) return { reason: 'NETWORK', message: 'the connection was reset by the API server' };
  if (/JSON|Unexpected token|parse/i.test(text)) return { reason: 'API_ERROR', message: 'the API server sent a response that is not valid JSON' };
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

function firstSentence(s: string): string {
  return s.split('\n')[0]!.slice(0, 200);
}
