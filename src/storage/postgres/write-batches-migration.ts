/**
 * 9: chat events and group messages stored in batches, one statement per batch, as direct messages
 * since version 8 (src/storage/postgres/pg-user-queue-store.ts, pg-group-store.ts); SQLite's version 9 is empty.
 */
/** user_queue_append_batch's parameters and result; version 10 replaces its body, not these. */
export const USER_QUEUE_APPEND_BATCH_SIGNATURE = `user_queue_append_batch(
    recipients text[], event_ids text[], bodies text[], body_at integer[], created_ats double precision[], expiries double precision[],
    senders text[], addresses text[], total_caps bigint[], sender_caps bigint[], address_caps bigint[]
  ) RETURNS TABLE (outcome text, result_seq bigint, result_body text, result_created_at double precision, result_expires_at double precision)
  LANGUAGE plpgsql AS $$`;

/** Its first step: the counter rows locked. */
export const USER_QUEUE_APPEND_BATCH_COUNTERS = `    -- The counter row of each recipient, locked in one global order (sorted bytewise), serializes the
    -- appends for it from every node, instead of an advisory lock in a transaction of five round trips.
    -- A new recipient's counter starts at 0: a refused event takes no number.
    INSERT INTO user_queue_counters AS c (recipient_id, last_seq)
      SELECT r, 0 FROM unnest(recipients) AS u(r) GROUP BY r ORDER BY r COLLATE "C"
      ON CONFLICT (recipient_id) DO UPDATE SET last_seq = c.last_seq WHERE false;`;

/** In its loop: an event id the recipient's queue holds is answered with the stored event. */
export const USER_QUEUE_APPEND_BATCH_DUPLICATE = `      result_seq := NULL; result_body := NULL; result_created_at := NULL; result_expires_at := NULL;
      -- Expired but unpurged events still answer their id, and still count towards the caps.
      SELECT e.seq, e.body, e.created_at, e.expires_at INTO known
        FROM user_queue_events AS e WHERE e.recipient_id = recipients[i] AND e.event_id = event_ids[i];
      IF FOUND THEN
        outcome := 'duplicate';
        result_seq := known.seq; result_body := known.body; result_created_at := known.created_at; result_expires_at := known.expires_at;
        RETURN NEXT;
        CONTINUE;
      END IF;`;

/** The end of its loop: a queued event stored under the number it drew. */
export const USER_QUEUE_APPEND_BATCH_INSERT = `        INSERT INTO user_queue_events (recipient_id, seq, event_id, body, created_at, expires_at, sender, sender_address)
          VALUES (recipients[i], result_seq, event_ids[i], bodies[body_at[i]], created_ats[i], expiries[i], senders[i], addresses[i]);
      END IF;
      RETURN NEXT;
    END LOOP;
  END $$;`;

export const WRITE_BATCHES_MIGRATION = `
  -- One result row per event, in order: outcome 'queued' (with its new number), 'duplicate' (the
  -- stored event of that id) or the cap that refused it ('recipient', 'sender', 'address'; the same
  -- checks, in the same order, as capReached: null share caps are an event the server raised itself).
  CREATE FUNCTION ${USER_QUEUE_APPEND_BATCH_SIGNATURE}
  DECLARE
    known record;
    counts record;
  BEGIN
${USER_QUEUE_APPEND_BATCH_COUNTERS}

    FOR i IN 1 .. cardinality(recipients) LOOP
${USER_QUEUE_APPEND_BATCH_DUPLICATE}
      SELECT count(*) AS total, count(*) FILTER (WHERE q.sender = senders[i]) AS sender,
        count(*) FILTER (WHERE q.sender_address = addresses[i]) AS address
        FROM user_queue_events AS q WHERE q.recipient_id = recipients[i] INTO counts;
      outcome := CASE WHEN counts.total >= total_caps[i] THEN 'recipient' WHEN counts.sender >= sender_caps[i] THEN 'sender'
        WHEN counts.address >= address_caps[i] THEN 'address' ELSE 'queued' END;
      IF outcome = 'queued' THEN
        UPDATE user_queue_counters AS c SET last_seq = c.last_seq + 1 WHERE c.recipient_id = recipients[i] RETURNING c.last_seq INTO result_seq;
${USER_QUEUE_APPEND_BATCH_INSERT}

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
  `;
