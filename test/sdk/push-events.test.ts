import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupClient, type InboxMessage, newGroupKey, type PushEvent } from 'whispr-sdk';
import { startServer, type RunningServer } from '../support/test-server.js';

describe('SDK: typed events on the push socket (subscribe onEvent)', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(async () => {
    await srv.stop();
  });

  it("a group's messages and key versions reach onEvent, never onMessage; direct messages still reach onMessage", async () => {
    const [alice, bob] = [srv.client(), srv.client()];
    const [owner, member] = [new GroupClient(alice), new GroupClient(bob)];
    const { id: groupId, invite_code } = await owner.create('events');
    await member.join({ invite_code });
    const channel = (await owner.listChannels(groupId)).channels[0]!.id;
    const key = newGroupKey();
    await owner.distributeKey(groupId, key, 1);

    const events: PushEvent[] = [];
    const direct: InboxMessage[] = [];
    const subscription = bob.subscribe((message) => direct.push(message), { onEvent: (event) => events.push(event) });
    try {
      await subscription.waitOpen();
      await owner.send(groupId, channel, key, 1, 'to the group');
      await owner.rekey(groupId);
      await alice.send(bob.address, 'to bob alone');
      await expect.poll(() => events.map((e) => e.type)).toEqual(['group_message', 'group_key_version']);
      await expect.poll(() => direct.length).toBe(1);
    } finally {
      subscription.close();
    }
    const [message, version] = events;
    expect(message?.type === 'group_message' && message.channel_id === channel && member.decrypt(message.message, key)).toBe('to the group');
    expect(version).toMatchObject({ type: 'group_key_version', group_id: groupId, key_version: 2, reason: 'rekey' });
    expect(bob.open(direct[0]!).verified).toBe(true);
  });
});
