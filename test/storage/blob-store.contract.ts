/** What every BlobStore driver must do; nodes share the bytes (one directory, or one database). */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import type { BlobStore } from '../../src/features/attachments/attachment-store.js';
import type { Backend } from './backends.js';

const idOf = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Compared by hash: a deep toEqual over a megabyte takes seconds. */
async function expectServed(store: BlobStore, bytes: Buffer): Promise<void> {
  const got = await store.get(idOf(bytes));
  expect(got && idOf(got)).toBe(idOf(bytes));
  const path = await store.pathOf(idOf(bytes));
  expect(path).toBeDefined();
  expect(idOf(await readFile(path as string))).toBe(idOf(bytes));
}

export function blobStoreContract(backend: () => Backend<BlobStore>): void {
  test('bytes put on one node are served by another, as bytes and as a file, whatever their size', async () => {
    const [uploader, server] = [await backend().node(), await backend().node()];
    const blobs = [randomBytes(100), randomBytes(1024 * 1024 + 3), Buffer.alloc(0)];
    for (const bytes of blobs) await uploader.put(idOf(bytes), bytes);
    for (const bytes of blobs) await expectServed(server, bytes);
    await expectServed(server, blobs[1] as Buffer); // served again, e.g. from a local copy
  });

  test('put is idempotent, also when two nodes store the same bytes at once', async () => {
    const [a, b] = [await backend().node(), await backend().node()];
    const bytes = randomBytes(300_000);
    await Promise.all([a.put(idOf(bytes), bytes), b.put(idOf(bytes), bytes), a.put(idOf(bytes), bytes)]);
    await b.put(idOf(bytes), bytes);
    await expectServed(a, bytes);
    await expectServed(b, bytes);
  });

  test('a deleted blob is gone for every node, including one that served it before', async () => {
    const [a, b] = [await backend().node(), await backend().node()];
    const bytes = randomBytes(5000);
    const id = idOf(bytes);
    await a.put(id, bytes);
    await expectServed(b, bytes);
    await a.delete(id);
    await a.delete(id); // idempotent
    expect(await b.get(id)).toBeUndefined();
    expect(await b.pathOf(id)).toBeUndefined();
    expect(await a.pathOf(idOf(Buffer.from('never stored')))).toBeUndefined();
  });

  test('an id that is not sha256 hex is refused before it reaches a path or a query', async () => {
    const store = await backend().node();
    for (const id of ['../../etc/passwd', 'A'.repeat(64), 'a'.repeat(63), '']) {
      await expect(store.put(id, Buffer.from('x'))).rejects.toThrow('invalid blob id');
      await expect(store.get(id)).rejects.toThrow('invalid blob id');
      await expect(store.pathOf(id)).rejects.toThrow('invalid blob id');
      await expect(store.delete(id)).rejects.toThrow('invalid blob id');
    }
  });
}
