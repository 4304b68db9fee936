import { describe } from 'vitest';
import { createSqliteUserQueueStore } from '../../src/storage/sqlite/sqlite-user-queue-store.js';
import { sqliteBackend, useBackend } from './backends.js';
import { USER_QUEUE_TABLES, userQueueStoreContract } from './user-queue-store.contract.js';

describe('SQLite user queue store', () => {
  userQueueStoreContract(useBackend(sqliteBackend(createSqliteUserQueueStore, USER_QUEUE_TABLES)));
});
