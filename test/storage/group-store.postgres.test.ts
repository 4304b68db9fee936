import { describe, expect, test } from 'vitest';
import { MESSAGE_ROW_BYTES } from '../../src/core/storage-charge.js';
import { createPgGroupStore } from '../../src/storage/postgres/pg-group-store.js';
import { requirePostgres } from '../support/services.js';
import { postgresBackend, useBackend } from './backends.js';
import { channel, GROUP_TABLES, group, groupStoreContract } from './group-store.contract.js';
import { groupStoreQuotasContract } from './group-store-quotas.contract.js';
import { countStatements } from './pg-statements.js';

const available = await requirePostgres('test/storage/group-store.postgres.test.ts');

describe.runIf(available)('PostgreSQL group store', () => {
  groupStoreContract(useBackend(postgresBackend(createPgGroupStore, GROUP_TABLES)));
  groupStoreQuotasContract(useBackend(postgresBackend(createPgGroupStore, GROUP_TABLES)));

  const backend = useBackend(postgresBackend(createPgGroupStore, GROUP_TABLES));
  test('the messages of one turn, to several groups from several senders, reach PostgreSQL as one statement; usage adds up; what a send reads is one statement', async () => {
    const store = await backend().node();
    for (const id of ['g1', 'g2']) await store.createGroup(group(id), channel(`${id}-general`, id, 'general'));
    const message = (n: number) => ({
      id: `m${n}`,
      group_id: `g${(n % 2) + 1}`,
      channel_id: `g${(n % 2) + 1}-general`,
      sender_id: `k${n % 5}`,
      ciphertext: 'x'.repeat(100),
      nonce: 'n'.repeat(16),
      key_version: 1,
      timestamp: n + 1,
      attachment_meta: null,
    });
    const lost = { ...message(100), channel_id: 'deleted-channel' };
    const { result, statements } = await countStatements(() =>
      Promise.allSettled([...Array.from({ length: 100 }, (_, n) => store.addMessage(message(n))), store.addMessage(lost)]),
    );
    expect(statements).toBe(1);
    // A message whose channel is gone fails alone; the others of its batch are stored.
    expect(result.filter((r) => r.status === 'fulfilled')).toHaveLength(100);
    expect(result.at(-1)).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/foreign key/) } });
    expect((await store.fetchMessages('g1', 'g1-general', 0, 0, 100)).map((m) => m.id)).toEqual(Array.from({ length: 50 }, (_, i) => `m${2 * i}`));
    const cost = 100 + MESSAGE_ROW_BYTES;
    // What a send reads beforehand is one statement too.
    const context = await countStatements(() => store.sendContext('g2', 'g2-general', 'owner'));
    expect(context.statements).toBe(1);
    expect(context.result).toMatchObject({ group: { id: 'g2' }, member: { role: 'owner' }, channel: { id: 'g2-general' }, memberIds: ['owner'] });
    expect(await store.usage('g2', 'k1')).toEqual({ group: { message_bytes: 50 * cost, file_bytes: 0 }, key: { message_bytes: 20 * cost, file_bytes: 0 } });
  });
});
