import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, RequestHandler } from 'express';
import { sameHostWebSockets } from './security-headers.js';
import { contentVersion, loadOnce, type StaticAsset as Asset, sendStaticAsset as send, staticAsset } from './static-bundle.js';

/**
 * The page's own files (HTML, CSS) and, under bundle/, what scripts/build-graphiql.mjs makes of app.js with React 19,
 * GraphiQL 5 and graphql-ws (neither ships UMD files any more); `npm run build` copies both beside the compiled
 * module (scripts/copy-assets.mjs), and `npm start` / `npm test` build the bundle when it is missing.
 */
const OWN_DIR = fileURLToPath(new URL('./graphiql/', import.meta.url));
const BUNDLE_DIR = join(OWN_DIR, 'bundle');

/** Every file the page may load, by its `?asset=` name: a fixed list, so no request can reach any other file. */
function assetFiles(): Record<string, { path: string; type: string }> {
  const js = 'text/javascript; charset=utf-8';
  return {
    'app.js': { path: join(BUNDLE_DIR, 'app.js'), type: js },
    'app.css': { path: join(BUNDLE_DIR, 'app.css'), type: 'text/css; charset=utf-8' },
    // Monaco's language services (GraphQL, JSON for variables and headers, the editor's own) run in workers.
    'editor.worker.js': { path: join(BUNDLE_DIR, 'editor.worker.js'), type: js },
    'json.worker.js': { path: join(BUNDLE_DIR, 'json.worker.js'), type: js },
    'graphql.worker.js': { path: join(BUNDLE_DIR, 'graphql.worker.js'), type: js },
    'page.css': { path: join(OWN_DIR, 'page.css'), type: 'text/css; charset=utf-8' },
    'index.html': { path: join(OWN_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  };
}

interface Bundle {
  version: string;
  assets: Map<string, Asset>;
}

/** Reads and compresses everything once, on first use (about 7 MB, 1.6 MB gzipped), so startup pays nothing. */
async function loadBundle(): Promise<Bundle> {
  const files = Object.entries(assetFiles());
  const bodies = await Promise.all(files.map(([, f]) => readFile(f.path)));
  const version = contentVersion(bodies);
  const assets = new Map<string, Asset>();
  await Promise.all(
    files.map(async ([name, f], i) => {
      // The HTML names every asset with the bundle's version, so those URLs can be cached for good.
      const body = name === 'index.html' ? Buffer.from(bodies[i]!.toString('utf8').replaceAll('__VERSION__', version)) : bodies[i]!;
      assets.set(name, await staticAsset(f.type, body));
    }),
  );
  return { version, assets };
}

/**
 * Nothing but the gateway's own origin: scripts, styles and workers from its files; fonts and icons are data: URIs
 * inside the bundled CSS. Styles need 'unsafe-inline': GraphiQL's dialogs inject <style> elements whose content
 * depends on the scrollbar width, and its Monaco editor renders every line as HTML with style attributes (positions),
 * so neither hashes nor nonces can list them. Scripts stay 'self' only: no inline script, no eval.
 * CSP 'self' does not match ws: in every browser, so the WebSocket origin is named.
 */
function contentSecurityPolicy(req: Request): string {
  const ws = sameHostWebSockets(req.headers.host);
  return [
    "default-src 'none'",
    "script-src 'self'",
    // Monaco's workers, from the gateway's own files (?asset=*.worker.js).
    "worker-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "img-src 'self' data:",
    `connect-src 'self' ${ws}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * GraphiQL for browsers at GET /graphql, served entirely from the gateway's own files (no CDN, no other origin).
 * `GET /graphql` asking for HTML without a `query` parameter gets the page; `GET /graphql?asset=NAME&v=VERSION`
 * gets one of its files (the route is mounted only on /graphql itself, so assets ride on a parameter, not a path).
 * Every other GET falls through to Apollo.
 */
export function graphiqlHandler(): RequestHandler {
  const load = loadOnce(loadBundle);

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
