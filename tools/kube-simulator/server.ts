/**
 * The HTTPS listener: TLS with the simulator CA, optional client certificates, socket tracking (so close()
 * is immediate even with hung requests), stop/resume listening on the same port, and cancellable delays.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SimulatorTls } from './tls.js';

export class SimServer {
  private readonly server: https.Server;
  private readonly sockets = new Set<Socket>();
  private readonly waits = new Set<{ timer: NodeJS.Timeout; resolve: (ok: boolean) => void }>();
  private listening = false;
  private closed = false;
  /** The port, fixed after the first listen so stop/resume keeps it. */
  port = 0;

  constructor(
    tls: SimulatorTls,
    handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
    readonly host = '127.0.0.1',
  ) {
    this.server = https.createServer(
      {
        key: tls.serverKeyPem,
        cert: tls.serverCertPem,
        ca: tls.clientCaPem,
        // Ask for a client certificate but let bearer-token requests through; the handler decides.
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        handler(req, res).catch((err: unknown) => {
          // A bug in the simulator must surface as a 500, not an unhandled rejection killing the test run.
          if (!res.headersSent) {
            res.writeHead(500, { 'Content-Type': 'text/plain' });
            res.end(`kube-simulator internal error: ${String(err)}`);
          } else res.destroy();
        });
      },
    );
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    // Clients that give up mid-handshake (or reject our certificate) are normal in tests; ignore them.
    this.server.on('tlsClientError', () => undefined);
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  /** Listener for upgrade requests (exec over WebSocket); without one, upgrades are answered by node (closed). */
  onUpgrade(listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): void {
    this.server.on('upgrade', listener);
  }

  get url(): string {
    return `https://${this.host}:${this.port}`;
  }

  async listen(port = this.port): Promise<void> {
    if (this.closed) throw new Error('kube-simulator is closed');
    if (this.listening) return;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, this.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const addr = this.server.address();
    if (addr && typeof addr === 'object') this.port = addr.port;
    this.listening = true;
  }

  /** Stops accepting connections (clients get ECONNREFUSED) and drops the open ones, like a dead server. */
  async stopListening(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.destroySockets();
    await closed;
  }

  async resumeListening(): Promise<void> {
    await this.listen(this.port);
  }

  openConnections(): number {
    return this.sockets.size;
  }

  /** Resolves true after `ms`, or false immediately when the server closes first. */
  delay(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const w = {
        timer: setTimeout(() => {
          this.waits.delete(w);
          resolve(true);
        }, ms),
        resolve,
      };
      this.waits.add(w);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waits) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.waits.clear();
    await this.stopListening();
    this.destroySockets();
  }

  private destroySockets(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}
