import { describe } from 'vitest';
import { createPgAccountStore } from '../../src/storage/postgres/pg-account-store.js';
import { requirePostgres } from '../support/services.js';
import { postgresBackend, useBackend } from './backends.js';
import { ACCOUNT_TABLES, accountStoreContract } from './account-store.contract.js';

const available = await requirePostgres('test/storage/account-store.postgres.test.ts');

describe.runIf(available)('PostgreSQL account store', () => {
  accountStoreContract(useBackend(postgresBackend(createPgAccountStore, ACCOUNT_TABLES)));
});
