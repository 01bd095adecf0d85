// Builds the dashboard (src/ui) into dist/dashboard: one esbuild bundle (our TypeScript plus the graphql-ws client),
// the stylesheet and the HTML shell. `npm run build` always builds; `npm start` and `npm test` pass --if-stale, which
// builds only when the output is missing or older than a source file (esbuild takes well under a second).
// Usable as a module too: the dashboard's browser tests call buildDashboard({ ifStale: true }) before starting.
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
export const DASHBOARD_SOURCE = join(root, 'src/ui');
export const DASHBOARD_OUTPUT = join(root, 'dist/dashboard');
/** Files the shell is made of besides the bundle; copied as they are. */
const STATIC_FILES = ['index.html', 'app.css'];

function newestSourceMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isFresh() {
  const outputs = ['app.js', ...STATIC_FILES].map((f) => join(DASHBOARD_OUTPUT, f));
  if (!outputs.every((f) => existsSync(f))) return false;
  const oldestOutput = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  return oldestOutput >= newestSourceMtime(DASHBOARD_SOURCE);
}

/** Builds dist/dashboard; with ifStale, only when it is missing or out of date. Resolves with whether it built. */
export async function buildDashboard({ ifStale = false } = {}) {
  if (ifStale && isFresh()) return false;
  // esbuild is a build-time tool: imported here only, never by the gateway at run time.
  const { build } = await import('esbuild');
  mkdirSync(DASHBOARD_OUTPUT, { recursive: true });
  await build({
    entryPoints: [join(DASHBOARD_SOURCE, 'main.ts')],
    outfile: join(DASHBOARD_OUTPUT, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const f of STATIC_FILES) copyFileSync(join(DASHBOARD_SOURCE, f), join(DASHBOARD_OUTPUT, f));
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildDashboard({ ifStale: process.argv.includes('--if-stale') });
  if (built) process.stdout.write(`dashboard built in ${DASHBOARD_OUTPUT}\n`);
}
