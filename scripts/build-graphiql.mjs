// Bundles the GraphiQL page (src/http/graphiql/app.js with React 19, GraphiQL 5, graphql-ws and GraphiQL's Monaco
// editor workers) into src/http/graphiql/bundle/ with esbuild. GraphiQL 5 and React 19 ship no UMD files, so the page
// is built once instead of loading packages from a CDN: the gateway serves these files itself, offline.
//   node scripts/build-graphiql.mjs              build (npm run build)
//   node scripts/build-graphiql.mjs --if-missing build only when the bundle is absent (npm start, npm test)
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const page = `${root}src/http/graphiql`;
export const BUNDLE_DIR = `${page}/bundle`;
/** Every file the build writes; the gateway serves exactly these (src/http/graphiql.ts). */
export const BUNDLE_FILES = ['app.js', 'app.css', 'editor.worker.js', 'json.worker.js', 'graphql.worker.js'];

export async function buildGraphiql({ ifMissing = false } = {}) {
  if (ifMissing && BUNDLE_FILES.every((f) => existsSync(`${BUNDLE_DIR}/${f}`))) return false;
  const { build } = await import('esbuild');
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
  const common = {
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['chrome120', 'firefox121', 'safari17'],
    define: { 'process.env.NODE_ENV': '"production"' },
    // Monaco's codicon font and any image in GraphiQL's CSS become data: URIs (the CSP allows data: fonts/images).
    loader: { '.ttf': 'dataurl', '.woff': 'dataurl', '.woff2': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
    legalComments: 'none',
    logLevel: 'warning',
    absWorkingDir: root,
  };
  await build({ ...common, entryPoints: { app: `${page}/app.js` }, outdir: BUNDLE_DIR });
  await build({
    ...common,
    entryPoints: {
      'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
      'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
      'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
    },
    outdir: BUNDLE_DIR,
  });
  for (const f of BUNDLE_FILES) if (!existsSync(`${BUNDLE_DIR}/${f}`)) throw new Error(`build-graphiql: ${f} was not written`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const built = await buildGraphiql({ ifMissing: process.argv.includes('--if-missing') });
  if (built) console.log(`GraphiQL bundle built in ${Math.round(performance.now() - started)} ms (${BUNDLE_DIR})`);
}
