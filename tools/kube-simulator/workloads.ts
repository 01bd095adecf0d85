/**
 * What kubectl does beyond reading lists, kept small: pod watches (with pods created by the test afterwards), pod logs
 * (with `follow`), pod deletion, secrets, a minimal `exec` over WebSocket (v5/v4.channel.k8s.io), and RBAC rules per
 * impersonated user (`Impersonate-User` / `Impersonate-Group`), so a test can see the cluster's own RBAC refuse what
 * a gateway forwarded. State lives beside each virtual cluster (a WeakMap), so the base model stays untouched.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { VirtualCluster } from './cluster.js';
import { buildPod, withType, type KubeObject } from './objects.js';
import { forbidden, notFound, status } from './status.js';
import { tableHead, tableRow, wantsTable } from './table.js';
import type { ClusterHandle } from './types.js';

/** `verb resource` pairs a user or group may do (`* *`, `get pods`, `* secrets`); see `setImpersonationRules`. */
export type RbacRules = Record<string, string[]>;

interface Watcher {
  namespace: string | undefined;
  table: boolean;
  res: ServerResponse;
}

interface WorkloadState {
  created: Map<string, KubeObject>;
  deleted: Set<string>;
  watchers: Set<Watcher>;
  rules: RbacRules | null;
}

const states = new WeakMap<VirtualCluster, WorkloadState>();
const stateOf = (c: VirtualCluster): WorkloadState => {
  let s = states.get(c);
  if (!s) states.set(c, (s = { created: new Map(), deleted: new Set(), watchers: new Set(), rules: null }));
  return s;
};

/**
 * RBAC for impersonated requests: keys are user names or `group:<name>`; a request impersonating a user is allowed
 * only what its user's and groups' rules allow (discovery and /version always). Null: impersonation is not checked.
 */
export function setImpersonationRules(handle: ClusterHandle, rules: RbacRules | null): void {
  stateOf(handle as VirtualCluster).rules = rules;
}

