import { createServer, type Server } from 'node:http';

export interface Decoy {
  url: string;
  close(): Promise<void>;
}

/**
 * Look-alikes that must never be chosen as Prometheus: a node-exporter (metrics only), a vmagent (build info
 * without Prometheus' fields, no query API) and a black hole that never answers.
 */
export async function startDecoy(kind: 'exporter' | 'vmagent' | 'blackhole'): Promise<Decoy> {
  const server: Server = createServer((req, res) => {
    if (kind === 'blackhole') return; // never answers
    if (req.url?.startsWith('/metrics')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\nnode_load1 0.42\n');
      return;
    }
    if (kind === 'vmagent' && req.url?.startsWith('/api/v1/status/buildinfo')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { version: 'vmagent-v1.93.0' } }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404 page not found\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
