import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileEnvelopeOf, GroupClient, newGroupKey, utf8 } from 'whispr-sdk';
import { startServer, type RunningServer } from '../support/test-server.js';

describe('SDK: GroupClient.sendFile / downloadFile', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(async () => {
    await srv.stop();
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
