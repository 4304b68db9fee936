import { describe } from 'vitest';
import { createPgChatUserStore } from '../../src/storage/postgres/pg-chat-user-store.js';
import { requirePostgres } from '../support/services.js';
import { postgresBackend, useBackend } from './backends.js';
import { CHAT_USER_TABLES, chatUserStoreContract } from './chat-user-store.contract.js';

const available = await requirePostgres('test/storage/chat-user-store.postgres.test.ts');

describe.runIf(available)('PostgreSQL chat user store', () => {
  chatUserStoreContract(useBackend(postgresBackend(createPgChatUserStore, CHAT_USER_TABLES)));
});
