import { describe } from 'vitest';
import { createSqliteInboxStore } from '../../src/storage/sqlite/sqlite-inbox-store.js';
import { sqliteBackend, useBackend } from './backends.js';
import { INBOX_TABLES, inboxStoreContract } from './inbox-store.contract.js';

describe('SQLite inbox store', () => {
  inboxStoreContract(useBackend(sqliteBackend(createSqliteInboxStore, INBOX_TABLES)));
});
