import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { bearerToken } from '../auth/bearer.js';
import type { Principal } from '../auth/principal.js';
import { AuthenticationUnavailableError, DomainError, ForbiddenError, NotFoundError, UnauthenticatedError } from '../errors.js';
import type { AuthFailureLimiter } from '../http/auth-failure-limiter.js';
import type { RequestRecorder } from '../http/request-recorder.js';
import { requestIdFrom } from '../http/request-context.js';
import { streamRequest, type StreamAnswer } from '../kube/kube-stream.js';
import { classifyKubeError } from '../kube/probe.js';
import type { Logger } from '../logger.js';
import { impersonationHeaders, requestHeadersToCluster } from './forward-headers.js';
import { type KubeStatus, kubeStatus, ProxyRefusal, refuse, writeStatus, writeStatusToSocket } from './kube-status.js';
import type { ClusterAccess, ClusterRoleValue, ProxyAuditSink, ProxyAuthenticator, ProxyTarget, ProxyTargets, WriteGuard } from './ports.js';
import { ROLE_RANK } from './ports.js';
import { parseProxyPath, type ProxyPath } from './proxy-path.js';
import { relayResponse } from './relay-response.js';
import { forbiddenMessage, isReadRequest, type KubeRequestInfo, requestInfoOf, viewerMay } from './request-info.js';

export interface KubeProxyDeps {
  targets: ProxyTargets;
  auth: ProxyAuthenticator;
  access: ClusterAccess;
  writes: WriteGuard;
  audit: ProxyAuditSink;
  limiter: AuthFailureLimiter;
  recorder: RequestRecorder;
  logger: Logger;
  /** Bound on connecting and on waiting for the API server's status line; never on an answer already streaming. */
  firstByteTimeoutMs: number;
}

/** An authenticated request to a resolved cluster: from here on an attempt to write has an actor and is audited. */
interface Attempt {
  path: ProxyPath;
  target: ProxyTarget;
  principal: Principal;
  info: KubeRequestInfo;
}

/** A request that passed every gateway check, ready to forward. */
interface Admitted extends Attempt {
  role: ClusterRoleValue;
}

/** Header values node can send; a subject outside printable ASCII cannot be impersonated faithfully. */
const HEADER_SAFE = /^[\x20-\x7e]+$/;

/**
 * The Kubernetes API proxy (DESIGN, REST surface and Access): `ANY /api/v1/k8s/clusters/:id/proxy/<path>` and, for the
 * current cluster, `ANY /api/v1/k8s/proxy/<path>`. Per request: a bearer token (a user's, or a kubeconfig token bound
 * to this cluster), the caller's role on the cluster (none → 404), the VIEWER verb rule and read-only mode (403), then
 * the request goes to the cluster's API server with the stored credentials, streamed both ways, or as a relayed
 * upgrade (exec, attach, port-forward) for EDITOR and above. Every error is a Kubernetes `Status`.
 */
