import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedDelivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body. */
  json: any;
  status: number;
  /** Arrival time (ms since the epoch). */
  at: number;
}

/**
 * A real HTTP receiver for webhook tests: records every POST and answers with the status `respond` picks (default
 * 200), so a test can fail the first attempts and see the gateway retry.
 */
export async function startWebhookReceiver(respond: (req: { path: string; delivery: string; attempt: number }) => number = () => 200) {
  const received: ReceivedDelivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const status = respond({
        path,
        delivery: String(req.headers['x-kube-gateway-delivery']),
        attempt: Number(req.headers['x-kube-gateway-attempt']),
      });
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        // recorded as is; the test decides whether that is a failure
      }
      received.push({ path, headers: req.headers, body, json, status, at: Date.now() });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    /** Requests to one path (each webhook of a test gets its own path). */
    at: (path: string) => received.filter((r) => r.path === path),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What a receiver does to trust a delivery: recompute the HMAC of the raw body with its secret. */
export function signatureValid(secret: string, d: ReceivedDelivery): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(d.body).digest('hex')}`);
  const got = Buffer.from(String(d.headers['x-kube-gateway-signature'] ?? ''));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** Polls until `check` returns true (generous bound for a loaded 2-core machine). */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
