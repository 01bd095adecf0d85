import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { responseHeadersToCaller } from './forward-headers.js';

/**
 * Most bytes held back to send an answer in one write; anything larger streams from the first byte over. A get or a
 * page of a list fits; the bound keeps what a thousand concurrent answers can hold in the gateway small, since nothing
 * pushes back on the cluster while an answer is being held.
 */
const MAX_COALESCED = 256 * 1024;

/**
 * Relays the cluster's answer to the caller. An answer that arrives whole within the event-loop turn it started in (a
 * get, a list: the API server wrote it at once) goes out as one write with its Content-Length, instead of a header
 * write, a chunk-framed write per TLS record and a closing chunk: three to six syscalls and as many stream passes
 * fewer per request. Anything else (a watch, a followed log, a large list) is streamed as before: headers at once (a
 * watch may send its first event much later, and kubectl waits for the status line), then the body piped with
 * backpressure, nothing held beyond `MAX_COALESCED`.
 */
export function relayResponse(method: string, upstream: IncomingMessage, request: ClientRequest, res: ServerResponse): void {
  const stop = () => {
    if (!upstream.complete) {
      upstream.destroy();
      request.destroy();
    }
  };
  // The client went away while the cluster answered: its 'close' has been, so nothing else would free the upstream.
  if (res.destroyed) return stop();
  res.once('close', stop);
  upstream.on('error', () => res.destroy());
  const status = upstream.statusCode ?? 502;
  const headers = responseHeadersToCaller(upstream.headers);
  // A HEAD answer, 204 and 304 carry no body, and their Content-Length (if any) is not theirs to recompute.
  if (method === 'HEAD' || status === 204 || status === 304) {
    res.writeHead(status, headers);
    upstream.pipe(res);
    return;
  }

  const chunks: Buffer[] = [];
  let size = 0;
  const stream = () => {
    clearImmediate(turnEnds);
    upstream.pause();
    upstream.off('data', collect);
    upstream.off('end', whole);
    if (res.destroyed) return;
    res.writeHead(status, headers);
    if (chunks.length === 0) res.flushHeaders();
    for (const chunk of chunks) res.write(chunk);
    upstream.pipe(res);
  };
  const collect = (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_COALESCED) stream();
  };
  const whole = () => {
    clearImmediate(turnEnds);
    headers['content-length'] = size;
    res.writeHead(status, headers);
    // Written in one tick, the pieces leave in one writev with the headers (node corks the socket for the tick), and
    // are not copied into one buffer: a copy of every body would only feed the garbage collector.
    for (const chunk of chunks) res.write(chunk);
    res.end();
  };
  upstream.on('data', collect);
  upstream.once('end', whole);
  const turnEnds = setImmediate(stream);
}
