/**
 * Push sockets that acknowledge (`/ws/{key}?ack=1`): a message stays the server's until the client
 * says it kept it, so a client that closes between receiving and keeping (a browser tab closing)
 * gets it again on its next connection instead of losing it.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type WebSocket from 'ws';
import { SQLITE_FILE } from '../../src/storage/sqlite/open-embedded-storage.js';
import { type InboxMessage, type PushSubscription, text, type WhisprClient } from 'whispr-sdk';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';
import { closed, openCollecting, wsUrl } from './helpers.js';

let srv: RunningServer;
const sockets: WebSocket[] = [];
const subscriptions: PushSubscription[] = [];
beforeAll(async () => {
  srv = await startServer({ max_messages_per_second: 10_000 });
});
afterAll(async () => {
  for (const s of subscriptions) s.close();
  for (const ws of sockets) ws.terminate();
  await srv.stop();
});

/** A raw push socket of `client` (its token in the query), with `ack=1` unless told otherwise. */
async function pushSocket(client: WhisprClient, ack = true) {
  const query = new URLSearchParams({ token: (await client.token())! });
  if (ack) query.set('ack', '1');
  const opened = await openCollecting(wsUrl(srv.url, `/ws/${client.address}?${query}`));
  sockets.push(opened.ws);
  return opened;
}

/** What the server's database holds for `recipient`: each queued message's id, and whether a socket holds it (leased). */
function queued(recipient: string): Array<{ id: number; held: boolean }> {
  const db = new Database(join(srv.dataDir, SQLITE_FILE), { readonly: true });
  try {
    const rows = db.prepare('SELECT id, lease_until IS NOT NULL AS held FROM inbox_messages WHERE recipient = ? ORDER BY id').all(recipient) as Array<{
      id: number;
      held: number;
    }>;
    return rows.map(({ id, held }) => ({ id, held: held === 1 }));
  } finally {
    db.close();
  }
}

const messageIds = (frames: Array<Record<string, unknown>>) => frames.filter((f) => 'message' in f).map((f) => f.id as number);
const errorCodes = (frames: Array<Record<string, unknown>>) => frames.filter((f) => f.type === 'error').map((f) => f.error_code);

describe('a push socket with ack=1', () => {
  test('keeps what was acknowledged removed; what was not comes back after the socket closes, in order', async () => {
    const alice = srv.client();
    const bob = srv.client();
    const sent = [];
    for (const text of ['one', 'two', 'three']) sent.push((await alice.send(bob.address, text)).id);
    const { ws, frames } = await pushSocket(bob);
    await eventually(() => messageIds(frames).length === 3);
    expect(messageIds(frames)).toEqual(sent);
    // While the socket holds them, nobody else is handed them.
    expect(await bob.fetchInbox()).toEqual([]);

    ws.send(JSON.stringify({ type: 'ack', ids: [sent[0]] }));
    // A live message pushed meanwhile is held the same way.
    const live = (await alice.send(bob.address, 'four')).id;
    await eventually(() => messageIds(frames).length === 4);
    await eventually(() => queued(bob.address).length === 3);
    expect(queued(bob.address)).toEqual([sent[1], sent[2], live].map((id) => ({ id, held: true })));
    ws.close();
    await closed(ws);
    await eventually(() => queued(bob.address).every((m) => !m.held));

    const again = await pushSocket(bob);
    await eventually(() => messageIds(again.frames).length === 3);
    expect(messageIds(again.frames)).toEqual([sent[1], sent[2], live]);
  });

  test('an acknowledgement of ids it was not given removes nothing; a malformed one is refused with an error frame', async () => {
    const alice = srv.client();
    const bob = srv.client();
    const carol = srv.client();
    const forCarol = (await alice.send(carol.address, 'for carol')).id;
    const forBob = (await alice.send(bob.address, 'for bob')).id;
    const { ws, frames } = await pushSocket(bob);
    await eventually(() => messageIds(frames).length === 1);
    ws.send(JSON.stringify({ type: 'ack', ids: [forCarol] }));
    for (const bad of [
      { type: 'ack', ids: ['1'] },
      { type: 'ack', ids: [-1] },
      { type: 'ack', ids: Array.from({ length: 501 }, (_, i) => i + 1) },
      { type: 'ack' },
    ])
      ws.send(JSON.stringify(bad));
    await eventually(() => errorCodes(frames).length === 4);
    expect(errorCodes(frames)).toEqual(Array(4).fill('UNSUPPORTED_FRAME'));
    expect(queued(carol.address)).toEqual([{ id: forCarol, held: false }]);
    expect(queued(bob.address)).toEqual([{ id: forBob, held: true }]);
    ws.close();
    await closed(ws);
    await eventually(() => queued(bob.address).every((m) => !m.held));
    expect((await bob.fetchInbox()).map((m) => m.id)).toEqual([forBob]);
  });
});

test('a push socket without ack=1 removes on write, as before, and refuses an acknowledgement', async () => {
  const alice = srv.client();
  const bob = srv.client();
  const id = (await alice.send(bob.address, 'plain')).id;
  const { ws, frames } = await pushSocket(bob, false);
  await eventually(() => messageIds(frames).length === 1);
  ws.send(JSON.stringify({ type: 'ack', ids: [id] }));
  await eventually(() => errorCodes(frames).length === 1);
  ws.close();
  await closed(ws);
  expect(await bob.fetchInbox()).toEqual([]);
});

test('the SDK acknowledges what its handler kept: a message the handler failed to keep comes again on the next subscription', async () => {
  const alice = srv.client();
  const bob = srv.client();
  const ids = [];
  for (const text of ['kept', 'not kept', 'kept too']) ids.push((await alice.send(bob.address, text)).id);
  const kept: InboxMessage[] = [];
  const first = bob.subscribe(
    async (m) => {
      if (text(bob.open(m).plaintext) === 'not kept') throw new Error('storage failed');
      kept.push(m);
    },
    { acknowledge: true },
  );
  subscriptions.push(first);
  await eventually(() => kept.length === 2);
  // The two kept ones are acknowledged (in one frame, within a moment) and removed; the other stays held by the socket.
  await eventually(() => queued(bob.address).length === 1);
  expect(queued(bob.address)).toEqual([{ id: ids[1], held: true }]);
  first.close();
  await eventually(() => queued(bob.address).every((m) => !m.held));

  const second: InboxMessage[] = [];
  const again = bob.subscribe((m) => second.push(m), { acknowledge: true });
  subscriptions.push(again);
  await eventually(() => second.length === 1);
  expect(second.map((m) => m.id)).toEqual([ids[1]]);
});
