/**
 * Whispr Web end to end: the client built as `npm run build` builds it, served by a real server at
 * /app/, and used by two people in two Chromium contexts (each its own storage): identities made
 * and sealed in the browser, direct messages both ways, one person away while the other writes,
 * the outbox across a lost connection and a reload, and no duplicate after a reload.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WEB_OUT_DIR } from '../../scripts/build-web.js';
import { chromiumInstalled } from '../support/chromium.js';
import { addContact, alerts, createIdentity, deliveries, exportIdentityFile, nameContact, SLOW, send, texts, unlock, useWebApp } from './web-kit.js';

const haveChromium = chromiumInstalled('test/web/dm.test.ts');
const FIRST_SCREEN_BUDGET_BYTES = 250 * 1024;

describe.skipIf(!haveChromium)('Whispr Web (Chromium)', () => {
  const web = useWebApp();
  const { problems, openApp } = web;

  /** Headers and status of a GET, its body read to the end (an unread body keeps the connection busy, and the server's close waiting). */
  async function get(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: string }> {
    const response = await fetch(`${web.srv.url}${path}`, init);
    return { status: response.status, headers: response.headers, body: await response.text() };
  }

  it('serves the client at /app/: strict CSP, no inline code, hashed files cached for a year, the page never cached', async () => {
    const redirect = await get('/app', { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([302, '/app/']);

    const index = await get('/app/');
    expect(index.status).toBe(200);
    const csp = index.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"])
      expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe-inline');
    expect(index.headers.get('cache-control')).toBe('no-store');
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('referrer-policy')).toBe('no-referrer');
    const html = index.body;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script is a file of this origin
    expect(html).not.toMatch(/<style|\sstyle=/);

    const script = await get(`/app/${web.built.script}`);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await get('/app/sw.js')).headers.get('cache-control')).toBe('no-store');

    for (const path of ['/app/missing.js', '/app/%2e%2e/package.json', '/app/assets/../../package.json']) expect((await get(path)).status).toBe(404);
  });

  it(`ships at most ${FIRST_SCREEN_BUDGET_BYTES / 1024} KB of JavaScript (gzip -9) for the first screen`, () => {
    const html = readFileSync(join(WEB_OUT_DIR, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map(([, src]) => src!);
    expect(scripts).toEqual([web.built.script]);
    const raw = readFileSync(join(WEB_OUT_DIR, web.built.script));
    const compressed = gzipSync(raw, { level: 9 }).length;
    console.log(`first screen JavaScript: ${(raw.length / 1024).toFixed(1)} KB raw, ${(compressed / 1024).toFixed(1)} KB gzip -9 (${web.built.script})`);
    expect(compressed).toBeLessThanOrEqual(FIRST_SCREEN_BUDGET_BYTES);
  });

  it('two people exchange messages; one away, then back: everything in order, nothing twice; the outbox survives a lost connection and a reload', async () => {
    const aliceContext = await web.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const bobContext = await web.browser.newContext({ viewport: { width: 390, height: 844 } });
    const started = Date.now();
    const alice = await openApp(aliceContext);
    await alice.getByRole('button', { name: 'Create identity' }).waitFor();
    console.log(`time to first screen: ${Date.now() - started} ms (navigation to the identity form, cold cache)`);
    const aliceAddress = await createIdentity(alice, 'alice passphrase 1');
    // Bob first comes through Alice's contact link: after he made his identity, her address is ready to add.
    let bob = await openApp(bobContext, `#add=${aliceAddress}`);
    const bobAddress = await createIdentity(bob, 'bob passphrase 22');
    expect(aliceAddress).toMatch(/^[0-9a-f]{64}$/);
    expect(bobAddress).not.toBe(aliceAddress);
    await expect.poll(() => alice.getByTestId('own-fingerprint').textContent()).toMatch(/^(\d{5} ){5}\d{5}$/);

    await addContact(alice, bobAddress, 'Bob');
    expect(await bob.getByLabel('Contact address').inputValue()).toBe(aliceAddress);
    await nameContact(bob, 'Alice');
    expect(new URL(bob.url()).hash).toBe(''); // taken once: a reload does not offer it again
    await bob.getByLabel('Contact address').fill('not-an-address');
    await bob.getByRole('button', { name: 'Add contact' }).click();
    await expect.poll(() => alerts(bob)).toEqual(['An address is 64 hexadecimal characters (an X25519 public key)']);

    await send(alice, 'hello bob');
    await expect.poll(() => texts(bob), SLOW).toEqual(['hello bob']);
    await send(bob, 'hi alice');
    await expect.poll(() => texts(alice), SLOW).toEqual(['hello bob', 'hi alice']);
    await expect.poll(() => deliveries(alice)).toEqual(['sent']);

    // Bob goes away; Alice writes three messages, which the server queues for him.
    await bob.close();
    for (const text of ['one', 'two', 'three']) await send(alice, text);
    await expect.poll(() => deliveries(alice), SLOW).toEqual(['sent', 'sent', 'sent', 'sent']);

    // Bob comes back: a wrong passphrase is refused, the right one opens his history, the queued messages arrive in order.
    bob = await openApp(bobContext);
    await bob.getByLabel('Passphrase').fill('not bobs passphrase');
    await bob.getByRole('button', { name: 'Unlock' }).click();
    await expect.poll(() => alerts(bob), SLOW).toEqual(['Wrong passphrase']);
    await unlock(bob, 'bob passphrase 22');
    await expect.poll(() => texts(bob), SLOW).toEqual(['hello bob', 'hi alice', 'one', 'two', 'three']);

    // Alice loses her connection: her message waits in the outbox, through a reload served by the service worker.
    await alice.evaluate('navigator.serviceWorker.ready.then(() => true)');
    await aliceContext.setOffline(true);
    await send(alice, 'written offline');
    await expect.poll(() => deliveries(alice)).toEqual(['sent', 'sent', 'sent', 'sent', 'queued']);
    expect((await alice.reload())?.fromServiceWorker()).toBe(true);
    await unlock(alice, 'alice passphrase 1');
    await expect.poll(() => deliveries(alice)).toEqual(['sent', 'sent', 'sent', 'sent', 'queued']);
    await aliceContext.setOffline(false);
    await expect.poll(() => deliveries(alice), SLOW).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
    const conversation = ['hello bob', 'hi alice', 'one', 'two', 'three', 'written offline'];
    await expect.poll(() => texts(bob), SLOW).toEqual(conversation);

    // After a reload, the history comes from IndexedDB once: nothing twice.
    await bob.reload();
    await unlock(bob, 'bob passphrase 22');
    await expect.poll(() => texts(bob)).toEqual(conversation);
    expect(await texts(alice)).toEqual(conversation);

    // 390 px wide: nothing wider than the screen.
    expect(await bob.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true);
    await web.screenshot(alice, 'conversation');
    await web.screenshot(bob, 'conversation');
    expect(problems).toEqual([]);
    await aliceContext.close();
    await bobContext.close();
  }, 180_000);

  it('exports the identity as the `whispr keygen` JSON and imports it in another browser as the same address, which reads what was queued meanwhile', async () => {
    const first = await web.browser.newContext();
    const second = await web.browser.newContext();
    const page = await openApp(first);
    const address = await createIdentity(page, 'export passphrase');
    const file = await exportIdentityFile(page);
    const exported = JSON.parse(file) as { encryption: { public_key: string; secret_key: string }; signing: { public_key: string; secret_key: string } };
    expect(exported.encryption.public_key).toBe(address);
    expect(exported.signing.secret_key).toMatch(/^[0-9a-f]{128}$/);

    // Written while the identity moves between browsers: the server keeps it for the address.
    await first.close();
    await web.srv.client().send(address, 'written while you moved');

    const other = await openApp(second);
    const form = other.getByRole('group', { name: 'Import an identity' });
    const fill = async (content: string) => {
      await form
        .getByLabel('Identity file (whispr keygen JSON)')
        .setInputFiles({ name: 'id.json', mimeType: 'application/json', buffer: Buffer.from(content) });
      await form.getByLabel('Passphrase', { exact: true }).fill('import passphrase');
      await form.getByLabel('Confirm passphrase').fill('import passphrase');
      await form.getByRole('button', { name: 'Import identity' }).click();
    };
    await fill('{"encryption": {}}');
    await expect.poll(() => alerts(other)).toEqual(['This file has no valid encryption.public_key']);
    await fill(file);
    expect(await other.getByLabel('Your address').inputValue(SLOW)).toBe(address);
    // Signed in as the imported identity, the new browser reads what was queued for it.
    await other.locator('.contacts button').first().click(SLOW);
    await expect.poll(() => texts(other), SLOW).toEqual(['written while you moved']);
    expect(problems).toEqual([]);
    await second.close();
  }, 120_000);
});
