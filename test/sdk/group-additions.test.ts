import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileEnvelopeOf, GroupClient, type InboxMessage, newGroupKey, type PushEvent, utf8 } from 'whispr-sdk';
import { startServer, type RunningServer } from '../support/test-server.js';

/** What the SDK adds for group clients: typed push events, key distribution to some members, encrypted group files. */
describe('SDK: group events, key distribution, group files', () => {
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

  it('seals the key only to the members named: they open it, the others still have none', async () => {
    const [owner, named, other] = [srv.client(), srv.client(), srv.client()];
    const [ownerGroups, namedGroups, otherGroups] = [owner, named, other].map((client) => new GroupClient(client));
    const { id: groupId, invite_code } = await ownerGroups!.create('partial');
    await namedGroups!.join({ invite_code });
    await otherGroups!.join({ invite_code });
    const key = newGroupKey();
    await ownerGroups!.distributeKey(groupId, key, 1, [owner.address, named.address]);

    expect(await namedGroups!.myKey(groupId)).toEqual({ key, keyVersion: 1 });
    await expect(otherGroups!.myKey(groupId)).rejects.toThrow('no group key has been distributed to this member yet');
    const { members } = await ownerGroups!.memberKeys(groupId);
    expect(members.find((m) => m.user_id === other.address)?.encrypted_group_key).toBeNull();
  });

  it('a member gets the same bytes, name and type from the channel message; the server holds only ciphertext', async () => {
    const [owner, member] = [new GroupClient(srv.client()), new GroupClient(srv.client())];
    const { id: groupId, invite_code } = await owner.create('files');
    await member.join({ invite_code });
    const channel = (await owner.listChannels(groupId)).channels[0]!.id;
    const key = newGroupKey();
    await owner.distributeKey(groupId, key, 1);
    const bytes = utf8(`minutes ${randomBytes(16).toString('hex')}`);
    const { envelope } = await owner.sendFile(groupId, channel, key, 1, bytes, 'minutes.txt', 'text/plain');

    const [message] = (await member.fetch(groupId, channel)).messages;
    const received = fileEnvelopeOf(utf8(member.decrypt(message!, key)));
    expect(received).toEqual(envelope);
    const file = await member.downloadFile(groupId, received!);
    expect(file).toEqual({ bytes, name: 'minutes.txt', mime: 'text/plain' });
    expect(Buffer.from(await member.download(groupId, envelope.attachment_id)).includes(Buffer.from(bytes))).toBe(false);
    await expect(member.downloadFile(groupId, { ...envelope, size: envelope.size + 1 })).rejects.toThrow('file does not match its envelope');
  });
});
