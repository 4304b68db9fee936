/**
 * PostgreSQL schema versions, applied in order once each; never edit a released one, add the next.
 * They mirror the SQLite versions (src/storage/sqlite/migrations.ts), one for one, with the same column
 * meanings: timestamps are double precision unix seconds like SQLite's REAL, so both drivers compare
 * and return identical numbers. Ids that break ordering ties are COLLATE "C" to sort bytewise as SQLite does.
 */
import { INBOX_ENQUEUE_BATCH_MIGRATION } from './inbox-enqueue-batch-migration.js';
import { QUEUE_DEPTH_MIGRATION } from './queue-depth-migration.js';
import { WRITE_BATCHES_MIGRATION } from './write-batches-migration.js';

export const POSTGRES_MIGRATIONS: readonly string[] = [
  // 1: direct messages, replay receipts, attachment grants, and the attachment bytes every node shares.
  `
  CREATE TABLE inbox_messages (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient   text NOT NULL,
    sender      text NOT NULL,
    enc_pub     text NOT NULL,
    message     text NOT NULL,
    signature   text NOT NULL,
    "timestamp" double precision NOT NULL,
    expires_at  double precision,
    lease_until double precision
  );
  CREATE INDEX inbox_by_recipient ON inbox_messages (recipient, id);
  CREATE INDEX inbox_by_expiry ON inbox_messages (expires_at) WHERE expires_at IS NOT NULL;

  CREATE TABLE send_receipts (
    replay_key  text PRIMARY KEY,
    message_id  bigint NOT NULL,
    "timestamp" double precision NOT NULL,
    expires_at  double precision NOT NULL
  );
  CREATE INDEX receipts_by_expiry ON send_receipts (expires_at);

  CREATE TABLE attachments (
    att_id     text NOT NULL,
    recipient  text NOT NULL,
    sender     text NOT NULL,
    enc_pub    text NOT NULL,
    name       text,
    size       bigint NOT NULL,
    created_at double precision NOT NULL,
    expires_at double precision,
    PRIMARY KEY (att_id, recipient)
  );
  CREATE INDEX attachments_by_expiry ON attachments (expires_at) WHERE expires_at IS NOT NULL;

  -- Content-addressed bytes per bucket (direct-message attachments, group files), in chunks so
  -- neither a write nor a read needs a whole file in one protocol message.
  CREATE TABLE blobs (
    bucket text NOT NULL,
    id     text NOT NULL,
    size   bigint NOT NULL,
    PRIMARY KEY (bucket, id)
  );
  CREATE TABLE blob_chunks (
    bucket text NOT NULL,
    id     text NOT NULL,
    seq    integer NOT NULL,
    data   bytea NOT NULL,
    PRIMARY KEY (bucket, id, seq),
    FOREIGN KEY (bucket, id) REFERENCES blobs (bucket, id) ON DELETE CASCADE
  );
  -- Ciphertext does not compress: store it out of line without trying.
  ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
  `,
  // 2: groups. Every child table cascades from groups(id), so deleting a group is one DELETE.
  `
  CREATE TABLE groups (
    id                   text COLLATE "C" PRIMARY KEY,
    name                 text NOT NULL,
    owner_id             text NOT NULL,
    is_public            boolean NOT NULL DEFAULT false,
    invite_code          text NOT NULL UNIQUE,
    key_version          integer NOT NULL DEFAULT 1,
    server_distribute    boolean NOT NULL DEFAULT false,
    server_store_history boolean NOT NULL DEFAULT false,
    created_at           double precision NOT NULL
  );
  CREATE INDEX groups_public_by_created ON groups (created_at) WHERE is_public;

  CREATE TABLE channels (
    id          text COLLATE "C" PRIMARY KEY,
    group_id    text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    name        text NOT NULL,
    type        text NOT NULL DEFAULT 'text',
    topic       text,
    description text,
    created_at  double precision NOT NULL,
    CONSTRAINT channels_name_taken UNIQUE (group_id, name)
  );

  CREATE TABLE group_messages (
    id              text COLLATE "C" PRIMARY KEY,
    group_id        text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    channel_id      text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    sender_id       text NOT NULL,
    ciphertext      text NOT NULL,
    nonce           text NOT NULL,
    key_version     integer NOT NULL,
    "timestamp"     double precision NOT NULL,
    attachment_meta text
  );
  CREATE INDEX group_messages_by_channel ON group_messages (group_id, channel_id, "timestamp");
  -- Without it, deleting one channel (alone or through its group) would scan every group message.
  CREATE INDEX group_messages_by_channel_id ON group_messages (channel_id);

  CREATE TABLE group_members (
    group_id  text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   text COLLATE "C" NOT NULL,
    role      text NOT NULL,
    pending   boolean NOT NULL DEFAULT false,
    joined_at double precision NOT NULL,
    PRIMARY KEY (group_id, user_id)
  );
  CREATE INDEX group_members_by_user ON group_members (user_id);

  CREATE TABLE group_member_keys (
    group_id      text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id       text NOT NULL,
    key_version   integer NOT NULL,
    encrypted_key text NOT NULL,
    updated_at    double precision NOT NULL,
    PRIMARY KEY (group_id, user_id, key_version)
  );

  CREATE TABLE group_bans (
    group_id  text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   text NOT NULL,
    banned_at double precision NOT NULL,
    PRIMARY KEY (group_id, user_id)
  );

  CREATE TABLE group_attachments (
    group_id   text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    att_id     text NOT NULL,
    uploader   text NOT NULL,
    size       bigint NOT NULL,
    created_at double precision NOT NULL,
    PRIMARY KEY (group_id, att_id)
  );
  CREATE INDEX group_attachments_by_att ON group_attachments (att_id);
  `,
  // 3: durable per-user event queues (chat-app events, private-comm pending messages) and private-comm accounts.
  `
  -- The counter outlives the events, so a recipient's sequence never restarts when the queue drains.
  CREATE TABLE user_queue_counters (
    recipient_id text PRIMARY KEY,
    last_seq     bigint NOT NULL
  );

  CREATE TABLE user_queue_events (
    recipient_id text NOT NULL,
    seq          bigint NOT NULL,
    event_id     text NOT NULL,
    body         text NOT NULL,
    created_at   double precision NOT NULL,
    expires_at   double precision,
    PRIMARY KEY (recipient_id, seq),
    UNIQUE (recipient_id, event_id)
  );
  CREATE INDEX user_queue_by_expiry ON user_queue_events (expires_at) WHERE expires_at IS NOT NULL;

  CREATE TABLE phone_accounts (
    id               text PRIMARY KEY,
    phone_hash       text NOT NULL UNIQUE,
    identity_key     bytea NOT NULL,
    signed_prekey    bytea NOT NULL,
    prekey_signature bytea NOT NULL,
    created_at       double precision NOT NULL,
    last_seen        double precision
  );

  -- key_id is client-chosen, up to 2^53 - 1 (the original client counts from Date.now()): bigint.
  CREATE TABLE one_time_prekeys (
    user_id    text NOT NULL REFERENCES phone_accounts (id) ON DELETE CASCADE,
    key_id     bigint NOT NULL,
    public_key bytea NOT NULL,
    created_at double precision NOT NULL,
    used_at    double precision,
    PRIMARY KEY (user_id, key_id)
  );
  CREATE INDEX one_time_prekeys_unused ON one_time_prekeys (user_id, created_at, key_id) WHERE used_at IS NULL;
  CREATE INDEX one_time_prekeys_used ON one_time_prekeys (used_at) WHERE used_at IS NOT NULL;

  -- Nonces accepted (or issued) for /api/v1/auth/token, so each is accepted once, on every node.
  CREATE TABLE account_auth_nonces (
    phone_hash text NOT NULL,
    nonce      text NOT NULL,
    used       boolean NOT NULL,
    expires_at double precision NOT NULL,
    PRIMARY KEY (phone_hash, nonce)
  );
  CREATE INDEX account_auth_nonces_by_expiry ON account_auth_nonces (expires_at);
  `,
  // 4: analytics, aggregate counters only. No public key, no sender/recipient pair, no per-message row.
  // Days are 'YYYY-MM-DD' text compared bytewise (COLLATE "C") as in SQLite.
  `
  CREATE TABLE analytics_counters (
    day    text COLLATE "C" NOT NULL, -- UTC
    hour   integer NOT NULL,          -- 0-23, UTC
    metric text NOT NULL,
    value  bigint NOT NULL,
    PRIMARY KEY (day, hour, metric)
  );

  -- Users active today as HMAC-SHA256(today's key, user key), truncated; past days keep only their count.
  CREATE TABLE analytics_active_hashes (
    day  text COLLATE "C" NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (day, hash)
  );
  CREATE TABLE analytics_active_days (
    day   text COLLATE "C" PRIMARY KEY,
    users bigint NOT NULL
  );
  -- The random hash key of the current day only, shared by every node so each counts a user the same way.
  CREATE TABLE analytics_day_keys (
    day text COLLATE "C" PRIMARY KEY,
    key bytea NOT NULL
  );
  `,
  // 5: chat-app (/api) users and their groups. The identity columns stand for SQLite's rowid order:
  // registration order for search results, creation order for group lists, joining order for members.
  `
  CREATE TABLE chat_users (
    user_id      text PRIMARY KEY,
    seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    email        text NOT NULL,
    display_name text NOT NULL,
    public_key   text NOT NULL,
    created_at   double precision NOT NULL,
    last_seen    double precision NOT NULL,
    -- Lower-cased by the server (JavaScript's toLowerCase), so the search folds case the same way
    -- whatever the database's LC_CTYPE, and the same way as the embedded driver.
    email_folded text NOT NULL,
    name_folded  text NOT NULL
  );

  CREATE TABLE chat_groups (
    group_id    text PRIMARY KEY,
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    name        text NOT NULL,
    creator_id  text NOT NULL,
    key_version bigint NOT NULL,
    created_at  double precision NOT NULL,
    updated_at  double precision NOT NULL
  );

  CREATE TABLE chat_group_members (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- insertion order: the order of member_ids
    group_id text NOT NULL REFERENCES chat_groups (group_id),
    user_id  text NOT NULL,
    UNIQUE (group_id, user_id)
  );
  CREATE INDEX chat_group_members_by_user ON chat_group_members (user_id);
  `, // 6: who queued what, so one sender or one sending address cannot fill a recipient's queue
  // (fair-share caps, counted from these indexes). '' is the server itself, or a row older than this.
  `
  ALTER TABLE inbox_messages ADD COLUMN sender_address text NOT NULL DEFAULT '';
  CREATE INDEX inbox_by_sender ON inbox_messages (recipient, sender);
  CREATE INDEX inbox_by_sender_address ON inbox_messages (recipient, sender_address);

  ALTER TABLE user_queue_events ADD COLUMN sender text NOT NULL DEFAULT '';
  ALTER TABLE user_queue_events ADD COLUMN sender_address text NOT NULL DEFAULT '';
  CREATE INDEX user_queue_by_sender ON user_queue_events (recipient_id, sender);
  CREATE INDEX user_queue_by_sender_address ON user_queue_events (recipient_id, sender_address);
  `,
  // 7: storage quotas and retention: usage counters kept by triggers with every write and delete
  // (cascades and retention sweeps included). Same costs as SQLite's version 7: a message is its
  // stored text plus 256, a file (or a direct-message attachment grant) its size plus 4096. Trigger names are lower case so they run after
  // the foreign-key checks ("RI_…"), which refuse a write to a group being deleted first.
  `
  CREATE TABLE group_usage (
    group_id      text PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    message_bytes bigint NOT NULL DEFAULT 0,
    file_bytes    bigint NOT NULL DEFAULT 0
  );
  CREATE TABLE group_key_usage (
    user_id       text PRIMARY KEY,
    message_bytes bigint NOT NULL DEFAULT 0,
    file_bytes    bigint NOT NULL DEFAULT 0
  );

  CREATE FUNCTION group_message_cost(m group_messages) RETURNS bigint IMMUTABLE LANGUAGE sql
    AS 'SELECT length(m.ciphertext) + coalesce(length(m.attachment_meta), 0) + 256';
  CREATE FUNCTION group_file_cost(a group_attachments) RETURNS bigint IMMUTABLE LANGUAGE sql
    AS 'SELECT a.size + 4096';

  INSERT INTO group_usage (group_id, message_bytes, file_bytes)
  SELECT g.id,
    (SELECT coalesce(sum(group_message_cost(m)), 0) FROM group_messages m WHERE m.group_id = g.id),
    (SELECT coalesce(sum(group_file_cost(a)), 0) FROM group_attachments a WHERE a.group_id = g.id)
  FROM groups g;
  INSERT INTO group_key_usage (user_id, message_bytes, file_bytes)
  SELECT user_id, sum(message_bytes), sum(file_bytes) FROM (
    SELECT sender_id AS user_id, group_message_cost(m) AS message_bytes, 0 AS file_bytes FROM group_messages m
    UNION ALL
    SELECT uploader, 0, group_file_cost(a) FROM group_attachments a
  ) charged GROUP BY user_id;

  -- Adds (sign 1) or takes back (sign -1) one row's cost; taking back only updates, so a cascade
  -- from a deleted group never inserts a usage row for it again.
  CREATE FUNCTION charge_group_usage(group_id_ text, user_id_ text, message_delta bigint, file_delta bigint, sign integer) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    IF sign > 0 THEN
      INSERT INTO group_usage AS u (group_id, message_bytes, file_bytes) VALUES (group_id_, message_delta, file_delta)
        ON CONFLICT (group_id) DO UPDATE SET message_bytes = u.message_bytes + message_delta, file_bytes = u.file_bytes + file_delta;
      INSERT INTO group_key_usage AS u (user_id, message_bytes, file_bytes) VALUES (user_id_, message_delta, file_delta)
        ON CONFLICT (user_id) DO UPDATE SET message_bytes = u.message_bytes + message_delta, file_bytes = u.file_bytes + file_delta;
    ELSE
      UPDATE group_usage SET message_bytes = message_bytes - message_delta, file_bytes = file_bytes - file_delta WHERE group_id = group_id_;
      UPDATE group_key_usage SET message_bytes = message_bytes - message_delta, file_bytes = file_bytes - file_delta WHERE user_id = user_id_;
    END IF;
  END $$;

  CREATE FUNCTION group_messages_usage() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      PERFORM charge_group_usage(NEW.group_id, NEW.sender_id, group_message_cost(NEW), 0, 1);
    ELSE
      PERFORM charge_group_usage(OLD.group_id, OLD.sender_id, group_message_cost(OLD), 0, -1);
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER group_messages_usage AFTER INSERT OR DELETE ON group_messages FOR EACH ROW EXECUTE FUNCTION group_messages_usage();

  -- An update is the same file uploaded again to the same group: charged to its latest uploader.
  CREATE FUNCTION group_attachments_usage() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      PERFORM charge_group_usage(OLD.group_id, OLD.uploader, 0, group_file_cost(OLD), -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
      PERFORM charge_group_usage(NEW.group_id, NEW.uploader, 0, group_file_cost(NEW), 1);
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER group_attachments_usage AFTER INSERT OR UPDATE OR DELETE ON group_attachments FOR EACH ROW EXECUTE FUNCTION group_attachments_usage();

  -- Direct-message attachment grants per sender (Ed25519 key), a grant charged like a group file.
  CREATE TABLE attachment_sender_usage (
    sender text PRIMARY KEY,
    bytes  bigint NOT NULL
  );
  INSERT INTO attachment_sender_usage (sender, bytes) SELECT sender, sum(size + 4096) FROM attachments GROUP BY sender;
  CREATE FUNCTION attachments_usage() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      UPDATE attachment_sender_usage SET bytes = bytes - (OLD.size + 4096) WHERE sender = OLD.sender;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
      INSERT INTO attachment_sender_usage AS u (sender, bytes) VALUES (NEW.sender, NEW.size + 4096)
        ON CONFLICT (sender) DO UPDATE SET bytes = u.bytes + excluded.bytes;
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER attachments_usage AFTER INSERT OR UPDATE OR DELETE ON attachments FOR EACH ROW EXECUTE FUNCTION attachments_usage();

  -- Retention sweeps and the expiry of join requests.
  CREATE INDEX group_messages_by_time ON group_messages ("timestamp");
  CREATE INDEX group_attachments_by_created ON group_attachments (created_at);
  CREATE INDEX group_requests_by_time ON group_members (joined_at) WHERE pending;
  `,
  // 8: direct messages queued in batches (inbox-enqueue-batch-migration.ts).
  INBOX_ENQUEUE_BATCH_MIGRATION,
  // 9: chat events and group messages stored in batches (write-batches-migration.ts).
  WRITE_BATCHES_MIGRATION,
  // 10: each queue's depth on its lock row, for the cap checks (queue-depth-migration.ts).
  QUEUE_DEPTH_MIGRATION,
];
