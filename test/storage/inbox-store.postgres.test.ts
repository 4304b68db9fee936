import { describe, expect, test } from 'vitest';
import { createPgInboxStore } from '../../src/storage/postgres/pg-inbox-store.js';
import { requirePostgres } from '../support/services.js';
import { postgresBackend, useBackend } from './backends.js';
import { INBOX_TABLES, inboxStoreContract } from './inbox-store.contract.js';
import { capOf } from './queue-caps.js';

const available = await requirePostgres('test/storage/inbox-store.postgres.test.ts');

describe.runIf(available)('PostgreSQL inbox store', () => {
  const backend = useBackend(postgresBackend(createPgInboxStore, INBOX_TABLES));
  inboxStoreContract(backend);

  test('releaseAll clears no lease: another node may be pushing that message right now', async () => {
    const [pushing, restarted] = [await backend().node(), await backend().node()];
    const queued = await pushing.enqueue(
      {
        recipient: 'r',
        from: 'f',
        enc_pub: 'e',
        message: 'bQ==',
        signature: 's',
        timestamp: 1,
        replayKey: 'k',
        expiresAt: null,
        replayExpiresAt: 10,
        fromAddress: 'a',
      },
      capOf(10),
      1,
    );
    expect(queued.status).toBe('queued');
    expect(await pushing.lease('r', 'all', 100, 1)).toHaveLength(1);
    await restarted.releaseAll();
    expect(await restarted.drain('r', 0, 10, 50)).toEqual([]);
    expect(await restarted.drain('r', 0, 10, 100)).toHaveLength(1); // the lease ran out
  });
});
