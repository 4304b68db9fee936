/**
 * Whispr Web: encrypted attachments in direct messages and the passphrase change, end to end in
 * two Chromium contexts against a real server whose attachment limit is small (64 KiB), so the
 * oversize refusal needs no large file.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ENCRYPTED_FILE_OVERHEAD } from 'whispr-sdk';
import { FILE_STORES } from '../../src/storage/sqlite/open-embedded-storage.js';
import { chromiumInstalled } from '../support/chromium.js';
import { serverDisk } from '../support/server-disk.js';
import { addContact, alerts, createIdentity, deliveries, SLOW, send, texts, unlock, useWebApp } from './web-kit.js';

const haveChromium = chromiumInstalled('test/web/attachments.test.ts');
const LIMIT_BYTES = 64 * 1024;

/** A valid PNG of random RGB pixels (so its bytes are found nowhere by chance). */
function randomPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const framed = Buffer.alloc(body.length + 8);
    framed.writeUInt32BE(data.length, 0);
    body.copy(framed, 4);
    framed.writeUInt32BE(crc32(body), body.length + 4);
    return framed;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const rows = Array.from({ length: height }, () => Buffer.concat([Buffer.from([0]), randomBytes(width * 3)]));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const attach = (page: Page, name: string, mimeType: string, buffer: Buffer) => page.getByLabel('Attach file').setInputFiles({ name, mimeType, buffer });

/** Clicks "Download <name>" and returns the bytes the browser saved. */
async function download(page: Page, name: string): Promise<Buffer> {
  const [saved] = await Promise.all([page.waitForEvent('download', SLOW), page.getByRole('button', { name: `Download ${name}` }).click()]);
  expect(saved.suggestedFilename()).toBe(name);
  return readFileSync((await saved.path())!);
}

