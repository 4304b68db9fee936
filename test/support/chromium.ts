import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

/** Debian's chromium, driven by playwright-core (.ci/run installs it). */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether Chromium is installed; in CI its absence fails the test file instead of skipping it. */
export function chromiumInstalled(testFile: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is required in CI: apt-get install chromium (.ci/run does)`);
  console.warn(`SKIPPED: ${testFile} needs ${CHROMIUM} (Debian package chromium)`);
  return false;
}

/** Headless, no sandbox (containers), no GPU, no background traffic. */
const HEADLESS_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless Chromium on a throwaway profile. */
export function launchChromium(profileDir: string, viewport?: { width: number; height: number }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: HEADLESS_ARGS,
    ...(viewport === undefined ? {} : { viewport }),
  });
}

/** One headless Chromium whose contexts (browser.newContext()) are separate people: each its own storage. `extraArgs`: more switches, e.g. fake media devices. */
export function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...HEADLESS_ARGS, ...extraArgs] });
}
