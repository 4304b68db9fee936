import { describe } from 'vitest';
import { createSqliteChatGroupStore } from '../../src/storage/sqlite/sqlite-chat-group-store.js';
import { sqliteBackend, useBackend } from './backends.js';
import { CHAT_GROUP_TABLES, chatGroupStoreContract } from './chat-group-store.contract.js';

describe('SQLite chat group store', () => {
  chatGroupStoreContract(useBackend(sqliteBackend(createSqliteChatGroupStore, CHAT_GROUP_TABLES)));
});
