/**
 * Whispr Web's Rooms section end to end, in headless Chromium against a real server: three people
 * join one room with its passphrase and see each other (presence), who is typing, a message and a
 * reaction; one leaves and the others see it; a fourth with a wrong passphrase is in the room but
 * cannot read it.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumInstalled } from '../support/chromium.js';
import { createIdentity, SLOW, useWebApp } from './web-kit.js';

/** The texts of the room's messages, in the order shown. */
const texts = (page: Page) => page.locator('[aria-label="Room messages"] .text').allTextContents();
const haveChromium = chromiumInstalled('test/web/rooms.test.ts');
const ROOM = 'launch-party';
const PASSPHRASE = 'shared room passphrase';

async function joinRoom(page: Page, name: string, passphrase = PASSPHRASE): Promise<void> {
  await page.getByRole('tab', { name: 'Rooms' }).click();
  await page.getByLabel('Room name').fill(ROOM);
  await page.getByLabel('Room passphrase').fill(passphrase);
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Join room' }).click();
  await page.getByRole('heading', { name: `Room ${ROOM}` }).waitFor(SLOW);
}

const members = (page: Page) => page.getByRole('list', { name: 'In this room' }).getByRole('listitem').allTextContents();
const typing = (page: Page) => page.locator('.typing').textContent();
const reaction = (page: Page, name: string) => page.getByRole('button', { name, exact: true });

describe.skipIf(!haveChromium)('Whispr Web: rooms (Chromium)', () => {
  const web = useWebApp();

  it('a room with three people: presence, typing, reactions; one leaves; a wrong passphrase cannot read', async () => {
    const contexts = await Promise.all([1280, 390, 1280, 1280].map((width) => web.browser.newContext({ viewport: { width, height: 844 } })));
    const [ann, bob, cy, dee] = await Promise.all(contexts.map((context) => web.openApp(context)));
    if (ann === undefined || bob === undefined || cy === undefined || dee === undefined) throw new Error('four pages');
    // One at a time: four scrypt derivations (128 MiB each) at once crawl on a 2-core machine.
    for (const [i, page] of [ann, bob, cy, dee].entries()) await createIdentity(page, `room person ${i} passphrase`);

    // A name the server would refuse is caught by the form: nothing is sent.
    await ann.getByRole('tab', { name: 'Rooms' }).click();
    await ann.getByLabel('Room name').fill('no spaces here');
    await ann.getByRole('button', { name: 'Join room' }).click();
    expect(await ann.getByLabel('Room name').evaluate((input) => input.matches(':invalid'))).toBe(true);
    expect(await ann.getByRole('heading', { name: `Room ${ROOM}` }).count()).toBe(0);

    await joinRoom(ann, 'Ann');
    await joinRoom(bob, 'Bob');
    await joinRoom(cy, 'Cy');
    await expect.poll(() => members(ann), SLOW).toEqual(['Ann (you)', 'Bob', 'Cy']);
    await expect.poll(() => members(bob)).toEqual(['Bob (you)', 'Ann', 'Cy']);
    await expect.poll(() => members(cy)).toEqual(['Cy (you)', 'Ann', 'Bob']);

    // Ann types: the others see it; her message ends it.
    await ann.getByLabel('Room message', { exact: true }).fill('hello room');
    await expect.poll(() => typing(bob)).toBe('Ann is typing…');
    await expect.poll(() => typing(cy)).toBe('Ann is typing…');
    await ann.getByRole('button', { name: 'Send' }).click();
    for (const page of [ann, bob, cy]) await expect.poll(() => texts(page)).toEqual(['hello room']);
    await expect.poll(() => typing(bob)).toBe('');
    expect(await ann.getByLabel('Room message', { exact: true }).inputValue()).toBe('');

    // Bob reacts: everyone sees the count; his own button shows it is his.
    await reaction(bob, 'React 👍 to message from Ann: hello room').click();
    await expect.poll(() => reaction(ann, 'React 👍 to message from You: hello room').textContent()).toBe('👍 1');
    await expect.poll(() => reaction(cy, 'React 👍 to message from Ann: hello room').textContent()).toBe('👍 1');
    await expect.poll(() => reaction(bob, 'React 👍 to message from Ann: hello room').getAttribute('aria-pressed')).toBe('true');
    expect(await reaction(ann, 'React 👍 to message from You: hello room').getAttribute('aria-pressed')).toBe('false');

    // Cy leaves: the others see Cy gone; Cy is back at the form.
    await cy.getByRole('button', { name: 'Leave room' }).click();
    await expect.poll(() => members(ann)).toEqual(['Ann (you)', 'Bob']);
    await expect.poll(() => members(bob)).toEqual(['Bob (you)', 'Ann']);
    await cy.getByRole('button', { name: 'Join room' }).waitFor();

    // Dee has the room name but not its passphrase: present, but the content is not hers to read.
    await joinRoom(dee, 'Dee', 'a guessed passphrase');
    await expect.poll(() => members(ann)).toEqual(['Ann (you)', 'Bob', 'Dee']);
    await ann.getByLabel('Room message', { exact: true }).fill('only for the passphrase');
    await ann.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => texts(bob)).toEqual(['hello room', 'only for the passphrase']);
    await expect.poll(() => texts(dee)).toEqual(['Cannot decrypt this message: it was not written under your room passphrase.']);
    expect(await dee.getByRole('button', { name: /^React/ }).count()).toBe(0);

    // 390 px wide: nothing wider than the screen.
    expect(await bob.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true);
    await web.screenshot(ann, 'room');
    await web.screenshot(bob, 'room');
    expect(web.problems).toEqual([]);
    await Promise.all(contexts.map((context) => context.close()));
  }, 180_000);
});
