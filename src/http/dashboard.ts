import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Response, Router } from 'express';
import { dashboardContentSecurityPolicy } from './security-headers.js';
import { contentVersion, loadOnce, type StaticAsset as Asset, sendStaticAsset as send, staticAsset as asset } from './static-bundle.js';

/**
 * Where `scripts/build-ui.mjs` writes the dashboard: <repository>/dist/dashboard. This module sits at src/http (tsx)
 * or dist/http (compiled), two levels below the repository either way.
 */
const BUILT_DIR = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

export const DASHBOARD_PATH = '/ui/';

/** Every file the page may load, by name under /ui/assets/: a fixed list, so no request can reach any other file. */
const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

interface Bundle {
  version: string;
  page: Asset;
  assets: Map<string, Asset>;
}

/** The built files are missing: a checkout where neither `npm run build` nor `npm start` has run yet. */
class DashboardNotBuiltError extends Error {}

/** Reads and compresses the build once, on first use; the page names its assets with their content hash (caching). */
async function loadBundle(): Promise<Bundle> {
  const names = Object.keys(ASSETS);
  let bodies: Buffer[];
  let html: string;
  try {
    [html, ...bodies] = await Promise.all([readFile(join(BUILT_DIR, 'index.html'), 'utf8'), ...names.map((n) => readFile(join(BUILT_DIR, n)))]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new DashboardNotBuiltError('the dashboard is not built: run `npm run build`');
    throw err;
  }
  const version = contentVersion(bodies);
  const page = await asset('text/html; charset=utf-8', Buffer.from(html.replaceAll('__VERSION__', version)));
  const assets = new Map<string, Asset>();
  await Promise.all(names.map(async (n, i) => assets.set(n, await asset(ASSETS[n]!, bodies[i]!))));
  return { version, page, assets };
}

/**
 * The live fleet dashboard: `GET /` redirects to /ui/; /ui/assets/NAME are its built files; every other path under
 * /ui/ is the single page (it routes /ui/clusters/ID itself), with the dashboard's strict Content-Security-Policy.
 * The page talks to the gateway only through /graphql (HTTP and graphql-ws), as any other client does.
 */
export function dashboardRouter(): Router {
  const load = loadOnce(loadBundle);
  const failed = (res: Response, next: (err: unknown) => void) => (err: unknown) => {
    if (!(err instanceof DashboardNotBuiltError)) return next(err);
    res.status(503).type('text/plain').send(err.message);
  };

  const router = Router({ strict: true });
  router.get('/', (_req, res) => res.redirect(302, DASHBOARD_PATH));
  router.get('/ui', (_req, res) => res.redirect(301, DASHBOARD_PATH));
  router.get('/ui/assets/:name', (req, res, next) => {
    load().then(
      (b) => {
        const a = b.assets.get(String(req.params.name));
        if (!a) return void res.status(404).type('text/plain').send('no such dashboard asset');
        send(req, res, a, req.query.v === b.version);
      },
      failed(res, next),
    );
  });
  router.get('/ui/{*route}', (req, res, next) => {
    load().then(
      (b) => {
        res.setHeader('Content-Security-Policy', dashboardContentSecurityPolicy(req.headers.host));
        send(req, res, b.page, false);
      },
      failed(res, next),
    );
  });
  return router;
}
