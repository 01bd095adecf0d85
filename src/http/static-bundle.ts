import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { Request, Response } from 'express';

const gzip = promisify(gzipCb);

/**
 * A built browser file (GraphiQL's, the dashboard's) held in memory with its gzip form: the pages are a fixed list of
 * files read and compressed once, so serving one costs a header write and a buffer.
 */
export interface StaticAsset {
  type: string;
  body: Buffer;
  gzipped: Buffer;
}

export async function staticAsset(type: string, body: Buffer): Promise<StaticAsset> {
  return { type, body, gzipped: await gzip(body, { level: 9 }) };
}

/** A short hash of the files' contents: pages name their assets with it, so those URLs can be cached for good. */
export function contentVersion(bodies: readonly Buffer[]): string {
  const hash = createHash('sha256');
  for (const b of bodies) hash.update(b);
  return hash.digest('hex').slice(0, 12);
}

/** Sends one asset, gzipped when the client takes it; `cacheForever` for URLs that carry the content version. */
export function sendStaticAsset(req: Request, res: Response, asset: StaticAsset, cacheForever: boolean): void {
  const gzipOk = req.acceptsEncodings('gzip', 'identity') === 'gzip';
  res.setHeader('Content-Type', asset.type);
  res.setHeader('Cache-Control', cacheForever ? 'public, max-age=31536000, immutable' : 'no-cache');
  res.setHeader('Vary', 'Accept-Encoding');
  if (gzipOk) res.setHeader('Content-Encoding', 'gzip');
  res.end(gzipOk ? asset.gzipped : asset.body);
}

/**
 * Loads once, on first use, and keeps the result; a failed load is forgotten, so files built later (`npm run build`
 * while the gateway runs) are found on the next request instead of an error being cached forever.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () =>
    (loaded ??= load().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    }));
}
