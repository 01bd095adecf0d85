import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What `kube_gateway_build_info` reports: which code runs, on which Node. */
export interface BuildInfo {
  version: string;
  commit: string;
  node: string;
}

const COMMIT = /^[0-9a-f]{7,40}$/;

/**
 * The package version, the commit and the Node version. The commit comes from `build-info.json`, written beside the
 * compiled code by `npm run build` (scripts/write-build-info.mjs: `git rev-parse HEAD`, or GIT_COMMIT for builds
 * without a .git, such as the image's); a source checkout run with tsx asks git itself. Anything else: "unknown".
 */
export function readBuildInfo(): BuildInfo {
  // Once per process: it cannot change while the process runs, and tests start many gateways in one process.
  known ??= { version: packageVersion(), commit: builtCommit() ?? checkoutCommit() ?? 'unknown', node: process.versions.node };
  return known;
}
let known: BuildInfo | undefined;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function builtCommit(): string | undefined {
  try {
    const info = JSON.parse(readFileSync(new URL('../build-info.json', import.meta.url), 'utf8')) as { commit?: unknown };
    return typeof info.commit === 'string' && COMMIT.test(info.commit) ? info.commit : undefined;
  } catch {
    return undefined;
  }
}

function checkoutCommit(): string | undefined {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      timeout: 2_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const commit = out.toString().trim();
    return COMMIT.test(commit) ? commit : undefined;
  } catch {
    return undefined; // no git, or not a checkout
  }
}
