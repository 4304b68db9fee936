import { describe, expect, test } from 'vitest';
import type { InboxStore } from '../../src/features/relay/inbox-store.js';
import { createPgInboxStore } from '../../src/storage/postgres/pg-inbox-store.js';
import { requirePostgres } from '../support/services.js';
import { postgresBackend, useBackend } from './backends.js';
import { INBOX_TABLES, inboxStoreContract } from './inbox-store.contract.js';
import { capOf } from './queue-caps.js';

const available = await requirePostgres('test/storage/inbox-store.postgres.test.ts');

/** Small message `n` to `recipient`. */
const sendTo = (store: InboxStore, recipient: string, n = 1) =>
  store.enqueue(
    {
      recipient,
      from: 'f',
      enc_pub: 'e',
      message: 'bQ==',
      signature: 's',
      timestamp: 1,
      replayKey: `k-${recipient}-${n}`,
      expiresAt: null,
      replayExpiresAt: 10,
      fromAddress: 'a',
    },
    capOf(10),
    1,
  );

describe.runIf(available)('PostgreSQL inbox store', () => {
  const backend = useBackend(postgresBackend(createPgInboxStore, INBOX_TABLES));
  inboxStoreContract(backend);

  test('a sweep drops the lock row of every recipient with nothing queued, so keys sent to once do not pile up', async () => {
    const store = await backend().node();
    await Promise.all([sendTo(store, 'r1'), sendTo(store, 'r2')]);
    await store.drain('r1', 0, 10, 1);
    await store.purgeExpired(1);
    expect(await backend().select('SELECT recipient FROM inbox_recipient_locks')).toEqual([{ recipient: 'r2' }]);
    expect(await sendTo(store, 'r1', 2)).toMatchObject({ status: 'queued' }); // its next message takes the lock again
  });

  test('releaseAll clears no lease: another node may be pushing that message right now', async () => {
    const [pushing, restarted] = [await backend().node(), await backend().node()];
    expect((await sendTo(pushing, 'r')).status).toBe('queued');
    expect(await pushing.lease('r', 'all', 100, 1)).toHaveLength(1);
    await restarted.releaseAll();
    expect(await restarted.drain('r', 0, 10, 50)).toEqual([]);
    expect(await restarted.drain('r', 0, 10, 100)).toHaveLength(1); // the lease ran out
  });
});