describe.skipIf(!haveChromium)('Whispr Web: attachments and the passphrase change (Chromium)', () => {
  const web = useWebApp({ attachment_max_size_bytes: LIMIT_BYTES });
  const { problems, openApp } = web;

  it('sends files end-to-end encrypted: an image previewed, a document offered for download, the bytes intact; the server never sees a name or a plaintext', async () => {
    const aliceContext = await web.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const bobContext = await web.browser.newContext({ viewport: { width: 390, height: 844 } });
    const alice = await openApp(aliceContext);
    const bob = await openApp(bobContext);
    const aliceAddress = await createIdentity(alice, 'alice passphrase 1');
    const bobAddress = await createIdentity(bob, 'bob passphrase 22');
    await addContact(alice, bobAddress, 'Bob');
    await addContact(bob, aliceAddress, 'Alice');

    // An image: Bob sees its preview, decrypted in his browser, and downloads the same bytes.
    const image = randomPng(120, 80);
    const imageName = `holiday-${randomBytes(4).toString('hex')}.png`;
    await attach(alice, imageName, 'image/png', image);
    await expect.poll(() => deliveries(alice), SLOW).toEqual(['sent']);
    const preview = bob.getByRole('img', { name: `Preview of ${imageName}` });
    await preview.waitFor(SLOW);
    const shown = () => preview.evaluate((img) => [img.getAttribute('src')?.startsWith('blob:'), (img as unknown as { naturalWidth: number }).naturalWidth]);
    await expect.poll(shown, SLOW).toEqual([true, 120]); // decoded: the bytes are a real PNG again
    expect((await download(bob, imageName)).equals(image)).toBe(true);

    // Written offline, a document waits in the outbox (encrypted, sealed in IndexedDB) through a reload, then goes once online.
    await alice.evaluate('navigator.serviceWorker.ready.then(() => true)');
    await aliceContext.setOffline(true);
    const notes = Buffer.from(`minutes of the meeting ${randomBytes(16).toString('hex')}`);
    const notesName = `minutes-${randomBytes(4).toString('hex')}.txt`;
    await attach(alice, notesName, 'text/plain', notes);
    await expect.poll(() => deliveries(alice)).toEqual(['sent', 'queued']);
    await alice.reload();
    await unlock(alice, 'alice passphrase 1');
    await expect.poll(() => deliveries(alice)).toEqual(['sent', 'queued']);
    await aliceContext.setOffline(false);
    await expect.poll(() => deliveries(alice), SLOW).toEqual(['sent', 'sent']);
    await bob.getByRole('button', { name: `Download ${notesName}` }).waitFor(SLOW);
    expect(await bob.locator('.message', { hasText: notesName }).locator('img').count()).toBe(0); // not an image: no preview
    expect((await download(bob, notesName)).equals(notes)).toBe(true);
    expect(await bob.locator('.message', { hasText: notesName }).textContent()).toContain(`(${notes.length} bytes)`);

    // Over the server's limit: refused before anything is encrypted or sent.
    const largest = LIMIT_BYTES - ENCRYPTED_FILE_OVERHEAD;
    await attach(alice, 'big.bin', 'application/octet-stream', randomBytes(largest + 1));
    await expect.poll(() => alerts(alice)).toEqual([`big.bin is too large to send (64 KB): this server takes files of up to ${largest} bytes (64 KB)`]);
    expect(await deliveries(alice)).toEqual(['sent', 'sent']);
    await attach(alice, 'just-fits.bin', 'application/octet-stream', randomBytes(largest));
    await expect.poll(() => deliveries(alice), SLOW).toEqual(['sent', 'sent', 'sent']);
    expect(await alerts(alice)).toEqual([]);

    // The server holds ciphertexts (each 40 bytes longer than its file) and never a name or a plaintext.
    const stored = readdirSync(join(web.srv.dataDir, FILE_STORES.attachments), { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    expect(stored.map((entry) => statSync(join(entry.parentPath, entry.name)).size).sort((a, b) => a - b)).toEqual(
      [notes.length, image.length, largest].map((size) => size + ENCRYPTED_FILE_OVERHEAD).sort((a, b) => a - b),
    );
    const disk = serverDisk(web.srv.dataDir);
    for (const secret of [imageName, notesName, 'just-fits.bin', image, notes]) expect(disk.includes(secret)).toBe(false);

    expect(await bob.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true);
    await web.screenshot(alice, 'attachment');
    await web.screenshot(bob, 'attachment');
    expect(problems).toEqual([]);
    await aliceContext.close();
    await bobContext.close();
  }, 180_000);

  it('changes the passphrase: the old one stops working, the new one unlocks, the history is still there; another tab locks', async () => {
    const context = await web.browser.newContext();
    const page = await openApp(context);
    const address = await createIdentity(page, 'first passphrase 1');
    const pat = web.srv.client();
    await addContact(page, pat.address, 'Pat');
    await send(page, 'before the change');
    await pat.send(address, 'from pat');
    await expect.poll(() => texts(page), SLOW).toEqual(['before the change', 'from pat']);
    const otherTab = await openApp(context);
    await unlock(otherTab, 'first passphrase 1');

    await page.locator('summary', { hasText: 'Passphrase' }).click();
    const change = async (current: string, next: string, confirm = next) => {
      await page.getByLabel('Current passphrase').fill(current);
      await page.getByLabel('New passphrase', { exact: true }).fill(next);
      await page.getByLabel('Confirm new passphrase').fill(confirm);
      await page.getByRole('button', { name: 'Change passphrase', exact: true }).click();
    };
    await change('second passphrase 2', 'third passphrase 3');
    await expect.poll(() => alerts(page), SLOW).toEqual(['Wrong passphrase']);
    await change('first passphrase 1', 'second passphrase 2', 'second passphrase 3');
    await expect.poll(() => alerts(page)).toEqual(['The two passphrases differ']);
    await change('first passphrase 1', 'second passphrase 2');
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Passphrase changed' }).count(), SLOW).toBe(1);
    expect(await alerts(page)).toEqual([]);
    await otherTab.getByRole('button', { name: 'Unlock' }).waitFor(SLOW); // locked: its key no longer matches
    await send(page, 'after the change'); // written under the new key
    await expect.poll(() => deliveries(page), SLOW).toEqual(['sent', 'sent']);

    await page.reload();
    await page.getByLabel('Passphrase').fill('first passphrase 1');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect.poll(() => alerts(page), SLOW).toEqual(['Wrong passphrase']);
    await unlock(page, 'second passphrase 2');
    await expect.poll(() => texts(page), SLOW).toEqual(['before the change', 'from pat', 'after the change']);
    expect(problems).toEqual([]);
    await context.close();
  }, 180_000);
});
