import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { createBlobSpool } from '../../src/storage/postgres/blob-spool.js';
import { createPgBlobStore } from '../../src/storage/postgres/pg-blob-store.js';
import { requirePostgres } from '../support/services.js';
import { postgresBackend, useBackend } from './backends.js';
import { blobStoreContract } from './blob-store.contract.js';

const available = await requirePostgres('test/storage/blob-store.postgres.test.ts');

describe.runIf(available)('PostgreSQL blob store', () => {
  const spools: string[] = [];
  const backend = useBackend(
    postgresBackend(
      (db, scratchDir) => {
        spools.push(scratchDir);
        return { dm: createPgBlobStore(db, 'attachments', createBlobSpool(scratchDir)), groups: createPgBlobStore(db, 'groups', createBlobSpool(scratchDir)) };
      },
      ['blobs'],
    ),
  );
  const dmBackend = () => ({ ...backend(), node: async () => (await backend().node()).dm });
  blobStoreContract(dmBackend);

  test('buckets are separate: the same id in two buckets is two blobs', async () => {
    const { dm, groups } = await backend().node();
    const bytes = Buffer.from('shared content');
    const id = createHash('sha256').update(bytes).digest('hex');
    await dm.put(id, bytes);
    expect(await groups.get(id)).toBeUndefined();
    await groups.put(id, bytes);
    await groups.delete(id);
    expect(await dm.get(id)).toEqual(bytes);
  });

  test('bytes are stored in 256 KiB chunks, and a node spools a file only when asked for its path', async () => {
    const { dm } = await backend().node();
    const bytes = Buffer.alloc(600 * 1024, 7);
    const id = createHash('sha256').update(bytes).digest('hex');
    await dm.put(id, bytes);
    expect(await backend().rows('blob_chunks')).toBe(3);
    const spool = spools.at(-1) as string;
    expect(await readdir(spool)).toEqual([]);
    await dm.get(id);
    expect(await readdir(spool)).toEqual([]);
    await dm.pathOf(id);
    expect(await readdir(spool)).toEqual([`${id}.bin`]);
    await dm.delete(id);
    expect(await readdir(spool)).toEqual([]);
  });
});
