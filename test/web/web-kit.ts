/**
 * What every Whispr Web test needs: the client built as `npm run build` builds it, a real server
 * serving it at /app/, one headless Chromium whose contexts are different people, and the steps a
 * person takes (make an identity, unlock, add a contact, write).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ExportedIdentity } from 'whispr-sdk';
import { buildWeb, type WebBuild } from '../../scripts/build-web.js';
import { launchBrowser } from '../support/chromium.js';
import type { Config } from '../../src/config/settings.js';
import { startServer, type RunningServer } from '../support/test-server.js';

/** A key derivation (scrypt, 128 MiB) or a WebRTC setup on a busy CI machine. */
export const SLOW = { timeout: 20_000 };

/** Where screenshots go: CI keeps this folder as its artifact (.ci/run prints it). */
export const SCREENSHOTS_DIR = resolve(process.env.WHISPR_SCREENSHOTS_DIR ?? 'test-artifacts/web-screens');

export interface WebApp {
  readonly srv: RunningServer;
  readonly built: WebBuild;
  readonly browser: Browser;
  /** Page errors and CSP refusals seen on any page opened by openApp: a test ends by expecting none. */
  readonly problems: string[];
  /** A new tab on /app/ (plus `fragment`) that records page errors and CSP refusals (a strict CSP breaks silently otherwise). */
  openApp(context: BrowserContext, fragment?: string): Promise<Page>;
  /** A full-page screenshot into SCREENSHOTS_DIR as `<name>-<width>.png`. */
  screenshot(page: Page, name: string): Promise<void>;
}

/**
 * Builds the client and starts a server and Chromium for a describe block; all stopped afterwards.
 * `overrides` may be a function, read when the server starts (after the file's earlier beforeAll hooks,
 * e.g. one that started a TURN server); `chromiumArgs` are extra Chromium switches.
 */
export function useWebApp(overrides: Partial<Config> | (() => Partial<Config>) = {}, options: { chromiumArgs?: readonly string[] } = {}): WebApp {
  let srv: RunningServer | undefined;
  let built: WebBuild | undefined;
  let browser: Browser | undefined;
  const problems: string[] = [];
  beforeAll(async () => {
    built = await buildWeb();
    srv = await startServer(typeof overrides === 'function' ? overrides() : overrides);
    browser = await launchBrowser(options.chromiumArgs);
    mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the web app did not start');
    return value;
  };
  return {
    get srv() {
      return started(srv);
    },
    get built() {
      return started(built);
    },
    get browser() {
      return started(browser);
    },
    problems,
    async openApp(context, fragment = '') {
      const page = await context.newPage();
      page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
      });
      await page.goto(`${started(srv).url}/app/${fragment}`);
      return page;
    },
    async screenshot(page, name) {
      const width = page.viewportSize()?.width ?? 0;
      await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}-${width}.png`), fullPage: true });
    },
  };
}

export async function createIdentity(page: Page, passphrase: string): Promise<string> {
  const form = page.getByRole('group', { name: 'New identity' });
  await form.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await form.getByLabel('Confirm passphrase').fill(passphrase);
  await form.getByRole('button', { name: 'Create identity' }).click();
  return page.getByLabel('Your address').inputValue(SLOW);
}

export async function unlock(page: Page, passphrase: string): Promise<void> {
  await page.getByLabel('Passphrase').fill(passphrase);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByLabel('Your address').waitFor(SLOW);
}

export async function addContact(page: Page, address: string, name: string): Promise<void> {
  await page.getByLabel('Contact address').fill(address);
  await nameContact(page, name);
}

export async function nameContact(page: Page, name: string): Promise<void> {
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Add contact' }).click();
  await expect.poll(() => page.getByRole('heading', { name, exact: true }).count()).toBe(1);
}

export async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

/** Clicks Export identity and reads the file the browser saved: the `whispr keygen` JSON, as text. */
export async function exportIdentityFile(page: Page): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export identity' }).click()]);
  return readFileSync((await download.path())!, 'utf8');
}

export const exportedIdentity = async (page: Page): Promise<ExportedIdentity> => JSON.parse(await exportIdentityFile(page)) as ExportedIdentity;

/** The alert lines that say something (empty ones are hidden): read at once, never waited for. */
export const alerts = (page: Page) => page.locator('[role="alert"]:not(:empty)').allTextContents();
/** The texts of the open conversation's messages, in the order shown. */
export const texts = (page: Page) => page.locator('[aria-label="Messages"] .text').allTextContents();
/** The delivery state of each message written in the open conversation. */
export const deliveries = (page: Page) => page.locator('.message.out').evaluateAll((items) => items.map((item) => item.getAttribute('data-delivery')));
