/**
 * The SDK in a browser: bundled for the browser with esbuild (libsodium's WebAssembly inlined), loaded
 * by a page of another origin in headless Chromium, and run against a real server that allows that
 * origin through `cors_origins`: fetch, WebSocket and Web Crypto are the browser's own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumInstalled, launchChromium } from '../support/chromium.js';
import { startServer, type RunningServer } from '../support/test-server.js';
import { EXPECTED_ROUND_TRIP, roundTrip } from './round-trip.js';

const haveChromium = chromiumInstalled('test/sdk/browser.test.ts');

/** The web app: a page and the bundle, from its own origin (another port). 127.0.0.1 is a secure context, as https:// is: Web Crypto needs one. */
async function serveApp(bundle: string): Promise<{ origin: string; close: () => Promise<void> }> {
  const page = '<!doctype html><script type="module">import * as whispr from "./whispr-sdk.js"; window.whispr = whispr;</script>';
  const server = createServer((req, res) => {
    const isBundle = req.url === '/whispr-sdk.js';
    res.writeHead(200, { 'content-type': isBundle ? 'text/javascript' : 'text/html' }).end(isBundle ? bundle : page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.skipIf(!haveChromium)('whispr-sdk in a browser (Chromium)', () => {
  let srv: RunningServer;
  let app: Awaited<ReturnType<typeof serveApp>>;
  let context: BrowserContext;
  let profileDir = '';
  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('../../packages/sdk/src/index.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
    });
    app = await serveApp(bundle.outputFiles[0]!.text);
    srv = await startServer({ cors_origins: [app.origin] });
    profileDir = mkdtempSync(join(tmpdir(), 'whispr-chromium-'));
    context = await launchChromium(profileDir);
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    await srv?.stop();
    await app?.close();
    if (profileDir !== '') rmSync(profileDir, { recursive: true, force: true });
  });

  it('a page on another origin sends and receives an encrypted file and a pushed message', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${app.origin}/`);
    await page.waitForFunction(() => 'whispr' in globalThis);
    const result = await page.evaluate(
      ([source, baseUrl]) => {
        const run = new Function(`return (${source})`)() as typeof roundTrip;
        return run((globalThis as unknown as { whispr: Parameters<typeof roundTrip>[0] }).whispr, baseUrl);
      },
      [roundTrip.toString(), srv.url] as const,
    );
    expect(result).toEqual(EXPECTED_ROUND_TRIP);
    expect(pageErrors).toEqual([]);
  });
});
