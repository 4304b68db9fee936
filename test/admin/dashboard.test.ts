/**
 * The admin dashboard end to end in a real headless Chromium (Debian `chromium`, driven by
 * playwright-core): log in through the page, read the figures of traffic generated here through
 * the SDK, delete a group through the UI, take a screenshot.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { VERSION } from '../../src/app/version.js';
import type { WhisprError } from 'whispr-sdk';
import type { RunningServer } from '../support/test-server.js';
import { chromiumInstalled, launchChromium } from '../support/chromium.js';
import { PINNED_DAY, pinnedDay } from '../support/fake-date.js';
import { ADMIN_PASSWORD, ADMIN_USER, call, directTraffic, groupWithMessages, login, startAdminServer, type GroupTraffic } from './admin-kit.js';

const haveChromium = chromiumInstalled('test/admin/dashboard.test.ts');

describe.skipIf(!haveChromium)('the admin dashboard in Chromium', () => {
  // The charts are per UTC day: the server and the browser both run on the pinned day.
  pinnedDay();
  let srv: RunningServer;
  let context: BrowserContext;
  let page: Page;
  let profileDir = '';
  let shotDir = '';
  let doomed: GroupTraffic;
  let keeper: GroupTraffic;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    srv = await startAdminServer();
    // 7 direct messages from 3 senders, nobody fetches them; 2 group messages by one of the senders.
    const dm = await directTraffic(srv, [3, 2, 2]);
    doomed = await groupWithMessages(dm.senders[0]!, 'Doomed group', true, 2);
    keeper = await groupWithMessages(dm.senders[2]!, 'Keeper group', true, 0);

    profileDir = mkdtempSync(join(tmpdir(), 'whispr-chromium-'));
    shotDir = mkdtempSync(join(tmpdir(), 'whispr-screenshots-'));
    context = await launchChromium(profileDir, { width: 1280, height: 1000 });
    await context.clock.install({ time: Date.now() }); // the pinned Date: the page's clock runs on from it
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('401')) pageErrors.push(`console: ${message.text()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await srv?.stop();
    for (const dir of [profileDir, shotDir]) if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  const stat = (name: string) => page.locator(`[data-stat="${name}"]`).getAttribute('data-value');
  const systemValue = (key: string) => page.locator(`#system-status dd[data-key="${key}"]`).getAttribute('data-value');

  test('a wrong password is refused on the page; the right one opens the dashboard', async () => {
    await page.goto(`${srv.url}/admin`);
    await page.fill('#login-username', ADMIN_USER);
    await page.fill('#login-password', 'not the password');
    await page.click('#login-submit');
    await expect.poll(() => page.textContent('#login-error')).toBe('Incorrect user name or password.');
    expect(await page.isVisible('#dashboard-view')).toBe(false);

    await page.fill('#login-password', ADMIN_PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#dashboard-view', { state: 'visible' });
    await page.waitForSelector('body[data-loaded]');
  });

  test('the overview shows exactly the traffic generated: 9 messages, 4 active users, 2 groups', async () => {
    expect(await stat('total_messages')).toBe('9');
    // 3 direct senders, counted by the Ed25519 key that signed; the group sender by the X25519 key its
    // token proved, which is not linked to its signing key: one person, two users.
    expect(await stat('active_users')).toBe('4');
    expect(await stat('groups_count')).toBe('2');
    expect(await stat('avg_messages_per_day')).toBe('9');
    expect(await page.textContent('#stat-total-messages')).toBe('9');
    expect(await page.textContent('#analytics-state')).toBe('analytics on');
  });

  test('the charts plot messages and active users per day (30 days, today last)', async () => {
    const bars = page.locator('#chart-messages svg[data-chart="bar"] rect.bar');
    expect(await bars.count()).toBe(30);
    expect(await page.locator('#chart-messages svg').getAttribute('data-total')).toBe('9');
    expect(await bars.last().getAttribute('data-label')).toBe(PINNED_DAY);
    expect(await bars.last().getAttribute('data-value')).toBe('9');
    const dots = page.locator('#chart-users svg[data-chart="line"] circle.dot');
    expect(await dots.count()).toBe(30);
    expect(await dots.last().getAttribute('data-value')).toBe('4');
    expect(await page.locator('#chart-users svg').getAttribute('data-total')).toBe('4');
  });

  test('the system status shows the server: version, uptime, connections, queues, storage', async () => {
    expect(await systemValue('version')).toBe(VERSION);
    expect(await systemValue('queued_messages')).toBe('7');
    expect(Number(await systemValue('uptime_seconds'))).toBeGreaterThanOrEqual(0);
    expect(Number(await systemValue('storage_bytes'))).toBeGreaterThan(0);
    expect(await systemValue('active_connections')).toBe('0');
    expect(await page.locator('#system-status dd[data-key^="calls."]').count()).toBeGreaterThan(0);
    expect(await page.textContent('#server-version')).toBe(`v${VERSION}`);
  });

  test('deleting a group in the UI deletes it on the server', async () => {
    const rows = page.locator('#groups-table tbody tr');
    expect(await rows.count()).toBe(2);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click(`button[data-delete="${doomed.groupId}"]`);
    await expect.poll(() => page.locator(`#groups-table tr[data-group-id="${doomed.groupId}"]`).count()).toBe(0);
    await expect.poll(() => stat('groups_count')).toBe('1');
    expect(await page.textContent('#groups-message')).toBe(`Deleted group ${doomed.groupId}.`);

    const token = await login(srv.url);
    const listed = (await call(srv.url, 'GET', '/api/groups/public/list', { token })).body.groups.map((g: { id: string }) => g.id);
    expect(listed).toEqual([keeper.groupId]);
    const gone = await doomed.owner.fetch(doomed.groupId, doomed.channelId).catch((e: unknown) => e);
    expect([(gone as WhisprError).status, (gone as WhisprError).errorCode]).toEqual([404, 'GROUP_NOT_FOUND']);
    // Messages stay counted: they were sent.
    expect(await stat('total_messages')).toBe('9');
  });

  test('a screenshot of the dashboard is written', async () => {
    const path = join(shotDir, 'admin-dashboard.png');
    await page.screenshot({ path, fullPage: true });
    expect(statSync(path).size).toBeGreaterThan(10_000);
    expect(readFileSync(path).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(pageErrors).toEqual([]);
  });

  test('logging out returns to the login form and forgets the token', async () => {
    await page.click('#logout');
    await page.waitForSelector('#login-view', { state: 'visible' });
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.reload();
    await page.waitForSelector('#login-view', { state: 'visible' });
    expect(await page.isVisible('#dashboard-view')).toBe(false);
  });
});
