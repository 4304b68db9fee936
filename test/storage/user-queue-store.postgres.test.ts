import { describe, expect, test } from 'vitest';
import { createPgUserQueueStore } from '../../src/storage/postgres/pg-user-queue-store.js';
import { requirePostgres } from '../support/services.js';
import { postgresBackend, useBackend } from './backends.js';
import { countStatements } from './pg-statements.js';
import { capOf } from './queue-caps.js';
import { USER_QUEUE_TABLES, userQueueStoreContract } from './user-queue-store.contract.js';

const available = await requirePostgres('test/storage/user-queue-store.postgres.test.ts');

describe.runIf(available)('PostgreSQL user queue store', () => {
  const backend = useBackend(postgresBackend(createPgUserQueueStore, USER_QUEUE_TABLES));
  userQueueStoreContract(backend);

  test('a burst of appends and group fan-outs made in one turn reaches PostgreSQL as one statement, not one per event; so do reads and acks', async () => {
    const store = await backend().node();
    const members = Array.from({ length: 20 }, (_, i) => `member-${i}`);
    const origin = { sender: 'sender', address: '10.0.0.1' };
    const event = (recipientId: string, n: number) => ({ recipientId, eventId: `e${n}`, body: `{"n":${n}}`, createdAt: 1, expiresAt: null, origin });
    const { result, statements } = await countStatements(() =>
      Promise.all([
        ...Array.from({ length: 100 }, (_, n) => store.append(event(`user-${n % 10}`, n), capOf(1000))),
        ...Array.from({ length: 10 }, (_, n) =>
          store.appendEach(
            members.map((m) => event(m, 1000 + n)),
            capOf(1000),
          ),
        ),
      ]),
    );
    expect(statements).toBe(1);
    expect(result.flat().filter((r) => r.status === 'queued')).toHaveLength(100 + 10 * members.length);
    expect(await store.depth()).toBe(300);

    // Every member's socket reading its queue, then acknowledging an event, in one turn each.
    const pages = await countStatements(() => Promise.all(members.map((m, i) => store.list(m, i % 5, 3, 1))));
    expect(pages.statements).toBe(1);
    expect(pages.result.map((page) => page.map((e) => e.seq))).toEqual(members.map((_, i) => [1, 2, 3].map((n) => n + (i % 5))));
    const acks = await countStatements(() =>
      Promise.all([...members.map((m) => store.ack(m, 'e1000')), store.ack('member-0', 'e1000'), store.ack('nobody', 'e1')]),
    );
    expect(acks.statements).toBe(1);
    expect(acks.result).toEqual([...members.map(() => true), false, false]); // an event named twice is removed, and answered, once
    expect(await store.depth()).toBe(300 - members.length);
  });
});
