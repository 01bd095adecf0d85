import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { signToken } from '../src/auth/jwt.js';
import { DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET, DEFAULT_MAX_SUBSCRIPTIONS_PER_USER } from '../src/graphql/ws.js';
import { ClusterResolver } from '../src/resolvers/cluster.resolver.js';
import { testDrivers } from './support/databases.js';
import { registerCluster, TEST_JWT_SECRET, useTestGateway, type TestGateway } from './support/gateway.js';
import { kubeconfigYaml } from './support/kubeconfigs.js';

/**
 * Issue 11 on graphql-ws: subscriptions were unbounded per socket and per user (1,500 on one socket: heap 70 → 644 MB),
 * a token valid for more than 24.8 days closed its socket at once (setTimeout overflow), the 401 brake ignored bad
 * WebSocket tokens, and an admin's aliased subscription could carry kubeconfigs.
 */

interface Message {
  id?: string;
  type: string;
  payload?: any;
}

/** A raw graphql-transport-ws session that records every message and how the socket closed. */
class Session {
  readonly messages: Message[] = [];
  closed?: { code: number; reason: string };
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (m) => this.messages.push(JSON.parse(String(m)) as Message));
    ws.on('close', (code, reason) => (this.closed = { code, reason: String(reason) }));
    ws.on('error', () => {});
  }

  /** Opens and initialises with `token`; resolves once acknowledged or closed. */
  static async open(t: TestGateway, token: string): Promise<Session> {
    const ws = new WebSocket(t.url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
    const session = new Session(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error(`upgrade refused with ${res.statusCode}`), { status: res.statusCode })),
      );
    });
    ws.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } }));
    await session.until(() => session.closed !== undefined || session.messages.some((m) => m.type === 'connection_ack'));
    return session;
  }

  subscribe(id: string, query: string): void {
    this.ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
  }

  /** The first message for operation `id` of the given types, waiting for it (bounded generously). */
  async first(id: string, types = ['next', 'error']): Promise<Message> {
    await this.until(() => this.messages.some((m) => m.id === id && types.includes(m.type)));
    return this.messages.find((m) => m.id === id && types.includes(m.type))!;
  }

  async until(done: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline)
        throw new Error(`timed out; messages: ${JSON.stringify(this.messages.slice(-3))}; closed: ${JSON.stringify(this.closed)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.ws.close(1000);
  }
}

const HEALTH = 'subscription { clusterHealth { id healthStatus } }';

describe.each(testDrivers())('GraphQL over WebSocket is bounded on %s', (driver) => {
  const t = useTestGateway(driver, {}, { healthMonitor: false });
  const sessions: Session[] = [];
  const open = async (token: string) => {
    const s = await Session.open(t, token);
    sessions.push(s);
    return s;
  };
  afterEach(() => {
    for (const s of sessions.splice(0)) s.close();
    vi.restoreAllMocks();
  });

  it(`one socket holds at most ${DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET} operations: one more is refused with a code, the socket and the others carry on`, {
    timeout: 60_000,
  }, async () => {
    await registerCluster(t, { kubeconfig: kubeconfigYaml({ server: 'https://127.0.0.1:1' }), skipConnectionTest: true });
    const s = await open(t.userToken);
    for (let i = 0; i < DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET; i++) s.subscribe(`s${i}`, HEALTH);
    await s.until(() => new Set(s.messages.filter((m) => m.type === 'next').map((m) => m.id)).size === DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET);
    s.subscribe('over', HEALTH);
    const refused = await s.first('over');
    expect(refused.type).toBe('error');
    expect(refused.payload[0].extensions.code).toBe('TOO_MANY_SUBSCRIPTIONS');
    expect(s.closed).toBeUndefined();
    // Completing one frees its place.
    s.ws.send(JSON.stringify({ id: 's0', type: 'complete' }));
    s.subscribe('again', HEALTH);
    expect((await s.first('again')).type).toBe('next');
    expect(s.closed).toBeUndefined();
  });

  it(`one user holds at most ${DEFAULT_MAX_SUBSCRIPTIONS_PER_USER} operations across sockets; another user is not affected`, {
    timeout: 120_000,
  }, async () => {
    const token = signToken(TEST_JWT_SECRET, { sub: 'user-many-sockets', role: 'user' });
    const full = DEFAULT_MAX_SUBSCRIPTIONS_PER_USER / DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET;
    const mine: Session[] = [];
    for (let k = 0; k < full; k++) {
      const s = await open(token);
      for (let i = 0; i < DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET; i++) s.subscribe(`s${i}`, HEALTH);
      await s.until(() => new Set(s.messages.filter((m) => m.type === 'next').map((m) => m.id)).size === DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET);
      mine.push(s);
    }
    const extra = await open(token);
    extra.subscribe('over', HEALTH);
    const refused = await extra.first('over');
    expect(refused.type).toBe('error');
    expect(refused.payload[0].extensions.code).toBe('TOO_MANY_SUBSCRIPTIONS');
    expect(refused.payload[0].message).toMatch(/for one user/);
    const other = await open(t.userToken);
    other.subscribe('fine', HEALTH);
    expect((await other.first('fine')).type).toBe('next');
    // A closed socket gives its operations back.
    mine[0]!.close();
    await mine[0]!.until(() => mine[0]!.closed !== undefined);
    // The server notices the close a moment after the client: try until it has (bounded).
    let accepted = false;
    for (let attempt = 0; attempt < 50 && !accepted; attempt++) {
      extra.subscribe(`retry${attempt}`, HEALTH);
      accepted = (await extra.first(`retry${attempt}`)).type === 'next';
    }
    expect(accepted).toBe(true);
  });

  it('a token valid for 30 days keeps its socket open (the expiry timer no longer overflows)', async () => {
    const s = await open(signToken(TEST_JWT_SECRET, { sub: 'long-lived', role: 'user' }, { expiresIn: '30d' }));
    expect(s.messages.some((m) => m.type === 'connection_ack')).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    s.subscribe('live', HEALTH);
    expect((await s.first('live')).type).toBe('next');
    expect(s.closed).toBeUndefined();
  });

  it('an operation over the cost budget is refused on the WebSocket too, before any resolver runs', async () => {
    const spies = [vi.spyOn(ClusterResolver.prototype, 'clusters'), vi.spyOn(ClusterResolver.prototype, 'cluster')];
    const s = await open(t.userToken);
    const aliases = Array.from({ length: 150 }, (_, i) => `n${i}: name`).join(' ');
    s.ws.send(JSON.stringify({ id: 'q', type: 'subscribe', payload: { query: `{ clusters { items { ${aliases} } } }` } }));
    const refused = await s.first('q');
    expect(refused.type).toBe('error');
    expect(refused.payload[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'cost' });
    expect(spies.reduce((n, spy) => n + spy.mock.calls.length, 0)).toBe(0);
    expect(s.closed).toBeUndefined();
  });

  it("an admin's pushed updates never carry a kubeconfig, whatever the alias", async () => {
    const s = await open(t.adminToken);
    s.subscribe('aliased', 'subscription { cluster: clusterHealth { id kubeconfig } }');
    s.subscribe('fragment', 'subscription { ...F } fragment F on Subscription { currentCluster: clusterHealth { kubeconfig } }');
    for (const id of ['aliased', 'fragment']) {
      const next = await s.first(id);
      expect(next.type).toBe('next');
      const cluster = Object.values(next.payload.data)[0] as { kubeconfig: unknown };
      expect(cluster.kubeconfig).toBeNull();
    }
  });
});

describe.each(testDrivers())('the 401 brake covers WebSocket authentication on %s', (driver) => {
  const t = useTestGateway(driver, { AUTH_FAILURE_LIMIT: '3' }, { healthMonitor: false });

  it('bad tokens in connection_init count; a braked address gets 429 on the upgrade and on HTTP, even with a valid token', async () => {
    for (let i = 0; i < 3; i++) {
      const s = await Session.open(t, 'not-a-token');
      await s.until(() => s.closed !== undefined);
      expect(s.closed!.code).toBe(4401);
    }
    await expect(Session.open(t, t.userToken)).rejects.toMatchObject({ status: 429 });
    const http = await fetch(`${t.url}/api/v1/k8s/clusters`, { headers: { authorization: `Bearer ${t.userToken}` } });
    expect(http.status).toBe(429);
  });
});
