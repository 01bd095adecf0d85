import type { IncomingMessage } from 'node:http';
import { describe, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../src/config.js';
import { ClientAddresses } from '../src/http/client-address.js';
import { auditRowsOf, freshRequestId, LOOPBACK } from './support/audit-rows.js';
import { testDrivers } from './support/databases.js';
import { adminClaims, hmacToken } from './support/forged-tokens.js';
import { useTestGateway } from './support/gateway.js';
import { bearer, call, REST_BASE } from './support/raw-requests.js';

/**
 * TRUST_PROXY: behind an Ingress every request arrives from the proxy's address, so the auth brake, the access log and
 * the audit log must key on the client named by X-Forwarded-For, but only as far as trusted proxies vouch for it.
 */

const bad = bearer(hmacToken({ alg: 'HS256' }, adminClaims(), 'a guessed secret'));
const from = (client: string) => ({ 'x-forwarded-for': client });

/** The status of a WebSocket upgrade to /graphql with these headers (101 when accepted). */
function upgradeStatus(httpUrl: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { headers });
    ws.once('upgrade', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

describe.each(testDrivers())('TRUST_PROXY on %s', { concurrent: true }, (driver) => {
  describe('behind a trusted proxy (TRUST_PROXY=127.0.0.1/32, AUTH_FAILURE_LIMIT=3)', () => {
    const t = useTestGateway(driver, { TRUST_PROXY: '127.0.0.1/32,::1', AUTH_FAILURE_LIMIT: '3' }, { healthMonitor: false });

    it("one client's bad tokens brake only that client: others behind the same proxy keep working, on HTTP and WebSocket", async ({ expect }) => {
      const mallory = from('198.51.100.7');
      for (let i = 0; i < 3; i++) expect((await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: { ...bad, ...mallory } })).status).toBe(401);
      expect((await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: { ...bad, ...mallory } })).status).toBe(429);
      expect((await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: { ...bearer(t.userToken), ...mallory } })).status).toBe(429);
      expect(await upgradeStatus(t.url, mallory)).toBe(429);

      // Everyone else arrives from the same proxy address and is not braked.
      const alice = from('198.51.100.8');
      expect((await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: { ...bearer(t.userToken), ...alice } })).status).toBe(200);
      expect((await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: { ...bad, ...alice } })).status).toBe(401);
      expect(await upgradeStatus(t.url, alice)).toBe(101);
      // A client writing its own X-Forwarded-For entry before the proxy's cannot slip out: the proxy appended the
      // real address, and that is the one read.
      expect(
        (await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: { ...bearer(t.userToken), 'x-forwarded-for': '203.0.113.1, 198.51.100.7' } }))
          .status,
      ).toBe(429);
    });

    it('the audit log records the forwarded client address', async ({ expect }) => {
      const requestId = freshRequestId();
      const res = await call(t.url, 'DELETE', `${REST_BASE}/clusters/987654`, {
        headers: { ...bearer(t.userToken), ...from('192.0.2.44'), 'x-request-id': requestId },
      });
      expect(res.status).toBe(403);
      const rows = await auditRowsOf(t.gw, requestId);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.source_ip).toBe('192.0.2.44');
    });
  });

  describe('an untrusted X-Forwarded-For (TRUST_PROXY=10.0.0.0/8, the test client is 127.0.0.1)', () => {
    const t = useTestGateway(driver, { TRUST_PROXY: '10.0.0.0/8', AUTH_FAILURE_LIMIT: '3' }, { healthMonitor: false });

    it('is ignored: a different made-up address per request does not escape the brake', async ({ expect }) => {
      for (let i = 0; i < 3; i++)
        expect((await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: { ...bad, ...from(`198.51.100.${i}`) } })).status).toBe(401);
      expect((await call(t.url, 'GET', `${REST_BASE}/clusters`, { headers: { ...bearer(t.userToken), ...from('198.51.100.200') } })).status).toBe(
        429,
      );
    });
  });

  describe('without TRUST_PROXY', () => {
    const t = useTestGateway(driver, {}, { healthMonitor: false });

    it('the audit log records the socket peer, whatever X-Forwarded-For says', async ({ expect }) => {
      const requestId = freshRequestId();
      const res = await call(t.url, 'DELETE', `${REST_BASE}/clusters/987654`, {
        headers: { ...bearer(t.userToken), ...from('192.0.2.44'), 'x-request-id': requestId },
      });
      expect(res.status).toBe(403);
      const rows = await auditRowsOf(t.gw, requestId);
      expect(rows[0]!.source_ip).toMatch(LOOPBACK);
    });
  });
});

describe('client address resolution', () => {
  const req = (peer: string, xff?: string) =>
    ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

  it('hops: the entry that many places from the right; a short header yields its leftmost entry; garbage stops at the last known address', ({
    expect,
  }) => {
    const one = new ClientAddresses({ hops: 1 });
    expect(one.of(req('10.1.1.1', '6.6.6.6, 198.51.100.7'))).toBe('198.51.100.7');
    expect(one.of(req('::ffff:10.1.1.1'))).toBe('10.1.1.1');
    const two = new ClientAddresses({ hops: 2 });
    expect(two.of(req('10.1.1.1', '6.6.6.6, 198.51.100.7, 10.2.2.2'))).toBe('198.51.100.7');
    expect(two.of(req('10.1.1.1', '198.51.100.7'))).toBe('198.51.100.7');
    expect(two.of(req('10.1.1.1', 'not-an-ip, 10.2.2.2'))).toBe('10.2.2.2');
    expect(one.of(req('10.1.1.1', '[2001:db8::7]:443'))).toBe('2001:db8::7');
    expect(one.of(req('10.1.1.1', '198.51.100.7:5123'))).toBe('198.51.100.7');
  });

  it('CIDRs: trusted proxies are skipped from the right; an untrusted peer is the client whatever it forwards', ({ expect }) => {
    const cidrs = new ClientAddresses({ cidrs: ['10.0.0.0/8', 'fd00::/8'] });
    expect(cidrs.of(req('10.1.1.1', '6.6.6.6, 198.51.100.7, 10.9.9.9'))).toBe('198.51.100.7');
    expect(cidrs.of(req('fd00::1', '198.51.100.7'))).toBe('198.51.100.7');
    expect(cidrs.of(req('198.51.100.9', '10.0.0.5'))).toBe('198.51.100.9');
    expect(cidrs.of(req('10.1.1.1', '10.2.2.2'))).toBe('10.2.2.2');
    expect(new ClientAddresses().of(req('127.0.0.1', '198.51.100.7'))).toBe('127.0.0.1');
  });

  it('TRUST_PROXY is validated: hops 1-32 or addresses/CIDRs, errors name the variable', ({ expect }) => {
    const base = { JWT_SECRET: 'x'.repeat(32) };
    expect(loadConfig({ ...base, TRUST_PROXY: '2' }).trustProxy).toEqual({ hops: 2 });
    expect(loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/8, 192.168.1.4' }).trustProxy).toEqual({ cidrs: ['10.0.0.0/8', '192.168.1.4'] });
    expect(loadConfig(base).trustProxy).toBeUndefined();
    for (const bad of ['0', '33', '10.0.0.0/33', 'ingress', '10.0.0.0/8,nope']) {
      expect(() => loadConfig({ ...base, TRUST_PROXY: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
    }
  });
});
