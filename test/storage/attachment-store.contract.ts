/** What every AttachmentStore driver must do. */
import { expect, test } from 'vitest';
import type { AttachmentGrant, AttachmentStore } from '../../src/features/attachments/attachment-store.js';
import { fileCharge } from '../../src/core/storage-charge.js';
import type { Backend } from './backends.js';

export const ATTACHMENT_TABLES = ['attachments', 'attachment_sender_usage'];

const grant = (attId: string, recipient: string, overrides: Partial<AttachmentGrant> = {}): AttachmentGrant => ({
  att_id: attId,
  recipient,
  sender: 's'.repeat(64),
  enc_pub: 'e'.repeat(64),
  name: 'photo.jpg',
  size: 12_345_678_901, // beyond 32 bits
  created_at: 1000.5,
  expires_at: 2000,
  ...overrides,
});

export function attachmentStoreContract(backend: () => Backend<AttachmentStore>): void {
  test('find: only the granted recipient, only before expiry; a grant without expiry never expires; grant replaces', async () => {
    const store = await backend().node();
    await store.grant(grant('a1', 'alice'));
    await store.grant(grant('a2', 'alice', { expires_at: null, name: null }));
    expect(await store.find('a1', 'alice', 1999.9)).toEqual(grant('a1', 'alice'));
    expect(await store.find('a1', 'alice', 2000)).toBeUndefined();
    expect(await store.find('a1', 'bob', 1000)).toBeUndefined();
    expect(await store.find('a2', 'alice', 1e12)).toEqual(grant('a2', 'alice', { expires_at: null, name: null }));
    await store.grant(grant('a1', 'alice', { name: 'renamed', expires_at: 3000 }));
    expect(await store.find('a1', 'alice', 2500)).toMatchObject({ name: 'renamed', expires_at: 3000 });
  });

  test('purgeExpired deletes expired grants and returns the ids that no grant refers to any more', async () => {
    const store = await backend().node();
    await store.grant(grant('gone', 'alice', { expires_at: 1500 }));
    await store.grant(grant('gone', 'bob', { expires_at: 1600 }));
    await store.grant(grant('kept', 'alice', { expires_at: 1500 }));
    await store.grant(grant('kept', 'bob', { expires_at: 5000 }));
    await store.grant(grant('forever', 'carol', { expires_at: null }));
    expect(await store.count()).toBe(3);
    expect(await store.purgeExpired(1499)).toEqual([]);
    expect(await store.purgeExpired(1500)).toEqual([]); // "gone" is still granted to bob
    expect(await store.purgeExpired(1600)).toEqual(['gone']);
    expect(await store.isGranted('gone')).toBe(false);
    expect(await store.isGranted('kept')).toBe(true);
    expect(await store.find('kept', 'alice', 1000)).toBeUndefined();
    expect(await store.count()).toBe(2);
    expect((await store.purgeExpired(1e12)).sort()).toEqual(['kept']);
    expect(await store.isGranted('forever')).toBe(true);
  });

  test('isGranted counts a grant that expired but was not purged yet (its file must stay until the purge)', async () => {
    const [uploader, other] = [await backend().node(), await backend().node()];
    await uploader.grant(grant('a1', 'alice', { expires_at: 1500 }));
    expect(await other.isGranted('a1')).toBe(true);
    expect(await other.find('a1', 'alice', 1600)).toBeUndefined();
    expect(await other.isGranted('nope')).toBe(false);
  });

  test('senderBytes counts each grant of a sender (size plus its row) until it is purged; a replaced grant moves to its new sender', async () => {
    const [store, other] = [await backend().node(), await backend().node()];
    const [sam, tom] = ['s'.repeat(64), 't'.repeat(64)];
    expect(await store.senderBytes(sam)).toBe(0);
    await store.grant(grant('a1', 'alice', { size: 1000, expires_at: 1500 }));
    await store.grant(grant('a1', 'bob', { size: 1000, expires_at: 1500 }));
    await store.grant(grant('a2', 'alice', { size: 10, expires_at: null }));
    expect(await other.senderBytes(sam)).toBe(2 * fileCharge(1000) + fileCharge(10));
    await store.grant(grant('a2', 'alice', { size: 10, expires_at: null, sender: tom }));
    expect(await other.senderBytes(sam)).toBe(2 * fileCharge(1000));
    expect(await other.senderBytes(tom)).toBe(fileCharge(10));
    await store.purgeExpired(1500);
    expect(await other.senderBytes(sam)).toBe(0);
    expect(await other.senderBytes(tom)).toBe(fileCharge(10));
  });
}
