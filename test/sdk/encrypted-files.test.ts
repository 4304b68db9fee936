import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENCRYPTED_FILE_OVERHEAD, fileEnvelopeOf, toBase64, type FileEnvelope, type WhisprClient } from 'whispr-sdk';
import { serverDisk } from '../support/server-disk.js';
import { startServer, type RunningServer } from '../support/test-server.js';

async function receivedEnvelope(bob: WhisprClient): Promise<FileEnvelope> {
  const [message] = await bob.fetchInbox();
  const { plaintext, verified } = bob.open(message!);
  expect(verified).toBe(true);
  const envelope = fileEnvelopeOf(plaintext);
  expect(envelope).toBeDefined();
  return envelope!;
}

describe('SDK: encrypted files (sendFile / downloadFile)', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('the recipient gets the same bytes, name and type; the server keeps neither the name nor the plaintext', async () => {
    const [alice, bob] = [srv.client(), srv.client()];
    const name = `notes-${randomBytes(6).toString('hex')}.txt`;
    const bytes = Buffer.from(`meeting notes ${randomBytes(16).toString('hex')}`);
    const sent = await alice.sendFile(bob.address, bytes, name, 'text/plain');

    const envelope = await receivedEnvelope(bob);
    expect(envelope).toMatchObject({ type: 'file', attachment_id: sent.attachment_id, name, size: bytes.length, mime: 'text/plain' });
    const file = await bob.downloadFile(envelope);
    expect(Buffer.from(file.bytes).equals(bytes)).toBe(true);
    expect(file).toMatchObject({ name, mime: 'text/plain' });

    // What the server stored under the attachment id: a nameless ciphertext.
    const stored = await bob.download(sent.attachment_id);
    expect(stored.name).toBeNull();
    expect(Buffer.from(stored.bytes).includes(bytes)).toBe(false);
    const disk = serverDisk(srv.dataDir);
    expect(disk.includes(name)).toBe(false);
    expect(disk.includes(bytes)).toBe(false);

    // Control: the original clients' raw upload does store both, so the scan above can see them.
    await alice.uploadRaw(bob.address, bytes, name);
    const after = serverDisk(srv.dataDir);
    expect(after.includes(name)).toBe(true);
    expect(after.includes(bytes)).toBe(true);
  });

  it('each file gets its own key: the same bytes sent twice are two different ciphertexts', async () => {
    const [alice, bob] = [srv.client(), srv.client()];
    const bytes = randomBytes(1000);
    const first = await alice.sendFile(bob.address, bytes, 'a.bin');
    const second = await alice.sendFile(bob.address, bytes, 'a.bin');
    expect(first.attachment_id).not.toBe(second.attachment_id);
  });

  it('a wrong key or a lying envelope is refused, not returned as the file', async () => {
    const [alice, bob] = [srv.client(), srv.client()];
    await alice.sendFile(bob.address, Buffer.from('the real file'), 'real.txt');
    const envelope = await receivedEnvelope(bob);
    await expect(bob.downloadFile({ ...envelope, key: toBase64(randomBytes(32)) })).rejects.toThrow();
    await expect(bob.downloadFile({ ...envelope, size: envelope.size + 1 })).rejects.toThrow('file does not match its envelope');
    await expect(bob.downloadFile({ ...envelope, sha256: '0'.repeat(64) })).rejects.toThrow('file does not match its envelope');
  });

  it('an ordinary message is not a file envelope', async () => {
    const [alice, bob] = [srv.client(), srv.client()];
    await alice.send(bob.address, 'just text');
    await alice.send(bob.address, JSON.stringify({ type: 'file', name: 'no key or id' }));
    const opened = (await bob.fetchInbox()).map((m) => fileEnvelopeOf(bob.open(m).plaintext));
    expect(opened).toEqual([undefined, undefined]);
  });

  it('prepareFile makes the upload and the message up front, for an outbox: the id is known before the upload, and a retried upload stores nothing new', async () => {
    const [alice, bob] = [srv.client(), srv.client()];
    const bytes = randomBytes(2000);
    const prepared = await alice.prepareFile(bob.address, bytes, 'photo.png', 'image/png');
    expect(prepared.upload.name).toBeNull();
    expect(prepared.upload.size).toBe(bytes.length + ENCRYPTED_FILE_OVERHEAD);
    expect(await alice.uploadBody(prepared.upload)).toBe(prepared.envelope.attachment_id);
    expect(await alice.uploadBody(prepared.upload)).toBe(prepared.envelope.attachment_id); // a retry after a lost answer
    await alice.sendBody(prepared.message);
    const envelope = await receivedEnvelope(bob);
    expect(envelope).toEqual(prepared.envelope);
    expect(Buffer.from((await bob.downloadFile(envelope)).bytes).equals(bytes)).toBe(true);
  });
});
