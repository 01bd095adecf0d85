import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';

/** A signing key of a test identity provider: its private half signs, its public half is published by kid. */
export interface ProviderKey {
  kid: string;
  algorithm: 'RS256' | 'ES256';
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function providerKey(kid: string, type: 'rsa' | 'ec' = 'rsa'): ProviderKey {
  const { privateKey, publicKey } =
    type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, algorithm: type === 'rsa' ? 'RS256' : 'ES256', privateKey, publicKey };
}

/** A token as the provider issues it: signed by `key`, its kid in the header. */
export function providerToken(key: ProviderKey, claims: Record<string, unknown>, opts: { expiresIn?: number; kid?: string | null } = {}): string {
  return jwt.sign(claims, key.privateKey, {
    algorithm: key.algorithm,
    expiresIn: opts.expiresIn ?? 3600,
    ...(opts.kid === null ? {} : { keyid: opts.kid ?? key.kid }),
  });
}

/**
 * A local JWKS endpoint (an identity provider's `jwks_uri`): serves whatever keys it is given, counts fetches, and can
 * be made to fail (500) to play an unreachable provider.
 */
export interface JwksServer {
  url: string;
  /** Replaces the published keys (a rotation). */
  publish(keys: ProviderKey[]): void;
  /** true: every fetch gets 500. */
  failing: boolean;
  fetches: number;
  close(): Promise<void>;
}

export async function startJwksServer(keys: ProviderKey[]): Promise<JwksServer> {
  let body = '';
  const publish = (ks: ProviderKey[]) => {
    body = JSON.stringify({ keys: ks.map((k) => ({ ...k.publicKey.export({ format: 'jwk' }), kid: k.kid, use: 'sig', alg: k.algorithm })) });
  };
  publish(keys);
  const state = { failing: false, fetches: 0 };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    if (state.failing) return void res.writeHead(500).end('identity provider down');
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/protocol/openid-connect/certs`,
    publish,
    get failing() {
      return state.failing;
    },
    set failing(v: boolean) {
      state.failing = v;
    },
    get fetches() {
      return state.fetches;
    },
    set fetches(v: number) {
      state.fetches = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // fetch keeps connections alive
      }),
  };
}