/** A pod appears in `ns` (what a controller would do): every open watch on it gets an ADDED event. */
export function simulatePodCreated(handle: ClusterHandle, namespace: string, name: string): void {
  const c = handle as VirtualCluster;
  c.model.rv++;
  const base = buildPod(c.model, 0);
  const meta = base.metadata as Record<string, unknown>;
  const pod: KubeObject = {
    ...base,
    metadata: {
      ...meta,
      name,
      namespace,
      uid: c.model.uid(`created-${namespace}/${name}`, 0),
      resourceVersion: String(c.model.rv),
      creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  };
  stateOf(c).created.set(`${namespace}/${name}`, pod);
  for (const w of stateOf(c).watchers) if (w.namespace === undefined || w.namespace === namespace) writeEvent(w, 'ADDED', pod);
}

/** Open watches on this cluster (for tests and benchmarks waiting until every watch is established). */
export function openWatches(handle: ClusterHandle): number {
  return stateOf(handle as VirtualCluster).watchers.size;
}

function writeEvent(w: Watcher, type: string, pod: KubeObject): void {
  const object = w.table
    ? {
        ...tableHead('pods', { resourceVersion: String((pod.metadata as { resourceVersion?: string }).resourceVersion ?? '1') }),
        rows: [tableRow('pods', pod, 'Pod', 'v1', 'Object')],
      }
    : withType(pod, 'Pod');
  w.res.write(`${JSON.stringify({ type, object })}\n`);
}

interface Target {
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Verb and resource of a core (`/api/v1`) request, as the API server's RequestInfo would say; undefined for the rest. */
function targetOf(method: string, path: string, query: URLSearchParams): Target | undefined {
  const segs = path
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
  if (segs[0] !== 'api' || segs[1] !== 'v1' || segs.length < 3) return undefined;
  let rest = segs.slice(2);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 2) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  const verb =
    method === 'GET' || method === 'HEAD'
      ? query.get('watch') === 'true' || query.get('watch') === '1'
        ? 'watch'
        : name
          ? 'get'
          : 'list'
      : (({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: name ? 'delete' : 'deletecollection' } as Record<string, string>)[method] ??
        method.toLowerCase());
  return { verb, resource: resource!, namespace, name, subresource };
}

function impersonationRefusal(c: VirtualCluster, req: IncomingMessage, t: Target | undefined): ReturnType<typeof forbidden> | undefined {
  const rules = stateOf(c).rules;
  const user = req.headers['impersonate-user'];
  if (!rules || typeof user !== 'string' || !t) return undefined;
  const groups = ([] as string[]).concat(req.headers['impersonate-group'] ?? []).flatMap((g) => g.split(',').map((s) => s.trim()));
  const resource = t.subresource ? `${t.resource}/${t.subresource}` : t.resource;
  const granted = [...(rules[user] ?? []), ...groups.flatMap((g) => rules[`group:${g}`] ?? [])];
  const ok = granted.some((rule) => {
    const [verb, res] = rule.split(' ');
    return (verb === '*' || verb === t.verb) && (res === '*' || res === resource);
  });
  return ok ? undefined : forbidden({ user, verb: t.verb, resource, group: '', namespace: t.namespace, name: t.name });
}

function json(res: ServerResponse, code: number, body: unknown): [number, number] {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
  return [code, Buffer.byteLength(text)];
}

/**
 * Handles the requests this file adds (and the impersonation RBAC check in front of every core request). Returns
 * [status, bytes] when it answered, undefined to let the base routes answer.
 */
export async function workloadRequest(c: VirtualCluster, req: IncomingMessage, res: ServerResponse, url: URL): Promise<[number, number] | undefined> {
  const method = req.method ?? 'GET';
  const t = targetOf(method, url.pathname, url.searchParams);
  const refusal = impersonationRefusal(c, req, t);
  if (refusal) return json(res, 403, refusal);
  if (!t) return undefined;
  const state = stateOf(c);

  if (t.resource === 'secrets' && (t.verb === 'list' || t.verb === 'get')) {
    const secret = (ns: string) => ({
      metadata: { name: 'app-credentials', namespace: ns, resourceVersion: '1' },
      type: 'Opaque',
      data: { password: Buffer.from('s3cr3t').toString('base64') },
    });
    if (t.name) return json(res, 200, withType(secret(t.namespace ?? 'default'), 'Secret'));
    return json(res, 200, {
      kind: 'SecretList',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(c.model.rv) },
      items: [secret(t.namespace ?? 'default')],
    });
  }
  if (t.resource !== 'pods') return undefined;
  const key = `${t.namespace}/${t.name}`;

  if (t.verb === 'watch' && !t.name) {
    const watcher: Watcher = { namespace: t.namespace, table: wantsTable(req.headers.accept), res };
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    state.watchers.add(watcher);
    await new Promise<void>((resolve) => res.once('close', resolve));
    state.watchers.delete(watcher);
    return [200, 0];
  }
  if (t.verb === 'get' && t.name && !t.subresource) {
    if (state.deleted.has(key)) return json(res, 404, notFound('pods', t.name));
    const created = state.created.get(key);
    if (created) return json(res, 200, withType(created, 'Pod'));
    return undefined;
  }
  if (t.verb === 'delete' && t.name && !t.subresource) {
    const i = c.model.podIndex(t.namespace ?? '', t.name);
    const pod = state.created.get(key) ?? (i >= 0 && !state.deleted.has(key) ? buildPod(c.model, i) : undefined);
    if (!pod) return json(res, 404, notFound('pods', t.name));
    state.deleted.add(key);
    state.created.delete(key);
    for (const w of state.watchers) if (w.namespace === undefined || w.namespace === t.namespace) writeEvent(w, 'DELETED', pod);
    return json(
      res,
      200,
      withType({ ...pod, metadata: { ...(pod.metadata as object), deletionTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') } }, 'Pod'),
    );
  }
  if (t.verb === 'get' && t.subresource === 'log') {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    let bytes = 0;
    const line = (s: string) => {
      bytes += s.length + 1;
      res.write(`${s}\n`);
    };
    for (let n = 1; n <= 3; n++) line(`${t.name} log line ${n}`);
    if (url.searchParams.get('follow') !== 'true') {
      res.end();
      return [200, bytes];
    }
    let tick = 0;
    const timer = setInterval(() => line(`${t.name} tick ${++tick}`), 100);
    await new Promise<void>((resolve) => res.once('close', resolve));
    clearInterval(timer);
    return [200, bytes];
  }
  return undefined;
}

const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => EXEC_PROTOCOLS.find((p) => offered.has(p)) ?? false });

/**
 * `exec` over WebSocket (what kubectl 1.30+ uses): `echo a b` prints "a b", `whoami` prints the impersonated user (or
 * the credential's), anything else prints "ran <command>". stdout is channel 1, the final Status channel 3.
 */
export function execUpgrade(c: VirtualCluster, req: IncomingMessage, socket: Duplex, head: Buffer): number {
  const url = new URL(`https://simulator.invalid${req.url ?? '/'}`);
  const t = targetOf('POST', url.pathname, url.searchParams);
  const refusal = impersonationRefusal(c, req, t && { ...t, verb: 'create' });
  const reject = (code: number, body: unknown) => {
    const text = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${code} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
    return code;
  };
  if (refusal) return reject(403, refusal);
  if (t?.resource !== 'pods' || t.subresource !== 'exec')
    return reject(404, status(404, 'NotFound', 'the server could not find the requested resource', {}));
  const command = url.searchParams.getAll('command');
  const user = typeof req.headers['impersonate-user'] === 'string' ? req.headers['impersonate-user'] : c.user;
  const out = command[0] === 'echo' ? command.slice(1).join(' ') : command[0] === 'whoami' ? user : `ran ${command.join(' ')}`;
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`${out}\n`)]));
    ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ metadata: {}, status: 'Success' }))]), () => ws.close(1000));
  });
  return 101;
}
