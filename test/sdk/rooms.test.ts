/**
 * The SDK's RoomClient against a real server: three members see each other come and go, typing
 * (sent once however often it is said), reactions and messages encrypted under the room
 * passphrase; a member with another passphrase gets undecryptable messages; a dropped member
 * rejoins under its id; the budget keeps a fast writer under the server's rate limit. The content format is checked against Node's own
 * PBKDF2 and AES-GCM, so another client can implement it from docs/sdk.md.
 */
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptRoomContent, deriveRoomKey, encryptRoomContent, ROOM_KDF, RoomClient, type RoomContent, type RoomEvent } from 'whispr-sdk';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';

const PASSPHRASE = 'correct horse battery staple';

/** A member and every event it got. */
interface Member {
  client: RoomClient;
  events: RoomEvent[];
}

const of = <T extends RoomEvent['type']>(member: Member, type: T) => member.events.filter((e): e is Extract<RoomEvent, { type: T }> => e.type === type);
const names = (member: Member) => member.client.members.map((m) => m.name);

describe('SDK: RoomClient (ephemeral rooms)', () => {
  let srv: RunningServer;
  const joined: RoomClient[] = [];
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(async () => {
    for (const client of joined) client.leave();
    await srv.stop();
  });

  async function join(roomId: string, username: string, passphrase = PASSPHRASE, baseUrl = srv.url): Promise<Member> {
    const events: RoomEvent[] = [];
    const client = await RoomClient.join({ baseUrl, roomId, passphrase, username, onEvent: (event) => events.push(event) });
    joined.push(client);
    return { client, events };
  }

  it('three members: presence, typing, a message only passphrase holders read, reactions; a leave', async () => {
    const room = `team-${randomBytes(4).toString('hex')}`;
    const ann = await join(room, 'Ann');
    const bob = await join(room, 'Bob');
    const cy = await join(room, 'Cy');
    await eventually(() => names(ann).length === 3 && names(bob).length === 3);
    expect(names(ann)).toEqual(['Ann', 'Bob', 'Cy']);
    expect(names(cy)).toEqual(['Cy', 'Ann', 'Bob']);

    for (let i = 0; i < 5; i += 1) ann.client.typing(true);
    ann.client.typing(false);
    await eventually(() => of(bob, 'typing').length === 2 && of(cy, 'typing').length === 2);
    expect(of(bob, 'typing')).toEqual([
      { type: 'typing', userId: ann.client.me.id, isTyping: true },
      { type: 'typing', userId: ann.client.me.id, isTyping: false },
    ]);

    const sent = await ann.client.send('hello room');
    await eventually(() => of(bob, 'message').length === 1 && of(cy, 'message').length === 1);
    expect(of(bob, 'message')[0]!.content).toEqual(sent);
    expect(of(bob, 'message')[0]!.serverId).toMatch(/^[0-9a-f-]{36}$/);
    expect(of(ann, 'message')).toEqual([]); // not echoed to its sender

    const eve = await join(room, 'Eve', 'a different passphrase');
    await bob.client.send('can eve read this');
    await eventually(() => of(eve, 'message').length === 1);
    expect(of(eve, 'message')[0]!.content).toBeUndefined();

    bob.client.react(sent.id, '👍');
    await eventually(() => [ann, bob, cy].every((m) => of(m, 'reaction').length === 1));
    expect(of(ann, 'reaction')[0]).toEqual({ type: 'reaction', messageId: sent.id, user: bob.client.me, emoji: '👍', action: 'add' });

    cy.client.leave();
    await eventually(() => names(ann).length === 3 && names(bob).length === 3);
    expect(names(ann)).toEqual(['Ann', 'Bob', 'Eve']);
  });

  it('a member whose connection drops rejoins under the same id, and reads and writes again', async () => {
    const room = `drop-${randomBytes(4).toString('hex')}`;
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(srv.url).port));
    const ann = await join(room, 'Ann', PASSPHRASE, `http://127.0.0.1:${proxy.port}`);
    const bob = await join(room, 'Bob');
    await eventually(() => names(ann).length === 2);

    await proxy.down();
    await eventually(() => of(ann, 'connection').length === 1 && names(bob).length === 1);
    expect(ann.client.connected).toBe(false);
    await expect(ann.client.send('while away')).rejects.toThrow('Not connected to the room: reconnecting…');

    await proxy.up();
    await eventually(() => ann.client.connected && names(bob).length === 2, 15_000);
    expect(of(ann, 'connection').map((e) => e.state)).toEqual(['reconnecting', 'joined']);
    expect(bob.client.members.map((m) => m.id)).toEqual([bob.client.me.id, ann.client.me.id]);
    expect(names(ann)).toEqual(['Ann', 'Bob']);
    await ann.client.send('back again');
    await eventually(() => of(bob, 'message').length === 1);
    expect(of(bob, 'message')[0]!.content?.text).toBe('back again');
    await proxy.down();
  });

  it('a refused join rejects with the server code; a fast writer is stopped by its budget before the server limits it', async () => {
    await expect(join('no spaces allowed', 'Ann')).rejects.toThrow(/^INVALID_ROOM_ID/);
    const room = `burst-${randomBytes(4).toString('hex')}`;
    const ann = await join(room, 'Ann');
    const bob = await join(room, 'Bob');
    for (let i = 0; i < 30; i += 1) await ann.client.send(`message ${i}`);
    await expect(ann.client.send('one too many')).rejects.toThrow('Too many messages at once: wait a moment');
    ann.client.typing(true); // the typing budget is spent too: nothing goes out
    await eventually(() => of(bob, 'message').length === 30);
    expect(of(bob, 'message').map((e) => e.content?.text)).toEqual(Array.from({ length: 30 }, (_, i) => `message ${i}`));
    expect(of(bob, 'typing')).toEqual([]);
    expect(of(ann, 'error')).toEqual([]);
    await expect(ann.client.send('x'.repeat(8_000))).rejects.toThrow('This message is too long for a room');
  });

  it('the content format is PBKDF2-SHA256 (salt "whispr-room:" + room id) and AES-256-GCM, iv.ciphertext in base64', async () => {
    const roomId = 'format-check';
    const keyBytes = pbkdf2Sync(PASSPHRASE, `${ROOM_KDF.saltPrefix}${roomId}`, ROOM_KDF.iterations, 32, 'sha256');
    const key = await deriveRoomKey(roomId, PASSPHRASE);
    const content: RoomContent = { id: 'm1', from: 'u1', name: 'Ann', text: 'héllo', at: 1_700_000_000_000 };

    // Written by Node's AES-GCM, read by the SDK.
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keyBytes, iv);
    const sealed = Buffer.concat([cipher.update(JSON.stringify(content)), cipher.final(), cipher.getAuthTag()]);
    expect(await decryptRoomContent(key, `${iv.toString('base64')}.${sealed.toString('base64')}`)).toEqual(content);

    // Written by the SDK, read by Node's AES-GCM.
    const [ivPart, sealedPart] = (await encryptRoomContent(key, content)).split('.') as [string, string];
    const bytes = Buffer.from(sealedPart, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', keyBytes, Buffer.from(ivPart, 'base64'));
    decipher.setAuthTag(bytes.subarray(-16));
    expect(JSON.parse(Buffer.concat([decipher.update(bytes.subarray(0, -16)), decipher.final()]).toString('utf8'))).toEqual(content);

    // Another room's key, a tampered ciphertext and a non-message plaintext read as nothing.
    expect(await decryptRoomContent(await deriveRoomKey('other-room', PASSPHRASE), `${iv.toString('base64')}.${sealed.toString('base64')}`)).toBeUndefined();
    sealed[0]! ^= 1;
    expect(await decryptRoomContent(key, `${iv.toString('base64')}.${sealed.toString('base64')}`)).toBeUndefined();
    expect(await decryptRoomContent(key, 'SGVsbG8=.V29ybGQ=')).toBeUndefined();
  });
});
