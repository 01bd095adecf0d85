import WebSocket from 'ws';
import { it } from 'vitest';
import { directivesChain } from './support/hostile-payloads.js';
import { short } from './support/hostile-requests.js';
import { describeHostileInput } from './support/hostile-suite.js';

/**
 * Hostile graphql-transport-ws sessions: oversized and malformed frames, protocol violations, and subscriptions that
 * are too deep, too wide or name bad ids. Each must close the socket with the protocol's code or fail cleanly.
 */

describeHostileInput('websocket', {}, ({ t, tally }) => {
  it('WebSocket: oversized messages close the socket with 1009; malformed frames and deep/wide/bad subscriptions fail cleanly', async ({
    expect,
  }) => {
    const url = t.url.replace(/^http/, 'ws') + '/graphql';
    const init = JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${t.adminToken}` } });
    type Session = { close: { code: number; reason: string }; messages: any[] };
    /** One raw graphql-transport-ws session: sends `frames` (after the ack when `init`), then waits for close or 1.5 s. */
    const session = async (frames: (string | Buffer)[], opts: { init: boolean }): Promise<Session> => {
      const ws = new WebSocket(url, 'graphql-transport-ws');
      const messages: any[] = [];
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
      );
      ws.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      let finished!: () => void;
      const answered = new Promise<void>((resolve) => (finished = resolve));
      const acked = new Promise<void>((resolve) =>
        ws.on('message', (m) => {
          const msg = JSON.parse(String(m));
          messages.push(msg);
          if (msg.type === 'connection_ack') resolve();
          if (msg.id === '1' && (msg.type === 'error' || msg.type === 'complete')) finished();
        }),
      );
      if (opts.init) {
        ws.send(init);
        await acked;
      }
      for (const f of frames) ws.send(f);
      // The server either closes the socket, or answers the operation (then we close); 1.5 s bounds a silent server.
      const timer = setTimeout(() => ws.close(1000, 'test done'), 1_500);
      void answered.then(() => ws.close(1000, 'test done'));
      const close = await closed;
      clearTimeout(timer);
      return { close, messages };
    };
    const subscribe = (query: string, variables?: unknown) => JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } });
    const violations: string[] = [];
    const record = (label: string, s: Session, ok: (s: Session) => string | null) => {
      tally.tried++;
      tally.count(`ws:${s.close.code}`);
      const v = ok(s);
      if (v) violations.push(`${label} → ${v} (close ${s.close.code} ${s.close.reason}; messages ${short(JSON.stringify(s.messages), 300)})`);
    };
    const closedWith = (code: number) => (s: Session) => (s.close.code === code ? null : `expected close ${code}`);
    /** A GraphQL error for the subscription, each error with an extensions.code, and the socket left usable (closed by us). */
    const graphqlError = (codes?: string[]) => (s: Session) => {
      if (s.close.code !== 1000) return `socket closed by the server with ${s.close.code}`;
      const m = s.messages.find((x) => x.id === '1' && (x.type === 'error' || x.type === 'next'));
      const errors: any[] | undefined = m?.type === 'error' ? m.payload : m?.payload?.errors;
      if (!errors?.length) return 'no GraphQL error';
      for (const e of errors) {
        const code = e?.extensions?.code;
        tally.count(typeof code === 'string' ? code : '(none)', tally.gqlCodes);
        if (typeof code !== 'string') return `error without extensions.code: ${short(JSON.stringify(e))}`;
        if (code === 'INTERNAL_SERVER_ERROR') return 'INTERNAL_SERVER_ERROR';
      }
      if (codes && !codes.includes(errors[0].extensions.code)) return `expected ${codes.join('/')}, got ${errors[0].extensions.code}`;
      return null;
    };

    const pad = 'x'.repeat(70 * 1024);
    record(
      '70 KiB message after connection_init',
      await session([subscribe('subscription { clusterHealth { id } }', { pad })], { init: true }),
      closedWith(1009),
    );
    record('70 KiB message before connection_init', await session([pad], { init: false }), closedWith(1009));
    record('1 MiB binary message after connection_init', await session([Buffer.alloc(1024 * 1024, 1)], { init: true }), closedWith(1009));
    record('64 KiB + 1 byte', await session([' '.repeat(64 * 1024 + 1)], { init: true }), closedWith(1009));
    record('malformed JSON frame', await session(['{nope'], { init: true }), closedWith(4400));
    record('unknown message type', await session([JSON.stringify({ type: 'drop_tables' })], { init: true }), closedWith(4400));
    record(
      'subscribe before connection_init',
      await session([subscribe('subscription { clusterHealth { id } }')], { init: false }),
      closedWith(4401),
    );
    record('second connection_init', await session([init], { init: true }), closedWith(4429));
    record('operation nested past depth 10', await session([subscribe(directivesChain(11))], { init: true }), graphqlError());
    record(
      'subscription with 501 fields',
      await session([subscribe(`subscription { clusterHealth { ${Array.from({ length: 501 }, (_, i) => `a${i}: id`).join(' ')} } }`)], {
        init: true,
      }),
      graphqlError(),
    );
    record(
      'subscription with a bad clusterId',
      await session([subscribe('subscription { clusterHealth(clusterId: "abc") { id } }')], { init: true }),
      graphqlError(['BAD_USER_INPUT']),
    );
    record(
      'subscription for an absent cluster',
      await session([subscribe('subscription { discoveryStatus(clusterId: "999999") { state } }')], { init: true }),
      graphqlError(['NOT_FOUND']),
    );
    record('subscription with an unknown field', await session([subscribe('subscription { nope }')], { init: true }), graphqlError());
    record('subscription with a syntax error', await session([subscribe('subscription {')], { init: true }), graphqlError());
    expect(violations).toEqual([]);
  });
});
