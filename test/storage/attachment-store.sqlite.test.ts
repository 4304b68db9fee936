import { describe } from 'vitest';
import { createSqliteAttachmentStore } from '../../src/storage/sqlite/sqlite-attachment-store.js';
import { ATTACHMENT_TABLES, attachmentStoreContract } from './attachment-store.contract.js';
import { sqliteBackend, useBackend } from './backends.js';

describe('SQLite attachment store', () => {
  attachmentStoreContract(useBackend(sqliteBackend(createSqliteAttachmentStore, ATTACHMENT_TABLES)));
});
