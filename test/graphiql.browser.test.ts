import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, hasChromium, launchHeadlessChromium } from './support/chromium.js';
import { startTestGateway, type TestGateway, uniqueName } from './support/gateway.js';
import { reachableCluster } from './support/reachable.js';

/** Debian's Chromium; the test never downloads a browser. */
const required = process.env.REQUIRE_ALL_BACKENDS === '1';
if (!hasChromium && !required) console.warn(`[graphiql.browser] ${CHROMIUM} not found: skipping the GraphiQL browser test`);

const SCREENSHOT = join('test-results', 'graphiql.png');

describe.runIf(hasChromium || required)('GraphiQL at GET /graphql in headless Chromium', () => {
  let t: TestGateway;
  let ctx: BrowserContext;
  let profileDir: string;
  let clusterId: string;
  let clusterName: string;
  /** Every URL any page asked for (HTTP requests and WebSockets), to prove nothing leaves the gateway. */
  const requested: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // The page is a bundle (scripts/build-graphiql.mjs); `npm test` builds it when missing, so does a direct run.
    execFileSync(process.execPath, ['scripts/build-graphiql.mjs', '--if-missing'], { stdio: 'inherit' });
    const [gateway, context, cluster] = await Promise.all([
      startTestGateway('pglite', { PROMETHEUS_AUTO_DISCOVERY: 'false' }),
      launchHeadlessChromium('kgw-chromium-'),
      reachableCluster(),
    ]);
    t = gateway;
    ctx = context.ctx;
    profileDir = context.profileDir;
    clusterName = uniqueName('giql');
    const res = await t.rest('POST', '/api/v1/k8s/clusters', { body: { name: clusterName, kubeconfig: cluster.kubeconfigBase64 } });
    expect(res.status).toBe(201);
    clusterId = String(res.body.data.id);
    ctx.on('page', (page) => watch(page));
    // Content-Security-Policy violations are not page errors; collect them from inside the page.
    await ctx.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
    });
  });

  afterAll(async () => {
    await ctx?.close();
    await t?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  function watch(page: Page): void {
    page.setDefaultTimeout(10_000); // a missing element fails with its selector, before the test's own timeout
    page.on('request', (r) => requested.push(r.url()));
    page.on('websocket', (ws) => requested.push(ws.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  }

  /** The response as shown (Monaco renders spaces as non-breaking ones). */
  const responseText = async (page: Page) => (await page.locator('.graphiql-response .view-lines').innerText()).replace(/\u00a0/g, ' ');

  /**
   * Replaces an editor's whole text by keyboard, as a person would. Monaco closes brackets and quotes as they are
   * typed; the closers land after the cursor, so everything after the typed text is deleted.
   */
  async function typeInto(page: Page, editor: string, text: string): Promise<void> {
    await page.locator(editor).click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(text);
    await page.keyboard.press('Control+Shift+End');
    await page.keyboard.press('Delete');
  }
  /**
   * GraphiQL parses the query shortly after the last keystroke and only then knows the operation name to send; a
   * person never clicks that fast, a test does, so it waits until the parsed name shows as the tab's title.
   */
  async function typeOperation(page: Page, name: string, text: string): Promise<void> {
    await typeInto(page, QUERY_EDITOR, text);
    await page.locator('.graphiql-tab-active', { hasText: new RegExp(`^${name}$`) }).waitFor();
  }
  const QUERY_EDITOR = '.graphiql-query-editor .monaco-editor';
  const HEADERS_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .monaco-editor';

  async function run(page: Page): Promise<void> {
    await page.locator('button.graphiql-execute-button').click();
  }

  it('serves the page with a strict CSP and only to browsers', async () => {
    // Schema docs and autocompletion rest on the standard introspection query (15 levels deep), sent without a token.
    const intro = await t.gql(getIntrospectionQuery(), {}, { token: null });
    expect(intro.errors, 'GraphiQL needs the standard introspection query to pass without a token').toBeUndefined();

    const html = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = html.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\d+/);
    expect(csp).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    const body = await html.text();
    expect(body).not.toMatch(/(src|href)="(https?:)?\/\//);

    // Anything else is Apollo's: a JSON client, or a GET with a query.
    const json = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{__typename}')}`, {
      headers: { accept: 'text/html, application/json;q=0.9', 'apollo-require-preflight': '1' },
    });
    expect(await json.json()).toEqual({ data: { __typename: 'Query' } });
    expect((await fetch(`${t.url}/graphql?asset=../../package.json`)).status).toBe(404);
    const asset = await fetch(`${t.url}/graphql?asset=app.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
  });

  it('runs queries with the headers editor, subscriptions over graphql-ws, and shows schema docs', async () => {
    const page = await ctx.newPage();
    await page.goto(`${t.url}/graphql`);
    await page.locator(QUERY_EDITOR).waitFor();

    // The default query needs a token: without one the gateway answers UNAUTHENTICATED, and the page shows it.
    await run(page);
    await expect.poll(() => responseText(page)).toMatch(/UNAUTHENTICATED/);

    await typeInto(page, HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${t.adminToken}` }, null, 2));
    // Autocompletion comes from the introspected schema.
    await typeInto(page, QUERY_EDITOR, '{ clu');
    await page.keyboard.press('Control+Space');
    await expect.poll(() => page.locator('.suggest-widget').innerText()).toContain('clusters');
    await page.keyboard.press('Escape');
    await typeOperation(page, 'List', 'query List {\n  clusters {\n    total\n    items { name healthStatus }\n  }\n}');
    await run(page);
    await expect.poll(() => responseText(page)).toContain(clusterName);
    expect(await responseText(page)).toMatch(/"total": \d+/);

    // Subscription: the current state first, then the transitions of a discovery started over REST.
    await typeOperation(
      page,
      'Discovery',
      `subscription Discovery {\n  discoveryStatus(clusterId: "${clusterId}") {\n    state\n    message\n  }\n}`,
    );
    await run(page);
    await expect.poll(() => responseText(page)).toMatch(/"state": "NOT_FOUND"[\s\S]*no discovery has run/);
    const started = await t.rest('POST', `/api/v1/k8s/clusters/${clusterId}/prometheus/rediscover`);
    expect(started.status).toBe(202);
    await expect.poll(() => responseText(page), { timeout: 15_000 }).toMatch(/no Prometheus candidates/);

    // Schema docs: the explorer lists the root types, and Query's fields lead to Cluster.
    await page.getByRole('button', { name: /Show Documentation Explorer/i }).click();
    await page
      .locator('.graphiql-doc-explorer a.graphiql-doc-explorer-type-name', { hasText: /^Query$/ })
      .first()
      .click();
    await expect
      .poll(() => page.locator('.graphiql-doc-explorer a.graphiql-doc-explorer-type-name', { hasText: /^Cluster$/ }).count())
      .toBeGreaterThan(0);

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    await page.close();
  });

  it('opens its dialogs and editor pop-ups within the Content-Security-Policy', async () => {
    const page = await ctx.newPage();
    await page.goto(`${t.url}/graphql`);
    await page.locator(QUERY_EDITOR).waitFor();
    // Radix dialogs inject <style> elements; Monaco's find widget and its lines are HTML with style attributes.
    await page.getByRole('button', { name: 'Open settings dialog' }).click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Open short keys dialog' }).click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.locator(QUERY_EDITOR).click();
    await page.keyboard.press('Control+F');
    await page.locator('.find-widget.visible').waitFor();
    // A style attribute the CSP blocked would leave the element's inline style empty.
    expect(
      await page
        .locator(`${QUERY_EDITOR} .view-line`)
        .first()
        .evaluate((e) => (e as HTMLElement).style.top),
    ).toMatch(/^\d+px$/);
    await page.close();
  });

  it('takes the query and headers from the URL fragment, drops the token from the address bar, and reports a bad token', async () => {
    const page = await ctx.newPage();
    const headers = JSON.stringify({ Authorization: `Bearer ${t.userToken}` });
    const query = `subscription Watch { discoveryStatus(clusterId: "${clusterId}") { state message } }`;
    await page.goto(`${t.url}/graphql#query=${encodeURIComponent(query)}&headers=${encodeURIComponent(headers)}`);
    await page.locator(QUERY_EDITOR).waitFor();
    expect(page.url()).not.toContain('headers=');
    expect(page.url()).toContain('query=');
    await run(page);
    await expect.poll(() => responseText(page)).toMatch(/"state": "(NOT_FOUND|PENDING|RUNNING)"/);
    await run(page); // stop the subscription

    await typeInto(page, HEADERS_EDITOR, JSON.stringify({ Authorization: 'Bearer not-a-jwt' }));
    await run(page);
    await expect.poll(() => responseText(page)).toMatch(/WebSocket closed \(4401\)/);
    await page.close();
  });

  it('made every request to the gateway itself, with no CSP violation or page error', () => {
    const origin = new URL(t.url);
    const allowed = [`http://${origin.host}/`, `ws://${origin.host}/`];
    expect(requested.length).toBeGreaterThan(5);
    expect(requested.filter((u) => u.startsWith('ws://'))).not.toHaveLength(0);
    // GraphiQL 5's Monaco editor runs its language services in workers, loaded from the gateway too.
    expect(requested.filter((u) => /asset=(graphql|editor)\.worker\.js/.test(u))).not.toHaveLength(0);
    expect(requested.filter((u) => !allowed.some((a) => u.startsWith(a)))).toEqual([]);
    // The bad-token case makes the gateway answer 401 to introspection; the browser logs that as a failed resource.
    expect(pageErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
