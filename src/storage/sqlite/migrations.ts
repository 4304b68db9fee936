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
];
