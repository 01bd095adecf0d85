import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface FaultProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * Stands in front of a real Prometheus and forwards every request, except queries whose PromQL contains `hold`: those
 * are never answered, as if that one query hung in a slow Prometheus. What fails is exactly one series.
 */
export async function startFaultProxy(upstream: string, hold: string): Promise<FaultProxy> {
  const held: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
    if (query.includes(hold)) {
      held.push(res);
      return;
    }
    const target = new URL(req.url ?? '/', upstream);
    const up = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