export class KubeProxy {
  constructor(private readonly deps: KubeProxyDeps) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const requestId = requestIdFrom(req.headers);
    res.setHeader('X-Request-Id', requestId);
    let route = 'proxy';
    // Set once the caller is known: every non-read attempt is audited with the status it got, refusals included.
    let attempt: Attempt | undefined;
    res.once('close', () => {
      const status = res.headersSent ? res.statusCode : 499;
      this.deps.recorder.finish(req, requestId, route, status, started);
      if (status === 401) this.deps.limiter.recordFailureFrom(this.deps.limiter.clientOf(req));
      if (attempt && !isReadRequest(attempt.info)) this.audit(attempt, status, requestId, req);
    });
    void (async () => {
      try {
        const path = parseProxyPath(req.url ?? '/');
        route = path.route;
        const admitted = await this.admit(req, path, false, (a) => (attempt = a));
        await this.forward(req, res, admitted);
      } catch (err) {
        writeStatus(res, this.statusOf(err, requestId));
      }
    })();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const started = performance.now();
    const requestId = requestIdFrom(req.headers);
    let route = 'proxy';
    socket.on('error', () => socket.destroy());
    // Every upgrade (exec, attach, port-forward) is an EDITOR action: audited once the caller is known, refused or not.
    const finish = (status: number, attempt?: Attempt) => {
      this.deps.recorder.finish(req, requestId, route, status, started);
      if (status === 401) this.deps.limiter.recordFailureFrom(this.deps.limiter.clientOf(req));
      if (attempt) this.audit(attempt, status, requestId, req);
    };
    void (async () => {
      let attempt: Attempt | undefined;
      try {
        const path = parseProxyPath(req.url ?? '/');
        route = path.route;
        const admitted = await this.admit(req, path, true, (a) => (attempt = a));
        const status = await this.relayUpgrade(req, socket, head, admitted);
        finish(status, admitted);
      } catch (err) {
        const status = this.statusOf(err, requestId);
        writeStatusToSocket(socket, status, requestId);
        finish(status.code, attempt);
      }
    })();
  }

  /**
   * Every gateway-side check, in order: brake, token, cluster, role, verb rule, read-only mode. `known` hears of the
   * attempt as soon as the caller and the cluster are, so a refusal after that point is still audited.
   */
  private async admit(req: IncomingMessage, path: ProxyPath, upgrade: boolean, known: (a: Attempt) => void): Promise<Admitted> {
    const retryAfterMs = this.deps.limiter.retryAfterMs(this.deps.limiter.clientOf(req));
    if (retryAfterMs > 0)
      throw refuse(429, 'TooManyRequests', 'too many failed authentication attempts; retry later', {
        causes: [{ reason: 'RetryAfter', message: String(Math.ceil(retryAfterMs / 1000)) }],
      });
    const token = req.headers.authorization === undefined ? undefined : bearerToken(req.headers.authorization);
    if (!token) throw new UnauthenticatedError();

    // The cluster is resolved first (an issued token is checked against it), but nothing about it is revealed before
    // the token is accepted: an unknown cluster is reported only to an authenticated caller.
    let target: ProxyTarget | undefined;
    let missing: unknown;
    try {
      target =
        path.target.kind === 'cluster' ? await this.deps.targets.byId(path.target.id) : await this.deps.targets.current(this.selectorOf(req, path));
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      missing = err;
    }
    const principal = await this.deps.auth.authenticate(token, target?.id ?? Number.NaN);
    if (!target) throw missing;
    const info = requestInfoOf(req.method ?? 'GET', path.segments, path.query);
    known({ path, target, principal, info });
    const role = await this.deps.access.roleOn({ principal }, target.id);
    if (role === null) throw new NotFoundError(`cluster ${target.id} not found`);
    const editorNeeded = upgrade || !viewerMay(info);
    if (editorNeeded && ROLE_RANK[role] < ROLE_RANK.editor) {
      throw refuse(
        403,
        'Forbidden',
        `${forbiddenMessage(principal.subject, info)} (kube-gateway: your role on cluster "${target.name}" is ${role})`,
        {
          ...(info.name ? { name: info.name } : {}),
          ...(info.apiGroup ? { group: info.apiGroup } : {}),
          kind: info.resource || undefined,
        },
      );
    }
    if (!isReadRequest(info) || upgrade) this.deps.writes.assertWritable();
    if (!target.enabled) throw refuse(503, 'ServiceUnavailable', `cluster "${target.name}" is disabled`);
    if (target.impersonate && ![principal.subject, ...(principal.groups ?? [])].every((v) => HEADER_SAFE.test(v))) {
      throw refuse(403, 'Forbidden', "this cluster impersonates callers, and the token's subject or a group is not printable ASCII");
    }
    return { path, target, principal, role, info };
  }

  /** Context switching: `?cluster=` (already taken out of the forwarded query), else the headers, else the default. */
  private selectorOf(req: IncomingMessage, path: ProxyPath): { name?: string; id?: string } {
    if (path.target.kind === 'current' && path.target.name !== undefined) return { name: path.target.name };
    const id = req.headers['x-cluster-id'];
    if (typeof id === 'string' && id !== '') return { id };
    const name = req.headers['x-cluster-name'];
    if (typeof name === 'string' && name !== '') return { name: decodeHeader(name) };
    return {};
  }

  private headersFor(req: IncomingMessage, a: Admitted, upgrade: boolean) {
    const headers = requestHeadersToCluster(req.headers, upgrade);
    return a.target.impersonate ? Object.assign(headers, impersonationHeaders(a.principal.subject, a.principal.groups ?? [])) : headers;
  }

  private async forward(req: IncomingMessage, res: ServerResponse, a: Admitted): Promise<void> {
    // The client may have gone while the gateway's checks ran: its 'close' has been and will not come again.
    if (res.destroyed) return;
    const hasBody =
      (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
    const call = streamRequest(a.target.client.proxyEndpoint, {
      method: req.method ?? 'GET',
      path: a.path.forwardPath,
      headers: this.headersFor(req, a, false),
      body: hasBody ? req : undefined,
      firstByteTimeoutMs: this.deps.firstByteTimeoutMs,
    });
    let gone = false;
    const onGone = () => {
      gone = true;
      call.cancel(new Error('the client went away'));
    };
    res.once('close', onGone);
    let answer: StreamAnswer;
    try {
      answer = await call.answer;
    } catch (err) {
      if (gone) return;
      throw unreachable(a.target, err);
    } finally {
      res.off('close', onGone);
    }
    if (answer.kind === 'upgrade') {
      answer.socket.destroy();
      throw refuse(502, 'InternalError', `cluster "${a.target.name}" switched protocols on a request that did not ask to`);
    }
    relayResponse(req.method ?? 'GET', answer.response, answer.request, res);
  }

  /** Relays an upgrade (WebSocket or SPDY) end to end; resolves with the status the cluster answered. */
  private async relayUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, a: Admitted): Promise<number> {
    if (client.destroyed) return 499;
    const call = streamRequest(a.target.client.proxyEndpoint, {
      method: req.method ?? 'GET',
      path: a.path.forwardPath,
      headers: this.headersFor(req, a, true),
      firstByteTimeoutMs: this.deps.firstByteTimeoutMs,
    });
    let gone = false;
    const onGone = () => {
      gone = true;
      call.cancel(new Error('the client went away'));
    };
    client.once('close', onGone);
    let answer: StreamAnswer;
    try {
      answer = await call.answer;
    } catch (err) {
      if (gone) return 499;
      throw unreachable(a.target, err);
    } finally {
      client.off('close', onGone);
    }
    const { response } = answer;
    const lines = [`HTTP/1.1 ${response.statusCode} ${response.statusMessage ?? ''}`];
    const raw = response.rawHeaders;
    // A 101 keeps Connection/Upgrade (they are the answer); any other status is relayed as a plain response.
    const relayed = answer.kind === 'upgrade' ? new Set<string>() : new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade']);
    for (let i = 0; i + 1 < raw.length; i += 2) if (!relayed.has(raw[i]!.toLowerCase())) lines.push(`${raw[i]}: ${raw[i + 1]}`);
    if (answer.kind === 'response') {
      lines.push('Connection: close');
      client.write(`${lines.join('\r\n')}\r\n\r\n`);
      response.pipe(client);
      response.on('error', () => client.destroy());
      return response.statusCode ?? 502;
    }
    const upstream = answer.socket;
    client.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (answer.head.length) client.write(answer.head);
    if (head.length) upstream.write(head);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.pipe(client);
    client.pipe(upstream);
    return 101;
  }

  private statusOf(err: unknown, requestId: string): KubeStatus {
    if (err instanceof ProxyRefusal) return err.status;
    if (err instanceof UnauthenticatedError) return kubeStatus(401, 'Unauthorized', `Unauthorized: ${err.message}`);
    if (err instanceof AuthenticationUnavailableError) return kubeStatus(503, 'ServiceUnavailable', err.message);
    if (err instanceof NotFoundError) return kubeStatus(404, 'NotFound', err.message);
    // Read-only mode keeps the contract's words and says why in English for kubectl users (`causes` is printed by -v).
    if (err instanceof ForbiddenError && 'reason' in err && err.reason === 'READ_ONLY') {
      return kubeStatus(403, 'Forbidden', `${err.message} (kube-gateway is read-only: READ_ONLY=true; only get, list and watch are forwarded)`, {
        causes: [{ reason: 'READ_ONLY', message: 'read-only mode' }],
      });
    }
    if (err instanceof ForbiddenError) return kubeStatus(403, 'Forbidden', err.message);
    if (err instanceof DomainError && err.code === 'BAD_USER_INPUT') return kubeStatus(400, 'BadRequest', err.message);
    this.deps.logger.error({ err, requestId }, 'unexpected error in the Kubernetes API proxy');
    return kubeStatus(500, 'InternalError', `Internal error (request id ${requestId})`);
  }

  private audit(a: Attempt, status: number, requestId: string, req: IncomingMessage): void {
    const { info } = a;
    this.deps.audit.proxied({
      actor: a.principal.subject,
      clusterId: a.target.id,
      clusterName: a.target.name,
      verb: info.verb,
      resource: info.isResourceRequest ? (info.subresource ? `${info.resource}/${info.subresource}` : info.resource) : info.path,
      namespace: info.namespace || null,
      name: info.name || null,
      path: info.path,
      status,
      requestId,
      sourceIp: this.deps.limiter.clientOf(req) ?? null,
    });
  }
}

/** A cluster that could not be reached: 503 with the typed reason (as C6 reports it). */
function unreachable(target: ProxyTarget, err: unknown): ProxyRefusal {
  const failure = classifyKubeError(err);
  return refuse(503, 'ServiceUnavailable', `cluster "${target.name}" is unreachable (${failure.reason}): ${failure.message}`, {
    causes: [{ reason: failure.reason, message: failure.message }],
  });
}

// Header values are Latin-1; non-ASCII cluster names arrive percent-encoded (as for currentCluster).
function decodeHeader(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
