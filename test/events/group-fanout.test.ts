/**
 * Chat-app group events (docs/events.md): POST /api/events to a group puts one copy in the queue of
 * every other member, over the real /ws/{user_id} sockets, on SQLite and on PostgreSQL.
 */
import { describe, expect, test } from 'vitest';
import { eventually } from '../support/eventually.js';
import { requirePostgres } from '../support/services.js';
import { groupMessage, message, payloadText, useEventServer, type EventStorage } from './event-kit.js';

const postgres = await requirePostgres('test/events/group-fanout.test.ts');

// One event in flight per socket: each arrives only once the one before it was acknowledged, so
// what a socket received shows which ACKs the server applied, and a later event shows nothing
// came before it.
const ONE_AT_A_TIME = { event_window: 1 };

function groupFanout(storage: EventStorage): void {
  const kit = useEventServer(ONE_AT_A_TIME, storage);

  test('each other member gets one copy of each, in order, and acknowledges it; the sender gets none', async () => {
    const [alice, bob, carol] = [await kit.user(), await kit.user(), await kit.user()];
    const groupId = await kit.group(alice, [bob, carol]);
    const [aliceSocket, bobSocket, carolSocket] = [await kit.socket(alice), await kit.socket(bob), await kit.socket(carol)];

    const posted = [];
    for (const text of ['g0', 'g1', 'g2']) posted.push(await alice.events.post({ ...groupMessage(alice, groupId, text), timestamp: 1_764_000_000_000 }));
    expect(posted[0]).toEqual({ success: true, event_id: expect.any(String), recipients: 2, queue_full: [] });

    for (const socket of [bobSocket, carolSocket]) {
      const received = await socket.ackEach(3);
      expect(received.map((e) => e.event_id)).toEqual(posted.map((p) => p.event_id));
      expect(received.map((e) => e.sequence)).toEqual([1, 2, 3]);
      // The envelope as posted: the group stays the recipient_id, so a client can tell a group copy.
      expect(received[0]).toEqual({
        event_id: posted[0]!.event_id,
        recipient_id: groupId,
        sender_id: alice.id,
        event_type: 'MESSAGE',
        sequence: 1,
        timestamp: 1_764_000_000_000,
        metadata: { chat_id: groupId, group_id: groupId },
        encrypted_payload: Buffer.from('g0').toString('base64'),
      });
    }

    // The copies are gone once acknowledged: a direct event posted after them is all a new socket gets.
    await alice.events.post(message(alice, bob, 'after'));
    await bobSocket.waitEvents(4); // arrives once the ACK of g2 was applied
    bobSocket.ws.close();
    const [first] = await (await kit.socket(bob)).waitEvents(1);
    expect(payloadText(first!)).toBe('after');

    // Had alice got a copy of her own, it would come before this.
    await bob.events.post(message(bob, alice, 'to alice'));
    const [own] = await aliceSocket.waitEvents(1);
    expect(payloadText(own!)).toBe('to alice');
  });

  test('a retried POST with the same event_id answers the same and queues no second copy for anyone', async () => {
    const [alice, bob, carol] = [await kit.user(), await kit.user(), await kit.user()];
    const groupId = await kit.group(alice, [bob, carol]);
    const bobSocket = await kit.socket(bob); // carol is offline
    const once = { ...groupMessage(alice, groupId, 'once'), event_id: `evt-${Date.now()}` };

    const first = await alice.events.post(once);
    expect(first).toEqual({ success: true, event_id: once.event_id, recipients: 2, queue_full: [] });
    expect(await alice.events.post(once)).toEqual(first);
    await alice.events.post(groupMessage(alice, groupId, 'next'));

    expect((await bobSocket.ackEach(2)).map(payloadText)).toEqual(['once', 'next']);
    expect((await (await kit.socket(carol)).ackEach(2)).map(payloadText)).toEqual(['once', 'next']);
  });

  test('a non-member is refused 403 NOT_GROUP_MEMBER; sender_id must still be the caller; an unknown id is 404', async () => {
    const [alice, bob, mallory] = [await kit.user(), await kit.user(), await kit.user()];
    const groupId = await kit.group(alice, [bob]);

    await expect(mallory.events.post(groupMessage(mallory, groupId, 'let me in'))).rejects.toMatchObject({ status: 403, errorCode: 'NOT_GROUP_MEMBER' });
    await expect(mallory.events.post(groupMessage(alice, groupId, 'forged'))).rejects.toMatchObject({ status: 403, errorCode: 'SENDER_MISMATCH' });
    await expect(bob.events.post(groupMessage(alice, groupId, 'forged by a member'))).rejects.toMatchObject({ status: 403, errorCode: 'SENDER_MISMATCH' });
    await expect(alice.events.post(groupMessage(alice, `no-such-${groupId}`, 'x'))).rejects.toMatchObject({ status: 404, errorCode: 'RECIPIENT_NOT_FOUND' });

    await alice.events.post(groupMessage(alice, groupId, 'real'));
    const [first] = await (await kit.socket(bob)).waitEvents(1);
    expect(payloadText(first!)).toBe('real');
  });

  test('a member removed from the group gets nothing sent after the removal, and can no longer send to it', async () => {
    const [alice, bob, carol] = [await kit.user(), await kit.user(), await kit.user()];
    const groupId = await kit.group(alice, [bob, carol]);
    await kit.removeMember(alice, groupId, carol);

    expect(await alice.events.post(groupMessage(alice, groupId, 'without carol'))).toMatchObject({ recipients: 1, queue_full: [] });
    await expect(carol.events.post(groupMessage(carol, groupId, 'still here?'))).rejects.toMatchObject({ status: 403, errorCode: 'NOT_GROUP_MEMBER' });
    await bob.events.post(message(bob, carol, 'direct'));

    // The direct event after the group one is carol's first: nothing of the group came before it.
    const carolEvents = await (await kit.socket(carol)).ackEach(1);
    expect(carolEvents.map(payloadText)).toEqual(['direct']);
    const bobEvents = await (await kit.socket(bob)).ackEach(1);
    expect(bobEvents.map(payloadText)).toEqual(['without carol']);
  });

  test('one POST to a 30-member group: each of the 29 others gets exactly one copy on their socket', async () => {
    const [sender, ...others] = await Promise.all(Array.from({ length: 30 }, () => kit.user()));
    const groupId = await kit.group(sender!, others);
    const sockets = await Promise.all(others.map((member) => kit.socket(member)));

    const posted = await sender!.events.post(groupMessage(sender!, groupId, 'to all'));
    expect(posted).toMatchObject({ recipients: 29, queue_full: [] });
    await sender!.events.post(groupMessage(sender!, groupId, 'next'));
    for (const socket of sockets) {
      const received = await socket.ackEach(2);
      expect(received.map(payloadText)).toEqual(['to all', 'next']);
      expect(received[0]?.event_id).toBe(posted.event_id);
    }
  });

  describe('with max_events_per_recipient 2', () => {
    const small = useEventServer({ ...ONE_AT_A_TIME, max_events_per_recipient: 2 }, storage);

    test('a member whose queue is full is left out and named; the same event_id later queues their copy alone', async () => {
      const [alice, bob, carol] = [await small.user(), await small.user(), await small.user()];
      const groupId = await small.group(alice, [bob, carol]);
      for (const text of ['c1', 'c2']) await bob.events.post(message(bob, carol, text));
      const hello = { ...groupMessage(alice, groupId, 'hello'), event_id: `evt-${Date.now()}` };

      expect(await alice.events.post(hello)).toMatchObject({ success: true, recipients: 1, queue_full: [carol.id] });
      const carolSocket = await small.socket(carol);
      await carolSocket.ackEach(2);
      // A retry is safe whenever: bob's copy is answered as known, carol's is queued once her ACKs are in.
      await eventually(async () => (await alice.events.post(hello)).queue_full?.length === 0);
      expect(await alice.events.post(hello)).toMatchObject({ recipients: 2, queue_full: [] });

      expect((await carolSocket.ackEach(3)).map(payloadText)).toEqual(['c1', 'c2', 'hello']);
      await alice.events.post(groupMessage(alice, groupId, 'next'));
      expect((await (await small.socket(bob)).ackEach(2)).map(payloadText)).toEqual(['hello', 'next']);
    });

    test('when every other member’s queue is full the POST is refused 429 QUEUE_FULL', async () => {
      const [alice, bob] = [await small.user(), await small.user()];
      const groupId = await small.group(alice, [bob]);
      for (const text of ['b1', 'b2']) await alice.events.post(message(alice, bob, text));

      await expect(alice.events.post(groupMessage(alice, groupId, 'no room'))).rejects.toMatchObject({ status: 429, errorCode: 'QUEUE_FULL' });
      const bobSocket = await small.socket(bob);
      await bobSocket.ackEach(2);
      await alice.events.post(message(alice, bob, 'b3'));
      expect((await bobSocket.ackEach(3)).map(payloadText)).toEqual(['b1', 'b2', 'b3']);
    });
  });
}

describe('group events on SQLite', () => groupFanout('sqlite'));
describe.runIf(postgres)('group events on PostgreSQL', () => groupFanout('postgres'));
