/**
 * The baseline: a raw `node:http` server that answers from memory with the exact status, content type and body the
 * gateway returned for the same request (captured once, handed over in a JSON file). Request bodies are read to the
 * end before answering, as the gateway must. Optionally a raw `ws` broadcaster (the fan-out baseline).
 *
 *   node --import tsx bench/baseline-server.ts --responses F [--ws]
 *
 * F: `{ "routes": [{ "method", "path", "status", "contentType", "bodyBase64" }] }`. Prints `{ url, pid }`.
 * With `--ws`: WebSocket clients connect to `/ws`; `POST /__broadcast` sends its body to every client.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { flags } from './lib.js';

export interface CapturedRoute {
  method: string;
  path: string;
  status: number;
  contentType: string;
  bodyBase64: string;
}

const args = flags();
const table = new Map<string, { status: number; headers: Record<string, string | number>; body: Buffer }>();
function load(file: string | undefined): void {
  const routes: CapturedRoute[] = file ? (JSON.parse(readFileSync(file, 'utf8')) as { routes: CapturedRoute[] }).routes : [];
  table.clear();
  for (const r of routes) {
    const body = Buffer.from(r.bodyBase64, 'base64');
    table.set(`${r.method} ${r.path}`, { status: r.status, body, headers: { 'content-type': r.contentType, 'content-length': body.length } });
  }
}
load(args.get('responses'));
// The scale curve swaps the answers in place (IPC `{ type: 'routes', file }`).
process.on('message', (m: { type?: string; file?: string }) => {
  if (m?.type !== 'routes') return;
  load(m.file);
  process.send?.({ type: 'routes', count: table.size });
});

let wss: WebSocketServer | undefined;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (wss && req.method === 'POST' && path === '/__broadcast') {
      const payload = Buffer.concat(chunks).toString('utf8');
      for (const client of wss.clients) client.send(payload);
      res.writeHead(204).end();
      return;
    }
    const hit = table.get(`${req.method} ${path}`);
    if (!hit) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not captured');
      return;
    }
    res.writeHead(hit.status, hit.headers);
    res.end(hit.body);
  });
});
// The same keep-alive settings as the gateway's server.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
if (args.has('ws')) wss = new WebSocketServer({ server, path: '/ws' });

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid })}\n`);
});
const stop = () => {
  for (const c of wss?.clients ?? []) c.terminate();
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
