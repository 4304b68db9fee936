import { describe } from 'vitest';
import { createPgAnalyticsStore } from '../../src/storage/postgres/pg-analytics-store.js';
import { requirePostgres } from '../support/services.js';
import { postgresBackend, useBackend } from './backends.js';
import { ANALYTICS_TABLES, analyticsStoreContract } from './analytics-store.contract.js';

const available = await requirePostgres('test/storage/analytics-store.postgres.test.ts');

describe.runIf(available)('PostgreSQL analytics store', () => {
  analyticsStoreContract(useBackend(postgresBackend(createPgAnalyticsStore, ANALYTICS_TABLES)));
});
