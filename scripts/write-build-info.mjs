// Records the commit the build was made from beside the compiled code (dist/build-info.json), for the
// kube_gateway_build_info metric (src/http/build-info.ts). GIT_COMMIT wins (image builds have no .git: pass
// `--build-arg GIT_COMMIT=$(git rev-parse HEAD)`); else `git rev-parse HEAD`; else "unknown".
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

function commit() {
  if (process.env.GIT_COMMIT) return process.env.GIT_COMMIT.trim();
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

const info = { commit: /^[0-9a-f]{7,40}$/.test(commit()) ? commit() : 'unknown' };
writeFileSync('dist/build-info.json', `${JSON.stringify(info)}\n`);
console.log(`build-info: commit ${info.commit}`);
