import { describe } from 'vitest';
import { createPgGroupStore } from '../../src/storage/postgres/pg-group-store.js';
import { requirePostgres } from '../support/services.js';
import { postgresBackend, useBackend } from './backends.js';
import { GROUP_TABLES, groupStoreContract } from './group-store.contract.js';
import { groupStoreQuotasContract } from './group-store-quotas.contract.js';

const available = await requirePostgres('test/storage/group-store.postgres.test.ts');

describe.runIf(available)('PostgreSQL group store', () => {
  groupStoreContract(useBackend(postgresBackend(createPgGroupStore, GROUP_TABLES)));
  groupStoreQuotasContract(useBackend(postgresBackend(createPgGroupStore, GROUP_TABLES)));
});
