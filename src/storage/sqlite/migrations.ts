/** Schema versions, applied in order once each; never edit a released one, add the next. */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE inbox_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient   TEXT NOT NULL,
    sender      TEXT NOT NULL,
    enc_pub     TEXT NOT NULL,
    message     TEXT NOT NULL,
    signature   TEXT NOT NULL,
    timestamp   REAL NOT NULL,
    expires_at  REAL,
    lease_until REAL
  );
  CREATE INDEX inbox_by_recipient ON inbox_messages (recipient, id);
  CREATE INDEX inbox_by_expiry ON inbox_messages (expires_at) WHERE expires_at IS NOT NULL;

  CREATE TABLE send_receipts (
    replay_key TEXT PRIMARY KEY,
    message_id INTEGER NOT NULL,
    timestamp  REAL NOT NULL,
    expires_at REAL NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX receipts_by_expiry ON send_receipts (expires_at);

  CREATE TABLE attachments (
    att_id     TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    sender     TEXT NOT NULL,
    enc_pub    TEXT NOT NULL,
    name       TEXT,
    size       INTEGER NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL,
    PRIMARY KEY (att_id, recipient)
  ) WITHOUT ROWID;
  CREATE INDEX attachments_by_expiry ON attachments (expires_at) WHERE expires_at IS NOT NULL;
  `,
  // 2: groups. Every child table cascades from groups(id), so deleting a group is one DELETE.
  `
  CREATE TABLE groups (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    owner_id             TEXT NOT NULL,
    is_public            INTEGER NOT NULL DEFAULT 0,
    invite_code          TEXT NOT NULL UNIQUE,
    key_version          INTEGER NOT NULL DEFAULT 1,
    server_distribute    INTEGER NOT NULL DEFAULT 0,
    server_store_history INTEGER NOT NULL DEFAULT 0,
    created_at           REAL NOT NULL
  );
  CREATE INDEX groups_public_by_created ON groups (created_at) WHERE is_public = 1;

  CREATE TABLE channels (
    id          TEXT PRIMARY KEY,
    group_id    TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL DEFAULT 'text',
    topic       TEXT,
    description TEXT,
    created_at  REAL NOT NULL,
    UNIQUE (group_id, name)
  );

  CREATE TABLE group_messages (
    id              TEXT PRIMARY KEY,
    group_id        TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    channel_id      TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    sender_id       TEXT NOT NULL,
    ciphertext      TEXT NOT NULL,
    nonce           TEXT NOT NULL,
    key_version     INTEGER NOT NULL,
    timestamp       REAL NOT NULL,
    attachment_meta TEXT
  );
  CREATE INDEX group_messages_by_channel ON group_messages (group_id, channel_id, timestamp);
  -- Without it, deleting one channel (alone or through its group) would scan every group message.
  CREATE INDEX group_messages_by_channel_id ON group_messages (channel_id);

  CREATE TABLE group_members (
    group_id  TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL,
    role      TEXT NOT NULL,
    pending   INTEGER NOT NULL DEFAULT 0,
    joined_at REAL NOT NULL,
    PRIMARY KEY (group_id, user_id)
  ) WITHOUT ROWID;
  CREATE INDEX group_members_by_user ON group_members (user_id);

  CREATE TABLE group_member_keys (
    group_id      TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL,
    key_version   INTEGER NOT NULL,
    encrypted_key TEXT NOT NULL,
    updated_at    REAL NOT NULL,
    PRIMARY KEY (group_id, user_id, key_version)
  ) WITHOUT ROWID;

  CREATE TABLE group_bans (
    group_id  TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL,
    banned_at REAL NOT NULL,
    PRIMARY KEY (group_id, user_id)
  ) WITHOUT ROWID;

  CREATE TABLE group_attachments (
    group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    att_id     TEXT NOT NULL,
    uploader   TEXT NOT NULL,
    size       INTEGER NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (group_id, att_id)
  ) WITHOUT ROWID;
  CREATE INDEX group_attachments_by_att ON group_attachments (att_id);
  `,
];
