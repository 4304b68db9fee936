import { describe } from 'vitest';
import { createSqliteChatUserStore } from '../../src/storage/sqlite/sqlite-chat-user-store.js';
import { sqliteBackend, useBackend } from './backends.js';
import { CHAT_USER_TABLES, chatUserStoreContract } from './chat-user-store.contract.js';

describe('SQLite chat user store', () => {
  chatUserStoreContract(useBackend(sqliteBackend(createSqliteChatUserStore, CHAT_USER_TABLES)));
});
