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
  // 3: durable per-user event queues (chat-app events, private-comm pending messages) and private-comm accounts.
  `
  CREATE TABLE user_queue_counters (
    recipient_id TEXT PRIMARY KEY,
    last_seq     INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE user_queue_events (
    recipient_id TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    event_id     TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   REAL NOT NULL,
    expires_at   REAL,
    PRIMARY KEY (recipient_id, seq),
    UNIQUE (recipient_id, event_id)
  ) WITHOUT ROWID;
  CREATE INDEX user_queue_by_expiry ON user_queue_events (expires_at) WHERE expires_at IS NOT NULL;

  CREATE TABLE phone_accounts (
    id               TEXT PRIMARY KEY,
    phone_hash       TEXT NOT NULL UNIQUE,
    identity_key     BLOB NOT NULL,
    signed_prekey    BLOB NOT NULL,
    prekey_signature BLOB NOT NULL,
    created_at       REAL NOT NULL,
    last_seen        REAL
  );

  CREATE TABLE one_time_prekeys (
    user_id    TEXT NOT NULL REFERENCES phone_accounts (id) ON DELETE CASCADE,
    key_id     INTEGER NOT NULL,
    public_key BLOB NOT NULL,
    created_at REAL NOT NULL,
    used_at    REAL,
    PRIMARY KEY (user_id, key_id)
  ) WITHOUT ROWID;
  CREATE INDEX one_time_prekeys_unused ON one_time_prekeys (user_id, created_at, key_id) WHERE used_at IS NULL;
  CREATE INDEX one_time_prekeys_used ON one_time_prekeys (used_at) WHERE used_at IS NOT NULL;

  -- Nonces accepted (or issued) for /api/v1/auth/token, so each is accepted once, also across restarts.
  CREATE TABLE account_auth_nonces (
    phone_hash TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    used       INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (phone_hash, nonce)
  ) WITHOUT ROWID;
  CREATE INDEX account_auth_nonces_by_expiry ON account_auth_nonces (expires_at);
  `,
  // 4: analytics, aggregate counters only. No public key, no sender/recipient pair, no per-message row.
  `
  CREATE TABLE analytics_counters (
    day    TEXT NOT NULL,    -- YYYY-MM-DD, UTC
    hour   INTEGER NOT NULL, -- 0-23, UTC
    metric TEXT NOT NULL,
    value  INTEGER NOT NULL,
    PRIMARY KEY (day, hour, metric)
  ) WITHOUT ROWID;

  -- Users active today as HMAC-SHA256(today's key, user key), truncated; past days keep only their count.
  CREATE TABLE analytics_active_hashes (
    day  TEXT NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (day, hash)
  ) WITHOUT ROWID;
  CREATE TABLE analytics_active_days (
    day   TEXT PRIMARY KEY,
    users INTEGER NOT NULL
  ) WITHOUT ROWID;
  -- The random hash key of the current day only (kept so a restart counts the same user once).
  CREATE TABLE analytics_day_keys (
    day TEXT PRIMARY KEY,
    key BLOB NOT NULL
  ) WITHOUT ROWID;
  `,
  // Chat-app (/api) users and their groups. Rowid tables on purpose: rowid order is registration
  // order for search results and creation order for group lists, as the original's Mongo returned them.
  `
  CREATE TABLE chat_users (
    user_id      TEXT PRIMARY KEY,
    email        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    public_key   TEXT NOT NULL,
    created_at   REAL NOT NULL,
    last_seen    REAL NOT NULL,
    -- Lower-cased copies for the case-insensitive search (SQLite's lower() folds ASCII only).
    email_folded TEXT NOT NULL,
    name_folded  TEXT NOT NULL
  );

  CREATE TABLE chat_groups (
    group_id    TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    creator_id  TEXT NOT NULL,
    key_version INTEGER NOT NULL,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL
  );

  CREATE TABLE chat_group_members (
    id       INTEGER PRIMARY KEY, -- insertion order: the order of member_ids
    group_id TEXT NOT NULL REFERENCES chat_groups (group_id),
    user_id  TEXT NOT NULL,
    UNIQUE (group_id, user_id)
  );
  CREATE INDEX chat_group_members_by_user ON chat_group_members (user_id);
  `, // 6: who queued what, so one sender or one sending address cannot fill a recipient's queue
  // (fair-share caps, counted from these indexes). '' is the server itself, or a row older than this.
  `
  ALTER TABLE inbox_messages ADD COLUMN sender_address TEXT NOT NULL DEFAULT '';
  CREATE INDEX inbox_by_sender ON inbox_messages (recipient, sender);
  CREATE INDEX inbox_by_sender_address ON inbox_messages (recipient, sender_address);

  ALTER TABLE user_queue_events ADD COLUMN sender TEXT NOT NULL DEFAULT '';
  ALTER TABLE user_queue_events ADD COLUMN sender_address TEXT NOT NULL DEFAULT '';
  CREATE INDEX user_queue_by_sender ON user_queue_events (recipient_id, sender);
  CREATE INDEX user_queue_by_sender_address ON user_queue_events (recipient_id, sender_address);
  `,
  // 7: storage quotas and retention. Usage counters kept by triggers with every write and delete
  // (cascades and retention sweeps included), so a quota check reads one row instead of summing.
  // A message costs its stored text plus 256 for the row, a file its size plus 4096 for its row and
  // disk block (src/core/storage-charge.ts holds the same figures), so many tiny writes are
  // bounded by the same byte quotas as a few large ones.
  `
  CREATE TABLE group_usage (
    group_id      TEXT PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    message_bytes INTEGER NOT NULL DEFAULT 0,
    file_bytes    INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  -- Per key, over every group: a key cannot escape the per-group quota by making more groups.
  CREATE TABLE group_key_usage (
    user_id       TEXT PRIMARY KEY,
    message_bytes INTEGER NOT NULL DEFAULT 0,
    file_bytes    INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;

  INSERT INTO group_usage (group_id, message_bytes, file_bytes)
  SELECT g.id,
    (SELECT coalesce(sum(length(m.ciphertext) + coalesce(length(m.attachment_meta), 0) + 256), 0) FROM group_messages m WHERE m.group_id = g.id),
    (SELECT coalesce(sum(a.size + 4096), 0) FROM group_attachments a WHERE a.group_id = g.id)
  FROM groups g;
  INSERT INTO group_key_usage (user_id, message_bytes, file_bytes)
  SELECT user_id, sum(message_bytes), sum(file_bytes) FROM (
    SELECT sender_id AS user_id, length(ciphertext) + coalesce(length(attachment_meta), 0) + 256 AS message_bytes, 0 AS file_bytes FROM group_messages
    UNION ALL
    SELECT uploader, 0, size + 4096 FROM group_attachments
  ) GROUP BY user_id;

  CREATE TRIGGER group_messages_usage_insert AFTER INSERT ON group_messages BEGIN
    INSERT INTO group_usage (group_id, message_bytes) VALUES (NEW.group_id, length(NEW.ciphertext) + coalesce(length(NEW.attachment_meta), 0) + 256)
      ON CONFLICT (group_id) DO UPDATE SET message_bytes = message_bytes + excluded.message_bytes;
    INSERT INTO group_key_usage (user_id, message_bytes) VALUES (NEW.sender_id, length(NEW.ciphertext) + coalesce(length(NEW.attachment_meta), 0) + 256)
      ON CONFLICT (user_id) DO UPDATE SET message_bytes = message_bytes + excluded.message_bytes;
  END;
  -- Updates only: a cascade from a deleted group must not insert a usage row for it again.
  CREATE TRIGGER group_messages_usage_delete AFTER DELETE ON group_messages BEGIN
    UPDATE group_usage SET message_bytes = message_bytes - (length(OLD.ciphertext) + coalesce(length(OLD.attachment_meta), 0) + 256)
      WHERE group_id = OLD.group_id;
    UPDATE group_key_usage SET message_bytes = message_bytes - (length(OLD.ciphertext) + coalesce(length(OLD.attachment_meta), 0) + 256)
      WHERE user_id = OLD.sender_id;
  END;
  CREATE TRIGGER group_attachments_usage_insert AFTER INSERT ON group_attachments BEGIN
    INSERT INTO group_usage (group_id, file_bytes) VALUES (NEW.group_id, NEW.size + 4096)
      ON CONFLICT (group_id) DO UPDATE SET file_bytes = file_bytes + excluded.file_bytes;
    INSERT INTO group_key_usage (user_id, file_bytes) VALUES (NEW.uploader, NEW.size + 4096)
      ON CONFLICT (user_id) DO UPDATE SET file_bytes = file_bytes + excluded.file_bytes;
  END;
  CREATE TRIGGER group_attachments_usage_delete AFTER DELETE ON group_attachments BEGIN
    UPDATE group_usage SET file_bytes = file_bytes - (OLD.size + 4096) WHERE group_id = OLD.group_id;
    UPDATE group_key_usage SET file_bytes = file_bytes - (OLD.size + 4096) WHERE user_id = OLD.uploader;
  END;
  -- The same file uploaded again to the same group: charged to its latest uploader.
  CREATE TRIGGER group_attachments_usage_update AFTER UPDATE ON group_attachments BEGIN
    UPDATE group_usage SET file_bytes = file_bytes - (OLD.size + 4096) WHERE group_id = OLD.group_id;
    UPDATE group_key_usage SET file_bytes = file_bytes - (OLD.size + 4096) WHERE user_id = OLD.uploader;
    INSERT INTO group_usage (group_id, file_bytes) VALUES (NEW.group_id, NEW.size + 4096)
      ON CONFLICT (group_id) DO UPDATE SET file_bytes = file_bytes + excluded.file_bytes;
    INSERT INTO group_key_usage (user_id, file_bytes) VALUES (NEW.uploader, NEW.size + 4096)
      ON CONFLICT (user_id) DO UPDATE SET file_bytes = file_bytes + excluded.file_bytes;
  END;

  -- Direct-message attachment grants per sender (Ed25519 key), a grant charged like a group file.
  CREATE TABLE attachment_sender_usage (
    sender TEXT PRIMARY KEY,
    bytes  INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO attachment_sender_usage (sender, bytes) SELECT sender, sum(size + 4096) FROM attachments GROUP BY sender;
  CREATE TRIGGER attachments_usage_insert AFTER INSERT ON attachments BEGIN
    INSERT INTO attachment_sender_usage (sender, bytes) VALUES (NEW.sender, NEW.size + 4096)
      ON CONFLICT (sender) DO UPDATE SET bytes = bytes + excluded.bytes;
  END;
  CREATE TRIGGER attachments_usage_delete AFTER DELETE ON attachments BEGIN
    UPDATE attachment_sender_usage SET bytes = bytes - (OLD.size + 4096) WHERE sender = OLD.sender;
  END;
  CREATE TRIGGER attachments_usage_update AFTER UPDATE ON attachments BEGIN
    UPDATE attachment_sender_usage SET bytes = bytes - (OLD.size + 4096) WHERE sender = OLD.sender;
    INSERT INTO attachment_sender_usage (sender, bytes) VALUES (NEW.sender, NEW.size + 4096)
      ON CONFLICT (sender) DO UPDATE SET bytes = bytes + excluded.bytes;
  END;

  -- Retention sweeps and the expiry of join requests.
  CREATE INDEX group_messages_by_time ON group_messages (timestamp);
  CREATE INDEX group_attachments_by_created ON group_attachments (created_at);
  CREATE INDEX group_requests_by_time ON group_members (joined_at) WHERE pending = 1;
  `,
  // 8: nothing: PostgreSQL's version 8 serializes the enqueues of several nodes; the embedded server is one writer.
  '',
  // 9: nothing: PostgreSQL's version 9 batches chat events and group messages from several nodes.
  '',
  // 10: nothing: PostgreSQL's version 10 keeps queue depths on its lock rows; the embedded store counts in its own transaction.
  '',
];
