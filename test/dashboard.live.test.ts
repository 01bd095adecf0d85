import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { loadConfig } from '../src/config.js';
import { type Gateway, startGateway } from '../src/gateway.js';
import {
  startDashboardBrowser,
  type DashboardBrowser,
  foreignRequests,
  runBrowserSuite,
  screenshot,
  signInWithForm,
} from './support/dashboard-browser.js';
import { createTestDatabase } from './support/databases.js';
import { TEST_JWT_SECRET, uniqueName } from './support/gateway.js';
import { type ReachableCluster, reachableCluster } from './support/reachable.js';

/**
 * The live parts of the dashboard: a health change pushed to the row, a gateway restart survived by the page, and the
 * sign-in form coming back for an expired or refused token. The gateway here is restartable on the same port and
 * database (the test gateway helper picks a new port each time).
 */
describe.runIf(runBrowserSuite)('the dashboard, live', () => {
  let b: DashboardBrowser;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let gw: Gateway;
  let dataDir: string;
  let cluster: ReachableCluster;
  let clusterId: string;
  const encryptionKey = randomBytes(32).toString('base64');
  const adminToken = signToken(TEST_JWT_SECRET, { sub: 'admin-dash', role: 'admin' });

  const start = (port: number) =>
    startGateway(
      loadConfig({
        PORT: String(port),
        HTTPS_PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        JWT_SECRET: TEST_JWT_SECRET,
        ENCRYPTION_KEY: encryptionKey,
        LOG_LEVEL: 'silent',
        PROMETHEUS_AUTO_DISCOVERY: 'false',
        AUTH_FAILURE_LIMIT: '0',
        HEALTH_FLIP_THRESHOLD: '1',
      }),
      // No background probing: the test commits health changes itself, so it knows when each one happened.
      { database: database.target, healthMonitor: false },
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kgw-dashboard-live-'));
    [b, database, cluster] = await Promise.all([startDashboardBrowser(), createTestDatabase('pglite'), reachableCluster()]);
    gw = await start(0);
    const res = await fetch(`${gw.url}/api/v1/k8s/clusters`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: uniqueName('live'), kubeconfig: cluster.kubeconfigBase64 }),
    });
    const body = (await res.json()) as { data: { id: number } };
    expect(res.status).toBe(201);
    clusterId = String(body.data.id);
    await gw.health.checkNow(Number(clusterId));
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await gw?.close();
    await database?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const badge = (page: import('playwright-core').Page) => page.locator(`tr[data-cluster-id="${clusterId}"] [data-health]`);

  it('shows a health change at the cluster on its row within 5 s, without reloading or polling', async () => {
    const page = await b.newPage();
    await signInWithForm(page, gw.url, adminToken);
    await expect.poll(() => badge(page).getAttribute('data-health')).toBe('HEALTHY');
    await expect.poll(() => page.locator('#connection').getAttribute('data-state')).toBe('live');
    const graphqlPosts: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/graphql')) graphqlPosts.push(r.method());
    });

    cluster.handle.set({ notReadyNodes: 1 });
    await gw.health.checkNow(Number(clusterId)); // commits HEALTHY → WARNING (threshold 1)
    const committed = Date.now();
    await expect.poll(() => badge(page).getAttribute('data-health'), { timeout: 5_000, interval: 50 }).toBe('WARNING');
    const shownAfterMs = Date.now() - committed;
    expect(await badge(page).getAttribute('title')).toMatch(/2\/3|2 of 3|NotReady|not ready/i);
    expect(await page.locator(`tr[data-cluster-id="${clusterId}"] [data-nodes]`).textContent()).toBe('2/3');
    expect(graphqlPosts, 'the row changed through the subscription alone').toEqual([]);
    console.info(`[dashboard] health change on the row ${shownAfterMs} ms after the commit`);
    await screenshot(page, 'fleet-live');
    await page.close();
  });

  it('shows the connection going away when the gateway stops, and comes back live after it restarts', async () => {
    const page = await b.newPage();
    await signInWithForm(page, gw.url, adminToken);
    const indicator = page.locator('#connection');
    await expect.poll(() => indicator.getAttribute('data-state')).toBe('live');

    const port = Number(new URL(gw.url).port);
    await gw.close();
    await expect.poll(() => indicator.getAttribute('data-state')).toBe('reconnecting');
    expect(await indicator.textContent()).toBe('Reconnecting…');
    gw = await start(port);
    await expect.poll(() => indicator.getAttribute('data-state'), { timeout: 15_000 }).toBe('live');

    // The subscription resumed on the new process: the next change reaches the row.
    cluster.handle.set({ notReadyNodes: 0 });
    await gw.health.checkNow(Number(clusterId));
    await expect.poll(() => badge(page).getAttribute('data-health'), { timeout: 5_000 }).toBe('HEALTHY');
    await page.close();
  });

  it('signs in from a token in the URL fragment and drops it from the address bar', async () => {
    const page = await b.newPage();
    await page.goto(`${gw.url}/ui/#token=${adminToken}`);
    await page.locator(`tr[data-cluster-id="${clusterId}"]`).waitFor();
    expect(page.url()).toBe(`${gw.url}/ui/`);
    await page.close();
  });

  it('brings the form back with a message for an expired token, a refused token, and one that expires while open', async () => {
    const page = await b.newPage();
    const expired = signToken(TEST_JWT_SECRET, { sub: 'late', role: 'user' }, { expiresIn: '-60s' });
    await page.goto(`${gw.url}/ui/#token=${expired}`);
    await expect.poll(() => page.locator('#sign-in-message').textContent()).toMatch(/expired/);

    const forged = signToken('not-the-gateway-secret-'.padEnd(48, 'x'), { sub: 'mallory', role: 'admin' });
    await page.getByLabel('Gateway token').fill(forged);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#sign-in-message').textContent()).toMatch(/refused the token: .*\(UNAUTHENTICATED\)/);
    expect(await page.evaluate(() => sessionStorage.getItem('kube-gateway.token'))).toBeNull();

    const shortLived = signToken(TEST_JWT_SECRET, { sub: 'brief', role: 'user' }, { expiresIn: '3s' });
    await page.getByLabel('Gateway token').fill(shortLived);
    await page.keyboard.press('Enter');
    await page.locator('#fleet-table').waitFor();
    await expect.poll(() => page.locator('#sign-in-message').textContent(), { timeout: 10_000 }).toMatch(/expired/);
    await page.close();
  });

  it('made every request to the gateway itself; the only console errors are the refused token 401', () => {
    expect(foreignRequests(b, gw.url)).toEqual([]);
    // The refused token's 401 and the restart's dropped WebSocket are logged by Chromium as failed resources.
    expect(b.problems.filter((p) => !/status of 401|WebSocket connection to .* failed|ERR_CONNECTION_REFUSED/.test(p))).toEqual([]);
  });
});
