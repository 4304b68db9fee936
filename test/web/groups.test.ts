/**
 * Whispr Web groups end to end, three people in three Chromium contexts: a group made, two others
 * joining by its invite link, messages in two channels, one member removed, the key rotated for
 * those who stay, and the removed one unable to read what follows; a shared file; then more
 * history than a page.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { GroupClient, importIdentity, WhisprClient } from 'whispr-sdk';
import { chromiumInstalled } from '../support/chromium.js';
import { PAGE_SIZE } from '../../web/src/groups/channel-history.js';
import { addContact, alerts, createIdentity, exportedIdentity, SLOW, unlock, useWebApp } from './web-kit.js';

const haveChromium = chromiumInstalled('test/web/groups.test.ts');

const groupTexts = (page: Page) => page.locator('[aria-label="Channel messages"] .text').allTextContents();
const keyState = (page: Page) => page.locator('#group-title + p').textContent();

async function sendToGroup(page: Page, text: string): Promise<void> {
  await page.getByLabel('Group message').fill(text);
  await page.getByRole('button', { name: 'Send to channel' }).click();
}

async function openChannel(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: `# ${name}` }).click(SLOW);
}

describe.skipIf(!haveChromium)('Whispr Web groups (Chromium)', () => {
  // The test writes a page and more of history from one key at once; the client itself keeps to the default budget.
  const web = useWebApp({ max_group_writes_per_second: 200 });

  it('three people: invite by link, two channels, one removed, the key rotated, the removed one reads nothing after; a file; older history a page at a time', async () => {
    const context = (width: number) => web.browser.newContext({ viewport: { width, height: 900 } });
    const [aliceContext, bobContext, carolContext] = [await context(1280), await context(390), await context(1280)];
    const alice = await web.openApp(aliceContext);
    await createIdentity(alice, 'alice passphrase 1');
    const carol = await web.openApp(carolContext);
    const carolAddress = await createIdentity(carol, 'carol passphrase 3');

    // Alice makes the group: she is its owner, with a #general channel and an invite link.
    await alice.getByRole('tab', { name: 'Groups' }).click();
    await alice.getByRole('button', { name: 'Create group' }).click();
    await expect.poll(() => alerts(alice)).toEqual([]); // an empty name is stopped by the form before any request
    await alice.getByLabel('Group name').fill('Book club');
    await alice.getByRole('button', { name: 'Create group' }).click();
    await expect.poll(() => keyState(alice), SLOW).toBe('You are the owner · key version 1');
    const link = await alice.getByLabel('Invite link', { exact: true }).inputValue();
    expect(link).toMatch(new RegExp(`^${web.srv.url}/app/#join=[A-Za-z0-9_-]{11}$`));

    // Bob opens the link: after making his identity the Groups section is open with the invite ready.
    const bob = await web.openApp(bobContext, new URL(link).hash);
    const bobAddress = await createIdentity(bob, 'bob passphrase 22');
    expect(await bob.getByLabel('Invite link or code').inputValue()).toBe(new URL(link).hash.slice('#join='.length));
    expect(new URL(bob.url()).hash).toBe(''); // taken once
    await bob.getByRole('button', { name: 'Join group' }).click();
    // Carol pastes the whole link; a made-up code is refused first.
    await carol.getByRole('tab', { name: 'Groups' }).click();
    await carol.getByLabel('Invite link or code').fill('not-a-real-code');
    await carol.getByRole('button', { name: 'Join group' }).click();
    await expect.poll(() => alerts(carol)).toEqual(['Invalid invite code']);
    await carol.getByLabel('Invite link or code').fill(link);
    await carol.getByRole('button', { name: 'Join group' }).click();
    // The owner's client seals the group key to each newcomer.
    for (const member of [bob, carol]) await expect.poll(() => keyState(member), SLOW).toBe('You are a member · key version 1');

    // #general, then a second channel: everyone reads both.
    await alice.getByRole('tab', { name: 'Messages' }).click();
    await addContact(alice, bobAddress, 'Bob');
    await addContact(alice, carolAddress, 'Carol');
    await alice.getByRole('tab', { name: 'Groups' }).click();
    await sendToGroup(alice, 'welcome to general');
    for (const page of [alice, bob, carol]) await expect.poll(() => groupTexts(page), SLOW).toEqual(['welcome to general']);
    await alice.getByLabel('Channel name').fill('books');
    await alice.getByRole('button', { name: 'Create channel' }).click();
    await expect.poll(() => alice.getByRole('button', { name: '# books', exact: true }).getAttribute('aria-current'), SLOW).toBe('true');
    expect(await bob.getByLabel('Channel name').isVisible()).toBe(false); // only managers make channels
    await sendToGroup(alice, 'chapter one');
    for (const page of [bob, carol]) {
      await openChannel(page, 'books');
      await expect.poll(() => groupTexts(page), SLOW).toEqual(['chapter one']);
    }
    await sendToGroup(carol, 'carol was here');
    for (const page of [alice, bob]) await expect.poll(() => groupTexts(page), SLOW).toEqual(['chapter one', 'carol was here']);
    expect(await alice.locator('.members li').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^You · owner/), expect.stringMatching(/^Bob · member/), expect.stringMatching(/^Carol · member/)]),
    );

    // Carol's keys as her browser exports them, and the key she holds now (version 1).
    const sdk = (page: Page) => exportedIdentity(page).then((id) => new GroupClient(new WhisprClient({ baseUrl: web.srv.url, identity: importIdentity(id) })));
    const [aliceSdk, carolSdk] = [await sdk(alice), await sdk(carol)];
    const { groups } = await aliceSdk.list();
    const groupId = groups[0]!.id;
    const carolKey = await carolSdk.myKey(groupId);
    expect(carolKey.keyVersion).toBe(1);

    // Alice removes Carol: the key version moves on, Alice seals a new key to Bob and herself.
    await alice.getByRole('button', { name: 'Remove Carol' }).click();
    for (const page of [alice, bob]) await expect.poll(() => keyState(page), SLOW).toMatch(/key version 2$/);
    await expect.poll(() => keyState(carol), SLOW).toBe('You are no longer a member of this group: nothing new can be read here.');
    expect(await carol.getByRole('button', { name: 'Book club (no longer a member)' }).count()).toBe(1);
    await sendToGroup(alice, 'after carol left');
    await expect.poll(() => groupTexts(bob), SLOW).toEqual(['chapter one', 'carol was here', 'after carol left']);
    await sendToGroup(bob, 'just us now');
    await expect.poll(() => groupTexts(alice), SLOW).toEqual(['chapter one', 'carol was here', 'after carol left', 'just us now']);
    expect(await alice.locator('.members li').allTextContents()).not.toEqual(expect.arrayContaining([expect.stringMatching(/^Carol/)]));

    // Carol sees none of it; the server no longer answers her, and her last key cannot open what followed.
    const carolPage = (await carol.locator('body').textContent()) ?? '';
    for (const text of ['after carol left', 'just us now']) expect(carolPage).not.toContain(text);
    await expect(carolSdk.myKey(groupId)).rejects.toMatchObject({ status: 403 });
    const books = (await aliceSdk.listChannels(groupId)).channels.find((channel) => channel.name === 'books')!.id;
    await expect(carolSdk.fetch(groupId, books)).rejects.toMatchObject({ status: 403 });
    const after = (await aliceSdk.fetch(groupId, books)).messages.slice(-2);
    expect(after.map((message) => message.key_version)).toEqual([2, 2]);
    for (const message of after) expect(() => carolSdk.decrypt(message, carolKey.key)).toThrow();

    // Bob shares a file in #books: encrypted under a key of its own, which the channel message carries; Alice saves the same bytes.
    const notes = 'reading list: chapters 2 to 5';
    await bob.getByLabel('File to share').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from(notes) });
    await bob.getByRole('button', { name: 'Send file' }).click();
    const download = alice.getByRole('button', { name: 'Download notes.txt' });
    await download.waitFor(SLOW);
    const [saved] = await Promise.all([alice.waitForEvent('download'), download.click()]);
    expect(saved.suggestedFilename()).toBe('notes.txt');
    expect(readFileSync((await saved.path())!, 'utf8')).toBe(notes);

    // More than a page of history in #general: Bob sees the newest page, then the older ones (the first under key version 1) on request.
    const { key, keyVersion } = await aliceSdk.myKey(groupId);
    const general = (await aliceSdk.listChannels(groupId)).channels.find((channel) => channel.name === 'general')!.id;
    const written = Array.from({ length: PAGE_SIZE + 5 }, (_, i) => `history ${i + 1}`);
    for (const text of written) await aliceSdk.send(groupId, general, key, keyVersion, text);
    // After a reload (keys from the browser's sealed store: the server no longer holds anyone's version-1 key).
    await bob.reload();
    await unlock(bob, 'bob passphrase 22');
    await bob.getByRole('tab', { name: 'Groups' }).click();
    await openChannel(bob, 'general');
    await expect.poll(async () => (await groupTexts(bob)).length, SLOW).toBe(PAGE_SIZE);
    expect(await groupTexts(bob)).toEqual(written.slice(-PAGE_SIZE));
    await bob.getByRole('button', { name: 'Load older messages' }).click();
    await expect.poll(() => groupTexts(bob)).toEqual(['welcome to general', ...written]);
    expect(await bob.getByRole('button', { name: 'Load older messages' }).isVisible()).toBe(false);

    // 390 px wide: nothing wider than the screen.
    expect(await bob.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true);
    await web.screenshot(alice, 'group');
    await web.screenshot(bob, 'group');
    expect(web.problems).toEqual([]);
    for (const done of [aliceContext, bobContext, carolContext]) await done.close();
  }, 240_000);
});
