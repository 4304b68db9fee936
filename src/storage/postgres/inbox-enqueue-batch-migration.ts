/**
 * 8: direct messages queued in batches, one statement per batch (src/storage/postgres/pg-inbox-store.ts).
 * A row per recipient whose row lock serializes the enqueues for it from every node, instead of
 * advisory locks in a transaction of eight round trips; SQLite's version 8 is empty (one writer).
 */
/** inbox_enqueue_batch's parameters and result; version 10 replaces its body, not these. */
export const INBOX_ENQUEUE_BATCH_SIGNATURE = `inbox_enqueue_batch(
    recipients text[], senders text[], addresses text[], enc_pubs text[], bodies text[], signatures text[],
    sent_ats double precision[], expiries double precision[], replay_keys text[], replay_expiries double precision[],
    total_caps bigint[], sender_caps bigint[], address_caps bigint[], now_ double precision
  ) RETURNS TABLE (outcome text, result_id bigint, result_timestamp double precision) LANGUAGE plpgsql AS $$`;

/** Its first steps: every lock taken, the ids drawn, the replay keys claimed. */
export const INBOX_ENQUEUE_BATCH_CLAIMS = `    -- Every lock in one global order, recipients then replay keys, each sorted bytewise: batches
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
        WHERE s.expires_at <= now_;`;

/** In its loop: a message whose replay key another message holds is answered as that one's duplicate. */
export const INBOX_ENQUEUE_BATCH_DUPLICATE = `      SELECT s.message_id, s."timestamp" INTO receipt FROM send_receipts AS s WHERE s.replay_key = replay_keys[i];
      claimed := FOUND;
      IF claimed AND receipt.message_id <> ids[i] THEN
        outcome := 'duplicate'; result_id := receipt.message_id; result_timestamp := receipt."timestamp";
        RETURN NEXT;
        CONTINUE;
      END IF;`;

export const INBOX_ENQUEUE_BATCH_MIGRATION = `
  CREATE TABLE inbox_recipient_locks (recipient text PRIMARY KEY);

  -- One result row per message, in order: outcome 'queued' (with the new id and the message's
  -- timestamp), 'duplicate' (the original's id and timestamp) or the cap that refused it
  -- ('recipient', 'sender', 'address'; the same checks, in the same order, as capReached).
  CREATE FUNCTION ${INBOX_ENQUEUE_BATCH_SIGNATURE}
  DECLARE
    ids bigint[];
    receipt record;
    claimed boolean;
    counts record;
  BEGIN
${INBOX_ENQUEUE_BATCH_CLAIMS}

    FOR i IN 1 .. cardinality(recipients) LOOP
${INBOX_ENQUEUE_BATCH_DUPLICATE}
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
  `;
