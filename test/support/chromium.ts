import { existsSync } from 'node:fs';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium, driven by playwright-core (.ci/run installs it). */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether Chromium is installed; in CI its absence fails the test file instead of skipping it. */
export function chromiumInstalled(testFile: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is required in CI: apt-get install chromium (.ci/run does)`);
  console.warn(`SKIPPED: ${testFile} needs ${CHROMIUM} (Debian package chromium)`);
  return false;
}

/** Headless Chromium on a throwaway profile: no sandbox (containers), no GPU, no background traffic. */
export function launchChromium(profileDir: string, viewport?: { width: number; height: number }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    ...(viewport === undefined ? {} : { viewport }),
  });
}
