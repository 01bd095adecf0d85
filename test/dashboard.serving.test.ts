import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../scripts/build-ui.mjs';
import { TEST_JWT_SECRET, useTestGateway } from './support/gateway.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** The budget for the dashboard's JavaScript, compressed as the gateway sends it. */
const JS_BUDGET_GZIP = 250 * 1024;

/** A GET with the raw bytes as sent (fetch would decompress them), for sizes and headers. */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; bytes: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, bytes: body.length, body });
      });
    })
      .on('error', reject)
      .end();
  });
}

describe('the dashboard served by the gateway', () => {
  beforeAll(() => buildDashboard({ ifStale: true }), 60_000);
  const t = useTestGateway('pglite');

  it('redirects / to /ui/ and serves the page under every /ui/ path, with a strict Content-Security-Policy', async () => {
    const root = await fetch(`${t.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui/');
    expect((await fetch(`${t.url}/ui`, { redirect: 'manual' })).headers.get('location')).toBe('/ui/');

    for (const path of ['/ui/', '/ui/clusters/42']) {
      const res = await fetch(`${t.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      const directive = (name: string) => csp.split('; ').find((d) => d.startsWith(`${name} `));
      expect(directive('default-src')).toBe("default-src 'none'");
      expect(directive('script-src')).toBe("script-src 'self'");
      expect(directive('style-src')).toBe("style-src 'self'");
      expect(directive('connect-src')).toMatch(/^connect-src 'self' ws:\/\/127\.0\.0\.1:\d+ wss:\/\/127\.0\.0\.1:\d+$/);
      expect(csp).toContain("require-trusted-types-for 'script'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/unsafe-(inline|eval|hashes)/);
      const html = await res.text();
      // No inline script or style, no style attribute, nothing from another origin.
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
      expect(html).not.toMatch(/<style|\sstyle=/);
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
      expect(html).toMatch(/<main id="main"/);
      expect(html).toContain('<script type="module" src="/ui/assets/app.js?v=');
    }
  });

  it('sends its JavaScript within 250 KB gzip, cached for good under its version, and no file outside its list', async () => {
    const html = await (await fetch(`${t.url}/ui/`)).text();
    const version = /app\.js\?v=([0-9a-f]{12})/.exec(html)?.[1];
    expect(version).toBeDefined();
    const js = await rawGet(`${t.url}/ui/assets/app.js?v=${version}`, { 'accept-encoding': 'gzip' });
    expect(js.status).toBe(200);
    expect(js.headers['content-encoding']).toBe('gzip');
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toContain('immutable');
    expect(js.bytes).toBeLessThanOrEqual(JS_BUDGET_GZIP);
    console.info(`[dashboard] app.js: ${js.bytes} bytes gzip`);
    // The bundle carries graphql-ws (subscriptions) and no code from another host.
    const plain = await (await fetch(`${t.url}/ui/assets/app.js`)).text();
    expect(plain).toContain('graphql-transport-ws');
    expect(plain).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)[a-z]/i);
    expect((await rawGet(`${t.url}/ui/assets/app.js?v=old`)).headers['cache-control']).toBe('no-cache');

    for (const path of ['/ui/assets/index.html', '/ui/assets/..%2F..%2Fpackage.json', '/ui/assets/main.ts']) {
      expect((await fetch(`${t.url}${path}`)).status, path).toBe(404);
    }
    const css = await fetch(`${t.url}/ui/assets/app.css`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('`kube-gateway token --open` prints a dashboard link with a 15-minute token for the configured port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kgw-token-open-'));
    try {
      const { stdout, code } = await new Promise<{ stdout: string; code: number }>((resolve) =>
        execFile(
          process.execPath,
          [join(ROOT, 'bin/kube-gateway.js'), 'token', '--sub', 'dana', '--role', 'admin', '--open'],
          { cwd: dir, env: { PATH: process.env.PATH!, JWT_SECRET: TEST_JWT_SECRET, PORT: '12399', DATA_DIR: dir }, timeout: 120_000 },
          (err, out) => resolve({ stdout: out, code: err ? 1 : 0 }),
        ),
      );
      expect(code).toBe(0);
      const match = /^http:\/\/localhost:12399\/ui\/#token=([\w-]+\.[\w-]+\.[\w-]+)\n$/.exec(stdout);
      expect(match, stdout).not.toBeNull();
      const claims = jwt.verify(match![1]!, TEST_JWT_SECRET) as jwt.JwtPayload;
      expect(claims).toMatchObject({ sub: 'dana', role: 'admin' });
      expect(claims.exp! - claims.iat!).toBe(15 * 60);
      // The token works at the gateway, as the page will use it.
      const res = await t.gql('{ clusters { total } }', {}, { token: match![1]! });
      expect(res.errors).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
