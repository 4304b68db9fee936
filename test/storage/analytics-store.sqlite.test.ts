import { describe } from 'vitest';
import { createSqliteAnalyticsStore } from '../../src/storage/sqlite/sqlite-analytics-store.js';
import { sqliteBackend, useBackend } from './backends.js';
import { ANALYTICS_TABLES, analyticsStoreContract } from './analytics-store.contract.js';

describe('SQLite analytics store', () => {
  analyticsStoreContract(useBackend(sqliteBackend(createSqliteAnalyticsStore, ANALYTICS_TABLES)));
});
