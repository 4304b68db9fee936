import { describe } from 'vitest';
import { createPgChatGroupStore } from '../../src/storage/postgres/pg-chat-group-store.js';
import { requirePostgres } from '../support/services.js';
import { postgresBackend, useBackend } from './backends.js';
import { CHAT_GROUP_TABLES, chatGroupStoreContract } from './chat-group-store.contract.js';

const available = await requirePostgres('test/storage/chat-group-store.postgres.test.ts');

describe.runIf(available)('PostgreSQL chat group store', () => {
  chatGroupStoreContract(useBackend(postgresBackend(createPgChatGroupStore, CHAT_GROUP_TABLES)));
});
