import { once } from 'node:events';
import http from 'node:http';
import type { Socket } from 'node:net';
import { constants as zlibConstants, brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { b64, kubeconfigYaml } from './kubeconfigs.js';

/**
 * A deliberately hostile Kubernetes API server over plain HTTP (a compromised or broken cluster, which SECURITY.md's
 * threat model includes), for tests of what the gateway does on behalf of a cluster: probes, C3, C6. It answers like a
 * small healthy cluster until switched to a misbehaviour, and counts every request it receives.
 */
export type HostileBehaviour =
  /** A small, genuine-looking cluster: 2 Ready nodes, 10 pods, `/version` v1.31.4. */
  | 'healthy'
  /** Pod lists: a new continue token on every page, one pod per page, never `remainingItemCount`. */
  | 'endless-continue'
  /** Pod lists: always the same continue token, never `remainingItemCount`. */
  | 'repeated-continue'
  /** Pod lists: endless continue tokens, each page a little slower than `slowPageMs`, each in time on its own. */
  | 'slow-pages'
  /** Every request: `101 Switching Protocols`. */
  | 'upgrade'
  /** Every request: ~260 KB of gzip on the wire that expands to 256 MiB. */
  | 'gzip-bomb'
  /** Every request: `Content-Encoding: deflate`, 64 KiB expanding to 64 MiB. */
  | 'deflate-bomb'
  /** Every request: `Content-Encoding: br`, a few KB expanding to 64 MiB. */
  | 'br-bomb'
  /** Every request: `Content-Encoding: compress` (not one a client should try to read). */
  | 'unknown-encoding'
  /** Every request: headers, then one byte every `dripMs`, never finishing. */
  | 'slow-drip'
  /** Every request: a 200 whose body streams as fast as the client reads, forever. */
  | 'endless-stream'
  /** Node lists: 200,000 nodes whatever `limit` says (tens of MB of JSON). */
  | 'huge-list'
  /** Every path answers 200 with the same JSON document: some internal service, not Kubernetes. */
  | 'not-kubernetes';

/** A string the hostile server puts into its bodies: it must never show up in what the gateway answers. */
export const HOSTILE_BODY_MARKER = 'hostile-body-marker-7f3a';

const MiB = 1024 * 1024;

export class HostileKubeServer {
  private behaviourNow: HostileBehaviour = 'healthy';
  private readonly counts = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private pageCounter = 0;
  /** Interval of the `slow-drip` bytes. */
  dripMs = 200;
  /** Delay of each `slow-pages` page. */
  slowPageMs = 400;
  readonly token = `hostile-token-${Math.random().toString(36).slice(2)}`;

  private constructor(
    private readonly server: http.Server,
    private readonly bombs: Record<'gzip' | 'deflate' | 'br', Buffer>,
  ) {}

  static async start(behaviour: HostileBehaviour = 'healthy'): Promise<HostileKubeServer> {
    const hostile = new HostileKubeServer(http.createServer(), buildBombs());
    hostile.behaviourNow = behaviour;
    hostile.server.on('request', (req, res) => hostile.handle(req, res));
    hostile.server.on('connection', (s: Socket) => {
      hostile.sockets.add(s);
      s.on('close', () => hostile.sockets.delete(s));
    });
    hostile.server.on('clientError', (_err, socket) => socket.destroy());
    hostile.server.listen(0, '127.0.0.1');
    await once(hostile.server, 'listening');
    return hostile;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  get behaviour(): HostileBehaviour {
    return this.behaviourNow;
  }

  /** Switches behaviour for the requests that arrive from now on (answers under way carry on). */
  behave(behaviour: HostileBehaviour): void {
    this.behaviourNow = behaviour;
  }

  /** Requests received, in total or to one path (without the query). */
  requests(path?: string): number {
    if (path !== undefined) return this.counts.get(path) ?? 0;
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  clearCounts(): void {
    this.counts.clear();
  }

  /** Connections open right now (a gateway that abandons requests must also close them). */
  openConnections(): number {
    return this.sockets.size;
  }

  kubeconfigYaml(): string {
    return kubeconfigYaml({ server: this.url, user: { token: this.token } });
  }

  kubeconfigBase64(): string {
    return b64(this.kubeconfigYaml());
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const s of this.sockets) s.destroy();
    await new Promise((closed) => this.server.close(closed));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.counts.set(url.pathname, (this.counts.get(url.pathname) ?? 0) + 1);
    const b = this.behaviourNow;
    switch (b) {
      case 'upgrade':
        // Written by hand: node:http's ServerResponse does not send a 101 to a request that did not ask to upgrade.
        req.socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n');
        return;
      case 'gzip-bomb':
      case 'deflate-bomb':
      case 'br-bomb': {
        const kind = b === 'gzip-bomb' ? 'gzip' : b === 'deflate-bomb' ? 'deflate' : 'br';
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': kind, 'content-length': this.bombs[kind].length });
        res.end(this.bombs[kind]);
        return;
      }
      case 'unknown-encoding':
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'compress' });
        res.end('\x1f\x9d' + HOSTILE_BODY_MARKER);
        return;
      case 'slow-drip':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        this.every(this.dripMs, res, () => res.write(' '));
        return;
      case 'endless-stream': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        // One chunk per turn of the event loop, for the same reason as in `streamHugeNodeList`.
        const pump = (): void => {
          if (res.destroyed) return;
          if (res.write(chunk)) setImmediate(pump);
          else res.once('drain', pump);
        };
        res.write('{"items":[');
        pump();
        return;
      }
      case 'not-kubernetes':
        return json(res, 200, { status: 'ok', service: 'internal-admin', note: HOSTILE_BODY_MARKER });
      default:
        return this.answerLikeKubernetes(url, res, b);
    }
  }

  private answerLikeKubernetes(url: URL, res: http.ServerResponse, b: HostileBehaviour): void {
    switch (url.pathname) {
      case '/version':
        return json(res, 200, { major: '1', minor: '31', gitVersion: 'v1.31.4', platform: 'linux/amd64' });
      case '/api/v1/namespaces':
        return json(res, 200, list('NamespaceList', [{ metadata: { name: 'default' } }]));
      case '/api/v1/nodes':
        if (b === 'huge-list') return streamHugeNodeList(res, 200_000);
        return json(res, 200, list('NodeList', [node('node-0'), node('node-1')]));
      case '/api/v1/pods':
        return this.pods(url, res, b);
      default:
        return json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `not found ${HOSTILE_BODY_MARKER}`, code: 404 });
    }
  }

  private pods(url: URL, res: http.ServerResponse, b: HostileBehaviour): void {
    const pod = { metadata: { name: `pod-${this.pageCounter}`, namespace: 'default' } };
    if (b === 'endless-continue' || b === 'slow-pages') {
      const page = list('PodList', [pod], { continue: `page-${++this.pageCounter}` });
      if (b === 'endless-continue') return json(res, 200, page);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        json(res, 200, page);
      }, this.slowPageMs);
      this.timers.add(timer);
      return;
    }
    if (b === 'repeated-continue') return json(res, 200, list('PodList', [pod], { continue: 'the-same-token' }));
    const limit = Number(url.searchParams.get('limit') ?? 0);
    const remaining = limit > 0 && limit < 10 ? { remainingItemCount: 10 - limit, continue: 'more' } : {};
    return json(
      res,
      200,
      list(
        'PodList',
        Array.from({ length: limit > 0 && limit < 10 ? limit : 10 }, () => pod),
        remaining,
      ),
    );
  }

  private every(ms: number, res: http.ServerResponse, fn: () => void): void {
    const timer = setInterval(() => (res.destroyed ? stop() : fn()), ms);
    const stop = () => {
      clearInterval(timer);
      this.timers.delete(timer);
    };
    this.timers.add(timer);
    res.on('close', stop);
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function list(kind: string, items: unknown[], metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return { kind, apiVersion: 'v1', metadata: { resourceVersion: '1', ...metadata }, items };
}

function node(name: string): Record<string, unknown> {
  return { metadata: { name }, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
}

/**
 * Written as it goes, one batch per turn of the event loop (loopback sockets take megabytes before pushing back, and
 * this server shares its process with the gateway under test), so it neither holds tens of MB nor blocks the loop.
 */
function streamHugeNodeList(res: http.ServerResponse, count: number): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"kind":"NodeList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[');
  let i = 0;
  const pump = () => {
    if (res.destroyed) return;
    if (i >= count) return void res.end(']}');
    const batch: string[] = [];
    for (let j = 0; j < 100 && i < count; j++, i++) batch.push(JSON.stringify(node(`node-${i}-${HOSTILE_BODY_MARKER}`)));
    if (res.write((i > 100 ? ',' : '') + batch.join(','))) setImmediate(pump);
    else res.once('drain', pump);
  };
  pump();
}

let bombs: Record<'gzip' | 'deflate' | 'br', Buffer> | undefined;

/**
 * Built once per test process. The gzip bomb is 16 members of 16 MiB of spaces each (gzip readers decode concatenated
 * members as one body): 256 MiB from about 260 KB, like the one in issue 11, without ever holding 256 MiB here.
 */
function buildBombs(): Record<'gzip' | 'deflate' | 'br', Buffer> {
  if (bombs) return bombs;
  const spaces16 = Buffer.alloc(16 * MiB, 0x20);
  const member = gzipSync(spaces16, { level: 9 });
  const spaces64 = Buffer.alloc(64 * MiB, 0x20);
  bombs = {
    gzip: Buffer.concat(Array.from({ length: 16 }, () => member)),
    deflate: deflateSync(spaces64, { level: 9 }),
    br: brotliCompressSync(spaces64, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } }),
  };
  return bombs;
}
