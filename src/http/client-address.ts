import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * TRUST_PROXY: which proxies' X-Forwarded-For is believed. `hops`: that many proxies stand in front of the gateway
 * (an Ingress is 1), so the client is the entry that many places from the right. `cidrs`: proxies are recognised by
 * their address, and the client is the first address, walking from the socket leftwards, outside these ranges.
 */
export type TrustProxy = { hops: number } | { cidrs: string[] };

/**
 * The address of the client a request comes from, for the auth brake, the access log and the audit log alike, so all
 * three name the same party. Without TRUST_PROXY it is the socket's peer: a header anyone can write never moves a
 * client out of the brake (nor frames another). With it, X-Forwarded-For is read only through trusted hops: entries
 * a client wrote before the first trusted proxy added its own are never taken.
 */
export class ClientAddresses {
  private readonly trusted?: BlockList;
  private readonly known = new WeakMap<IncomingMessage, string | undefined>();
  /** A connection's peer never changes; reading `remoteAddress` asks the OS (getpeername) each time. */
  private readonly peers = new WeakMap<object, string>();

  constructor(private readonly trust?: TrustProxy) {
    if (trust && 'cidrs' in trust) {
      this.trusted = new BlockList();
      for (const cidr of trust.cidrs) {
        const { address, prefix, family } = parseCidr(cidr)!;
        this.trusted.addSubnet(address, prefix, family);
      }
    }
  }

  /** The client's address (IPv4-mapped IPv6 written as plain IPv4), or undefined for a socket already gone. */
  of(req: IncomingMessage): string | undefined {
    if (this.known.has(req)) return this.known.get(req);
    const peer = this.peerOf(req);
    const address = this.trust && peer ? this.throughProxies(peer, forwardedFor(req)) : peer;
    this.known.set(req, address);
    return address;
  }

  private peerOf(req: IncomingMessage): string | undefined {
    const socket = req.socket;
    let peer = this.peers.get(socket);
    if (peer === undefined) {
      peer = normalise(socket.remoteAddress);
      // Undefined (a socket already gone) is not kept: asked again next time.
      if (peer !== undefined) this.peers.set(socket, peer);
    }
    return peer;
  }

  private throughProxies(peer: string, forwarded: string[]): string {
    let client = peer;
    if ('hops' in this.trust!) {
      // The peer is the nearest proxy; each trusted hop vouches for the entry it appended, right to left.
      for (let hop = 1; hop <= this.trust.hops && forwarded.length > 0; hop++) {
        const entry = normalise(forwarded.pop());
        if (!entry) return client; // garbage from a trusted proxy: the last address that is known is the answer
        client = entry;
      }
      return client;
    }
    while (this.isTrusted(client) && forwarded.length > 0) {
      const entry = normalise(forwarded.pop());
      if (!entry) return client;
      client = entry;
    }
    return client;
  }

  private isTrusted(address: string): boolean {
    return this.trusted!.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }
}

/** Every X-Forwarded-For entry, leftmost first (Node joins repeated headers with ", "). */
function forwardedFor(req: IncomingMessage): string[] {
  const header = req.headers['x-forwarded-for'];
  if (typeof header !== 'string' || header === '') return [];
  return header.split(',').map((s) => s.trim());
}

/** An address as an IP, or undefined: brackets and ports (some proxies add them) dropped, IPv4-mapped IPv6 unwrapped. */
function normalise(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let address = raw;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/i.exec(address);
  if (mapped) address = mapped[1]!;
  return isIP(address) ? address : undefined;
}

/** `10.0.0.0/8`, `fd00::/8` or a single address (a /32 or /128); undefined when it is neither. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  const version = isIP(address);
  if (!version || rest.length > 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}
