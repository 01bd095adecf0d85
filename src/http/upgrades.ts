import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { isProxyUrl } from '../proxy/proxy-path.js';

export interface UpgradeTargets {
  graphql: { handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void };
  proxy?: { handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void };
}

/**
 * The one `upgrade` listener of each server (HTTP and HTTPS): GraphQL subscriptions on /graphql, the Kubernetes API
 * proxy's exec / attach / port-forward on its paths, and a plain 404 for anything else (a socket is never left open).
 */
export function upgradeDispatcher(targets: UpgradeTargets) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = req.url ?? '';
    if (targets.proxy && isProxyUrl(url)) return targets.proxy.handleUpgrade(req, socket, head);
    if (url === '/graphql' || url.startsWith('/graphql?')) return targets.graphql.handleUpgrade(req, socket, head);
    socket.on('error', () => socket.destroy());
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  };
}
