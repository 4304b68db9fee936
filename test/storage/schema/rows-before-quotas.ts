/**
 * Rows a database held before schema version 7 (storage quotas), in SQL both drivers run, and the
 * usage counters version 7 must derive from them (messages: text + 256, files and grants: size + 4096).
 */
export const ROWS_BEFORE_QUOTAS = `
  INSERT INTO groups (id, name, owner_id, invite_code, created_at) VALUES ('g1', 'g', 'alice', 'invite', 1);
  INSERT INTO channels (id, group_id, name, created_at) VALUES ('c1', 'g1', 'general', 1);
  INSERT INTO group_messages (id, group_id, channel_id, sender_id, ciphertext, nonce, key_version, "timestamp", attachment_meta)
    VALUES ('m1', 'g1', 'c1', 'alice', 'abcd', 'n', 1, 1, NULL), ('m2', 'g1', 'c1', 'bob', 'abcdef', 'n', 1, 2, '{}');
  INSERT INTO group_attachments (group_id, att_id, uploader, size, created_at) VALUES ('g1', 'a1', 'bob', 100, 1);
  INSERT INTO attachments (att_id, recipient, sender, enc_pub, size, created_at) VALUES ('a1', 'r', 'sam', 'e', 100, 1);
`;

export const USAGE_AFTER_QUOTAS = {
  group_usage: [{ group_id: 'g1', message_bytes: 4 + 256 + 8 + 256, file_bytes: 4196 }],
  group_key_usage: [
    { user_id: 'alice', message_bytes: 260, file_bytes: 0 },
    { user_id: 'bob', message_bytes: 264, file_bytes: 4196 },
  ],
  attachment_sender_usage: [{ sender: 'sam', bytes: 4196 }],
};

export const USAGE_QUERIES = {
  group_usage: 'SELECT group_id, message_bytes, file_bytes FROM group_usage ORDER BY group_id',
  group_key_usage: 'SELECT user_id, message_bytes, file_bytes FROM group_key_usage ORDER BY user_id',
  attachment_sender_usage: 'SELECT sender, bytes FROM attachment_sender_usage ORDER BY sender',
};
