import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { buildDashboard } from '../../scripts/build-ui.mjs';

/** Debian's Chromium; the tests never download a browser. */
export { CHROMIUM, hasChromium } from './chromium.js';
import { CHROMIUM, hasChromium, launchHeadlessChromium } from './chromium.js';
if (!hasChromium && process.env.REQUIRE_ALL_BACKENDS !== '1') console.warn(`[dashboard] ${CHROMIUM} not found: skipping the dashboard browser tests`);
export const runBrowserSuite = hasChromium || process.env.REQUIRE_ALL_BACKENDS === '1';

/** Everything one browser session saw: to prove nothing left the gateway and nothing went wrong in the page. */
export interface DashboardBrowser {
  ctx: BrowserContext;
  /** Every URL any page asked for (HTTP and WebSocket). */
  requested: string[];
  /** Page errors, console errors and CSP violations. */
  problems: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Builds the dashboard if needed (as `npm test` does) and starts headless Chromium with the GraphiQL test's flags. */
export async function startDashboardBrowser(): Promise<DashboardBrowser> {
  await buildDashboard({ ifStale: true });
  const { ctx, profileDir } = await launchHeadlessChromium('kgw-dashboard-chromium-', { acceptDownloads: true });
  const requested: string[] = [];
  const problems: string[] = [];
  ctx.on('page', (page) => {
    page.setDefaultTimeout(10_000); // a missing element fails with its selector, before the test's own timeout
    page.on('request', (r) => requested.push(r.url()));
    page.on('websocket', (ws) => requested.push(ws.url()));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
  });
  // CSP violations (a blocked inline script, style attribute or foreign request) are not page errors: report them.
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  return {
    ctx,
    requested,
    problems,
    newPage: () => ctx.newPage(),
    async close() {
      await ctx.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/** Requests that went anywhere but the gateway's own origin (http and ws). */
export function foreignRequests(b: DashboardBrowser, gatewayUrl: string): string[] {
  const { host } = new URL(gatewayUrl);
  return b.requested.filter(
    (u) => !u.startsWith(`http://${host}/`) && !u.startsWith(`ws://${host}/`) && !u.startsWith('data:') && !u.startsWith('blob:'),
  );
}

/** Signs in through the form, by keyboard, as a person would. */
export async function signInWithForm(page: Page, gatewayUrl: string, token: string): Promise<void> {
  await page.goto(`${gatewayUrl}/`);
  await page.getByLabel('Gateway token').fill(token);
  await page.keyboard.press('Enter');
  await page.locator('#fleet-table').waitFor();
}

const AXE = (() => {
  try {
    return createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  } catch {
    return undefined;
  }
})();

/**
 * Runs axe-core (node_modules/axe-core/axe.min.js) inside the page and fails on serious or critical violations,
 * naming the rule and the elements. The script is added through the DevTools protocol, as the page's CSP would refuse
 * an inline one.
 */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  if (!AXE) throw new Error('axe-core is not installed (npm install --save-dev axe-core): the accessibility check cannot run');
  await page.evaluate(readFileSync(AXE, 'utf8'));
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  expect(
    violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
    `axe on ${what}`,
  ).toEqual([]);
}

/** Screenshots are test artefacts under test-results/ (gitignored); two of them are copied into docs/ for the README. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync('test-results', { recursive: true });
  const path = join('test-results', `dashboard-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
