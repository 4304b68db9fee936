/**
 * PostgreSQL schema versions, applied in order once each; never edit a released one, add the next.
 * They mirror the SQLite versions (src/storage/sqlite/migrations.ts), one for one, with the same column
 * meanings: timestamps are double precision unix seconds like SQLite's REAL, so both drivers compare
 * and return identical numbers. Ids that break ordering ties are COLLATE "C" to sort bytewise as SQLite does.
 */
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
  // 8: direct messages queued in batches, one statement per batch (src/storage/postgres/pg-inbox-store.ts).
  // A row per recipient whose row lock serializes the enqueues for it from every node, instead of
  // advisory locks in a transaction of eight round trips; SQLite's version 8 is empty (one writer).
  `
  CREATE TABLE inbox_recipient_locks (recipient text PRIMARY KEY);

  -- One result row per message, in order: outcome 'queued' (with the new id and the message's
  -- timestamp), 'duplicate' (the original's id and timestamp) or the cap that refused it
  -- ('recipient', 'sender', 'address'; the same checks, in the same order, as capReached).
  CREATE FUNCTION inbox_enqueue_batch(
    recipients text[], senders text[], addresses text[], enc_pubs text[], bodies text[], signatures text[],
    sent_ats double precision[], expiries double precision[], replay_keys text[], replay_expiries double precision[],
    total_caps bigint[], sender_caps bigint[], address_caps bigint[], now_ double precision
  ) RETURNS TABLE (outcome text, result_id bigint, result_timestamp double precision) LANGUAGE plpgsql AS $$
  DECLARE
    ids bigint[];
    receipt record;
    claimed boolean;
    counts record;
  BEGIN
    -- Every lock in one global order, recipients then replay keys, each sorted bytewise: batches
    -- on different nodes never wait for each other in a cycle. ON CONFLICT locks the row it meets
    -- even where WHERE false leaves it unchanged.
    INSERT INTO inbox_recipient_locks (recipient)
      SELECT r FROM unnest(recipients) AS u(r) GROUP BY r ORDER BY r COLLATE "C"
      ON CONFLICT (recipient) DO UPDATE SET recipient = excluded.recipient WHERE false;
    -- Numbered under those locks, so each recipient's messages are numbered in the order queued.
    ids := ARRAY(SELECT nextval(pg_get_serial_sequence('inbox_messages', 'id')) FROM generate_series(1, cardinality(recipients)));
    -- Each replay key claimed once, for its first message: a new key or an expired receipt becomes
    -- that message's receipt; a live receipt is only locked, and answers its messages as duplicates.
    INSERT INTO send_receipts AS s (replay_key, message_id, "timestamp", expires_at)
      SELECT DISTINCT ON (k.key COLLATE "C") k.key, ids[k.i], sent_ats[k.i], replay_expiries[k.i]
      FROM unnest(replay_keys) WITH ORDINALITY AS k(key, i) ORDER BY k.key COLLATE "C", k.i
      ON CONFLICT (replay_key) DO UPDATE SET message_id = excluded.message_id, "timestamp" = excluded."timestamp", expires_at = excluded.expires_at
        WHERE s.expires_at <= now_;

    FOR i IN 1 .. cardinality(recipients) LOOP
      SELECT s.message_id, s."timestamp" INTO receipt FROM send_receipts AS s WHERE s.replay_key = replay_keys[i];
      claimed := FOUND;
      IF claimed AND receipt.message_id <> ids[i] THEN
        outcome := 'duplicate'; result_id := receipt.message_id; result_timestamp := receipt."timestamp";
        RETURN NEXT;
        CONTINUE;
      END IF;
      -- Expired and leased rows count until they are gone, as in the embedded store. One scan of the
      -- recipient's rows (at most its cap) costs less than three index-only counts of them.
      SELECT count(*) AS total, count(*) FILTER (WHERE m.sender = senders[i]) AS sender,
        count(*) FILTER (WHERE m.sender_address = addresses[i]) AS address
        FROM inbox_messages AS m WHERE m.recipient = recipients[i] INTO counts;
      outcome := CASE WHEN counts.total >= total_caps[i] THEN 'recipient' WHEN counts.sender >= sender_caps[i] THEN 'sender'
        WHEN counts.address >= address_caps[i] THEN 'address' ELSE 'queued' END;
      result_id := NULL; result_timestamp := NULL;
      IF outcome = 'queued' THEN
        INSERT INTO inbox_messages (id, recipient, sender, sender_address, enc_pub, message, signature, "timestamp", expires_at)
          OVERRIDING SYSTEM VALUE
          VALUES (ids[i], recipients[i], senders[i], addresses[i], enc_pubs[i], bodies[i], signatures[i], sent_ats[i], expiries[i]);
        -- Unclaimed: an earlier message with this key was refused and gave the key up.
        IF NOT claimed THEN
          INSERT INTO send_receipts (replay_key, message_id, "timestamp", expires_at) VALUES (replay_keys[i], ids[i], sent_ats[i], replay_expiries[i]);
        END IF;
        result_id := ids[i]; result_timestamp := sent_ats[i];
      ELSIF claimed THEN
        -- A refused send leaves no receipt: resent once there is room, it is accepted.
        DELETE FROM send_receipts AS s WHERE s.replay_key = replay_keys[i];
      END IF;
      RETURN NEXT;
    END LOOP;
  END $$;
  `,
  // 9: chat events and group messages stored in batches, one statement per batch, as direct messages
  // since version 8 (src/storage/postgres/pg-user-queue-store.ts, pg-group-store.ts); SQLite's version 9 is empty.
  `
  -- One result row per event, in order: outcome 'queued' (with its new number), 'duplicate' (the
  -- stored event of that id) or the cap that refused it ('recipient', 'sender', 'address'; the same
  -- checks, in the same order, as capReached: null share caps are an event the server raised itself).
  CREATE FUNCTION user_queue_append_batch(
    recipients text[], event_ids text[], bodies text[], body_at integer[], created_ats double precision[], expiries double precision[],
    senders text[], addresses text[], total_caps bigint[], sender_caps bigint[], address_caps bigint[]
  ) RETURNS TABLE (outcome text, result_seq bigint, result_body text, result_created_at double precision, result_expires_at double precision)
  LANGUAGE plpgsql AS $$
  DECLARE
    known record;
    counts record;
  BEGIN
    -- The counter row of each recipient, locked in one global order (sorted bytewise), serializes the
    -- appends for it from every node, instead of an advisory lock in a transaction of five round trips.
    -- A new recipient's counter starts at 0: a refused event takes no number.
    INSERT INTO user_queue_counters AS c (recipient_id, last_seq)
      SELECT r, 0 FROM unnest(recipients) AS u(r) GROUP BY r ORDER BY r COLLATE "C"
      ON CONFLICT (recipient_id) DO UPDATE SET last_seq = c.last_seq WHERE false;

    FOR i IN 1 .. cardinality(recipients) LOOP
      result_seq := NULL; result_body := NULL; result_created_at := NULL; result_expires_at := NULL;
      -- Expired but unpurged events still answer their id, and still count towards the caps.
      SELECT e.seq, e.body, e.created_at, e.expires_at INTO known
        FROM user_queue_events AS e WHERE e.recipient_id = recipients[i] AND e.event_id = event_ids[i];
      IF FOUND THEN
        outcome := 'duplicate';
        result_seq := known.seq; result_body := known.body; result_created_at := known.created_at; result_expires_at := known.expires_at;
        RETURN NEXT;
        CONTINUE;
      END IF;
      SELECT count(*) AS total, count(*) FILTER (WHERE q.sender = senders[i]) AS sender,
        count(*) FILTER (WHERE q.sender_address = addresses[i]) AS address
        FROM user_queue_events AS q WHERE q.recipient_id = recipients[i] INTO counts;
      outcome := CASE WHEN counts.total >= total_caps[i] THEN 'recipient' WHEN counts.sender >= sender_caps[i] THEN 'sender'
        WHEN counts.address >= address_caps[i] THEN 'address' ELSE 'queued' END;
      IF outcome = 'queued' THEN
        UPDATE user_queue_counters AS c SET last_seq = c.last_seq + 1 WHERE c.recipient_id = recipients[i] RETURNING c.last_seq INTO result_seq;
        INSERT INTO user_queue_events (recipient_id, seq, event_id, body, created_at, expires_at, sender, sender_address)
          VALUES (recipients[i], result_seq, event_ids[i], bodies[body_at[i]], created_ats[i], expiries[i], senders[i], addresses[i]);
      END IF;
      RETURN NEXT;
    END LOOP;
  END $$;

  -- The ids of the messages stored, of those given: a message whose channel (or group) is gone is
  -- left out rather than failing the messages of other senders in its batch.
  CREATE FUNCTION group_messages_add_batch(
    ids text[], group_ids text[], channel_ids text[], sender_ids text[], ciphertexts text[], nonces text[],
    key_versions integer[], sent_ats double precision[], metas text[]
  ) RETURNS SETOF text LANGUAGE plpgsql AS $$
  BEGIN
    -- Held until the end of the statement, so neither can go between the check below and the insert.
    PERFORM 1 FROM channels WHERE id = ANY (channel_ids) ORDER BY id FOR KEY SHARE;
    -- The usage counters the triggers of version 7 will add to, locked first in the order a retention
    -- sweep takes them (groups, then keys, each sorted): batches mixing groups and senders never wait
    -- for each other in a cycle, as they could taking them row by row.
    INSERT INTO group_usage AS u (group_id)
      SELECT DISTINCT c.group_id FROM channels AS c WHERE c.id = ANY (channel_ids) ORDER BY c.group_id
      ON CONFLICT (group_id) DO UPDATE SET group_id = u.group_id WHERE false;
    INSERT INTO group_key_usage AS u (user_id)
      SELECT DISTINCT s FROM unnest(sender_ids) AS k(s) ORDER BY s
      ON CONFLICT (user_id) DO UPDATE SET user_id = u.user_id WHERE false;
    RETURN QUERY
      INSERT INTO group_messages (id, group_id, channel_id, sender_id, ciphertext, nonce, key_version, "timestamp", attachment_meta)
        SELECT m.id, m.group_id, m.channel_id, m.sender_id, m.ciphertext, m.nonce, m.key_version, m.sent_at, m.meta
        FROM unnest(ids, group_ids, channel_ids, sender_ids, ciphertexts, nonces, key_versions, sent_ats, metas)
          WITH ORDINALITY AS m (id, group_id, channel_id, sender_id, ciphertext, nonce, key_version, sent_at, meta, i)
        WHERE EXISTS (SELECT 1 FROM channels AS c WHERE c.id = m.channel_id AND c.group_id = m.group_id)
        ORDER BY m.i
      RETURNING group_messages.id;
  END $$;
  `,
];
