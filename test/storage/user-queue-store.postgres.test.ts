import { describe } from 'vitest';
import { createPgUserQueueStore } from '../../src/storage/postgres/pg-user-queue-store.js';
import { requirePostgres } from '../support/services.js';
import { postgresBackend, useBackend } from './backends.js';
import { USER_QUEUE_TABLES, userQueueStoreContract } from './user-queue-store.contract.js';

const available = await requirePostgres('test/storage/user-queue-store.postgres.test.ts');

describe.runIf(available)('PostgreSQL user queue store', () => {
  userQueueStoreContract(useBackend(postgresBackend(createPgUserQueueStore, USER_QUEUE_TABLES)));
});
