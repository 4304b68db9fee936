import { describe } from 'vitest';
import { createPgAttachmentStore } from '../../src/storage/postgres/pg-attachment-store.js';
import { requirePostgres } from '../support/services.js';
import { ATTACHMENT_TABLES, attachmentStoreContract } from './attachment-store.contract.js';
import { postgresBackend, useBackend } from './backends.js';

const available = await requirePostgres('test/storage/attachment-store.postgres.test.ts');

describe.runIf(available)('PostgreSQL attachment store', () => {
  attachmentStoreContract(useBackend(postgresBackend(createPgAttachmentStore, ATTACHMENT_TABLES)));
});
