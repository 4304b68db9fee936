import { text, type InboxMessage } from 'whispr-sdk';
/**
 * Presence oracles: a stranger who sends to a key, or posts a chat-app event to a user, and then
 * reads the public /health (or /), learns nothing about that key or user: /health holds only the
 * status, the version and the rooms figures (rooms are public by design), and the events answer
 * does not say whether the recipient is online. The figures it used to show (queued messages,
 * sockets by dialect) are where an operator reads them: /metrics and the admin API. The
 * bystanders get what was sent to them.
 */
import { expect, test } from 'vitest';
import { ADMIN_SETTINGS, adminStatus } from '../admin/admin-kit.js';
import { message, payloadText, useEventServer } from '../events/event-kit.js';
import { eventually } from '../support/eventually.js';
import { statusFigure } from '../support/server-status.js';

const kit = useEventServer({ ...ADMIN_SETTINGS }); // strict, defaults; the chat-app sign-in and the admin API on

/** What anyone may read, less the clock: /health and / must be one document that nothing here changes. */
async function publicStatus(): Promise<unknown> {
  const [health, root] = await Promise.all(['/health', '/'].map(async (path) => withoutClock(await (await fetch(new URL(path, kit.srv.url))).json())));
  expect(root).toEqual(health);
  return health;
}

/** The document less its uptime (both copies of it), which moves on its own. */
function withoutClock(document: unknown): unknown {
  const { uptime_seconds: _uptime, stats, ...rest } = document as { uptime_seconds: number; stats: Record<string, unknown> };
  const { uptime_seconds: _statsUptime, ...figures } = stats;
  return { ...rest, stats: figures };
}

test('a direct message to a key and its push socket change nothing in /health; /metrics and the admin API count them', async () => {
  const before = await publicStatus();
  expect(Object.keys(before as object).sort()).toEqual(['active_connections', 'active_rooms', 'stats', 'status', 'total_users', 'version']);

  const [stranger, bob] = [kit.srv.client(), kit.srv.client()];
  await stranger.send(bob.address, 'are you there?');
  expect(await publicStatus()).toEqual(before);
  expect(await statusFigure(kit.srv, 'queued_messages')).toBe(1);
  expect((await adminStatus(kit.srv)).queued_messages).toBe(1);

  const received: InboxMessage[] = [];
  const push = bob.subscribe((m) => received.push(m));
  await push.waitOpen();
  await eventually(() => received.length === 1);
  expect(text(bob.open(received[0]!).plaintext)).toBe('are you there?');
  expect(await publicStatus()).toEqual(before);
  expect(await statusFigure(kit.srv, 'websocket_connections.whispr')).toBe(1);
  expect((await adminStatus(kit.srv)).websocket_connections.whispr).toBe(1);
  push.close();
});

test('POST /api/events answers the same whether the recipient is online or not, and /health does not change', async () => {
  const before = await publicStatus();
  const [stranger, carol] = [await kit.user(), await kit.user()];
  const offline = await stranger.events.post(message(stranger, carol, 'first'));
  const socket = await kit.socket(carol);
  await socket.sync();
  const online = await stranger.events.post(message(stranger, carol, 'second'));
  expect(Object.keys(offline).sort()).toEqual(['event_id', 'success']);
  expect(Object.keys(online).sort()).toEqual(Object.keys(offline).sort());
  expect(await publicStatus()).toEqual(before);
  // The bystander gets both, in order.
  expect((await socket.ackEach(2)).map(payloadText)).toEqual(['first', 'second']);
});
