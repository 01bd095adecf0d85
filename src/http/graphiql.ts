import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { Request, RequestHandler, Response } from 'express';
import { sameHostWebSockets } from './security-headers.js';

const gzip = promisify(gzipCb);
const require = createRequire(import.meta.url);

/** A package's own directory; resolved through its package.json because their `exports` hide the UMD files. */
const pkgDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

/** The page's own files (HTML, JS, CSS); `npm run build` copies them beside the compiled module (scripts/copy-assets.mjs). */
const OWN_DIR = fileURLToPath(new URL('./graphiql/', import.meta.url));

/** Every file the page may load, by its `?asset=` name: a fixed list, so no request can reach any other file. */
function assetFiles(): Record<string, { path: string; type: string }> {
  const js = 'text/javascript; charset=utf-8';
  return {
    'react.js': { path: join(pkgDir('react'), 'umd/react.production.min.js'), type: js },
    'react-dom.js': { path: join(pkgDir('react-dom'), 'umd/react-dom.production.min.js'), type: js },
    'graphiql.js': { path: join(pkgDir('graphiql'), 'graphiql.min.js'), type: js },
    'graphiql.css': { path: join(pkgDir('graphiql'), 'graphiql.min.css'), type: 'text/css; charset=utf-8' },
    'graphql-ws.js': { path: join(pkgDir('graphql-ws'), 'umd/graphql-ws.min.js'), type: js },
    'app.js': { path: join(OWN_DIR, 'app.js'), type: js },
    'page.css': { path: join(OWN_DIR, 'page.css'), type: 'text/css; charset=utf-8' },
    'index.html': { path: join(OWN_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  };
}

interface Asset {
  type: string;
  body: Buffer;
  gzipped: Buffer;
}
interface Bundle {
  version: string;
  assets: Map<string, Asset>;
}

/** Reads and compresses everything once, on first use (about 1.5 MB, 400 kB gzipped), so startup pays nothing. */
async function loadBundle(): Promise<Bundle> {
  const files = Object.entries(assetFiles());
  const bodies = await Promise.all(files.map(([, f]) => readFile(f.path)));
  const hash = createHash('sha256');
  bodies.forEach((b) => hash.update(b));
  const version = hash.digest('hex').slice(0, 12);
  const assets = new Map<string, Asset>();
  await Promise.all(
    files.map(async ([name, f], i) => {
      // The HTML names every asset with the bundle's version, so those URLs can be cached for good.
      const body = name === 'index.html' ? Buffer.from(bodies[i]!.toString('utf8').replaceAll('__VERSION__', version)) : bodies[i]!;
      assets.set(name, { type: f.type, body, gzipped: await gzip(body, { level: 9 }) });
    }),
  );
  return { version, assets };
}

/** The two style attributes GraphiQL writes as HTML (CodeMirror's jump-to-line dialog); every other is set via CSSOM. */
const STYLE_ATTRS = ['width: 10em', 'color: #888'].map((s) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`).join(' ');

/**
 * Nothing but the gateway's own origin: scripts and styles from its files; fonts and icons are data: URIs inside
 * GraphiQL's CSS. Style elements need 'unsafe-inline' because GraphiQL's dialogs inject ones whose content depends on
 * the scrollbar width (no fixed hash); style attributes are limited to the hashes above.
 * CSP 'self' does not match ws: in every browser, so the WebSocket origin is named.
 */
function contentSecurityPolicy(req: Request): string {
  const ws = sameHostWebSockets(req.headers.host);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `style-src-attr 'unsafe-hashes' ${STYLE_ATTRS}`,
    "font-src 'self' data:",
    "img-src 'self' data:",
    `connect-src 'self' ${ws}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function send(req: Request, res: Response, asset: Asset, cacheForever: boolean): void {
  const gzipOk = req.acceptsEncodings('gzip', 'identity') === 'gzip';
  res.setHeader('Content-Type', asset.type);
  res.setHeader('Cache-Control', cacheForever ? 'public, max-age=31536000, immutable' : 'no-cache');
  res.setHeader('Vary', 'Accept-Encoding');
  if (gzipOk) res.setHeader('Content-Encoding', 'gzip');
  res.end(gzipOk ? asset.gzipped : asset.body);
}

/**
 * GraphiQL for browsers at GET /graphql, served entirely from the gateway's own files (no CDN, no other origin).
 * `GET /graphql` asking for HTML without a `query` parameter gets the page; `GET /graphql?asset=NAME&v=VERSION`
 * gets one of its files (the route is mounted only on /graphql itself, so assets ride on a parameter, not a path).
 * Every other GET falls through to Apollo.
 */
export function graphiqlHandler(): RequestHandler {
  let bundle: Promise<Bundle> | undefined;
  const load = () => (bundle ??= loadBundle().catch((err: unknown) => {
    bundle = undefined; // a missing file is reported on every request, not cached forever
    throw err;
  }));

  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const assetName = typeof req.query.asset === 'string' ? req.query.asset : undefined;
    const wantsPage = assetName === undefined && req.query.query === undefined && req.accepts(['json', 'html']) === 'html';
    if (assetName === undefined && !wantsPage) return next();
    load().then(
      (b) => {
        if (wantsPage) {
          res.setHeader('Content-Security-Policy', contentSecurityPolicy(req));
          return send(req, res, b.assets.get('index.html')!, false);
        }
        const asset = assetName === 'index.html' ? undefined : b.assets.get(assetName!);
        if (!asset) return void res.status(404).type('text/plain').send('no such GraphiQL asset');
        send(req, res, asset, req.query.v === b.version);
      },
      (err: unknown) => next(err),
    );
  };
}
