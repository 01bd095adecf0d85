import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium (never a downloaded browser build); suites skip without it unless REQUIRE_ALL_BACKENDS=1. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/**
 * Headless Chromium with a fresh profile directory and nothing that phones home (no background networking, component
 * updates, QUIC or sync), so a test that counts requests sees only the page's own. Returns the context and its profile
 * directory (the caller removes it).
 */
export async function launchHeadlessChromium(
  profilePrefix: string,
  opts: { acceptDownloads?: boolean } = {},
): Promise<{ ctx: BrowserContext; profileDir: string }> {
  if (!hasChromium) throw new Error(`REQUIRE_ALL_BACKENDS=1 but ${CHROMIUM} is missing (apt-get install chromium)`);
  const profileDir = mkdtempSync(join(tmpdir(), profilePrefix));
  const ctx = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 900 },
    acceptDownloads: opts.acceptDownloads ?? false,
  });
  return { ctx, profileDir };
}
