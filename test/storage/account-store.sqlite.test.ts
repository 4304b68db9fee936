import { describe } from 'vitest';
import { createSqliteAccountStore } from '../../src/storage/sqlite/sqlite-account-store.js';
import { sqliteBackend, useBackend } from './backends.js';
import { ACCOUNT_TABLES, accountStoreContract } from './account-store.contract.js';

describe('SQLite account store', () => {
  accountStoreContract(useBackend(sqliteBackend(createSqliteAccountStore, ACCOUNT_TABLES)));
});
