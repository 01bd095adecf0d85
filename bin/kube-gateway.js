#!/usr/bin/env node
// The `kube-gateway` command (package.json "bin"). Plain JavaScript that any Node can load, so it can say what is
// wrong on an old one:
//   - Node older than 24: in a checkout, re-runs itself under the pinned Node 24 of scripts/node24.sh; otherwise
//     stops with a one-line reason.
//   - In a checkout (src/ and the tsx dev dependency present) it runs the TypeScript sources, so `npm run cli -- …`
//     needs no build; in an installed package or the container image it runs the compiled dist/.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const REQUIRED_MAJOR = 24;

if (Number(process.versions.node.split('.')[0]) < REQUIRED_MAJOR) {
  const wrapper = `${root}scripts/node24.sh`;
  if (!existsSync(wrapper) || process.env.KUBE_GATEWAY_REEXEC === '1') {
    process.stderr.write(`kube-gateway: needs Node ${REQUIRED_MAJOR} or newer; this is ${process.version} (see .nvmrc)\n`);
    process.exit(1);
  }
  const child = spawn('sh', [wrapper, 'node', self, ...args], { stdio: 'inherit', env: { ...process.env, KUBE_GATEWAY_REEXEC: '1' } });
  // The gateway must see the signals its operator sends (graceful shutdown on SIGTERM / Ctrl+C).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const source = `${root}src/cli/main.ts`;
  const compiled = `${root}dist/cli/main.js`;
  let entry;
  if (existsSync(source) && hasTsx()) {
    const { register } = await import(pathToFileURL(createRequire(`${root}package.json`).resolve('tsx/esm/api')).href);
    // The repository's tsconfig (decorators), whatever the working directory is.
    register({ tsconfig: `${root}tsconfig.json` });
    entry = source;
  } else if (existsSync(compiled)) {
    entry = compiled;
  } else {
    process.stderr.write('kube-gateway: neither the compiled dist/ nor the sources with tsx are present; run `npm run build`\n');
    process.exit(1);
  }
  const { runCli } = await import(pathToFileURL(entry).href);
  await runCli(args);
}

function hasTsx() {
  try {
    createRequire(`${root}package.json`).resolve('tsx/esm/api');
    return true;
  } catch {
    return false;
  }
}
