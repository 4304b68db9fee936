/**
 * 10: each queue's depth kept on the row that already serializes its writers, so a cap check reads
 * one row instead of counting the recipient's queue. A queue that many readers acknowledge keeps
 * dead rows in its index range until vacuum; counting them on every append made a group event's 19
 * copies cost PostgreSQL milliseconds. The shares (per sender, per address) are still counted, but
 * only once the depth reaches the smaller share cap: below it no share can be full.
 * Also: the batched acknowledgement and lease as functions that never scan a queue table whole
 * (below). SQLite's version 10 is empty (the embedded store counts in the same transaction, one writer).
 */
import { INBOX_ENQUEUE_BATCH_CLAIMS, INBOX_ENQUEUE_BATCH_DUPLICATE, INBOX_ENQUEUE_BATCH_SIGNATURE } from './inbox-enqueue-batch-migration.js';
import {
  USER_QUEUE_APPEND_BATCH_COUNTERS,
  USER_QUEUE_APPEND_BATCH_DUPLICATE,
  USER_QUEUE_APPEND_BATCH_INSERT,
  USER_QUEUE_APPEND_BATCH_SIGNATURE,
} from './write-batches-migration.js';

/**
 * A trigger that lowers the depth on `depths` by what each delete statement on `queue` removed,
 * once per recipient per statement. The rows are updated in the order the appends lock them (sorted
 * bytewise), so deletes and batches never wait for each other in a cycle.
 */
const depthDown = (name: string, queue: string, depths: string, key: string) => `
  CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    g record;
  BEGIN
    FOR g IN SELECT ${key} AS k, count(*) AS n FROM gone GROUP BY ${key} ORDER BY ${key} COLLATE "C" LOOP
      UPDATE ${depths} SET queued = queued - g.n WHERE ${key} = g.k;
    END LOOP;
    RETURN NULL;
  END $$;
  CREATE TRIGGER ${name} AFTER DELETE ON ${queue} REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION ${name}();`;

export const QUEUE_DEPTH_MIGRATION = `
  ALTER TABLE inbox_recipient_locks ADD COLUMN queued bigint NOT NULL DEFAULT 0;
  INSERT INTO inbox_recipient_locks AS l (recipient, queued)
    SELECT recipient, count(*) FROM inbox_messages GROUP BY recipient
    ON CONFLICT (recipient) DO UPDATE SET queued = excluded.queued;
  ALTER TABLE user_queue_counters ADD COLUMN queued bigint NOT NULL DEFAULT 0;
  UPDATE user_queue_counters AS c SET queued = q.n
    FROM (SELECT recipient_id, count(*) AS n FROM user_queue_events GROUP BY recipient_id) AS q WHERE c.recipient_id = q.recipient_id;

  -- Every delete (delivery, acknowledgement, expiry, cascade) lowers the depth.
${depthDown('inbox_depth_down', 'inbox_messages', 'inbox_recipient_locks', 'recipient')}
${depthDown('user_queue_depth_down', 'user_queue_events', 'user_queue_counters', 'recipient_id')}

  CREATE OR REPLACE FUNCTION ${INBOX_ENQUEUE_BATCH_SIGNATURE}
  DECLARE
    ids bigint[];
    receipt record;
    claimed boolean;
    depth bigint;
    counts record;
  BEGIN
${INBOX_ENQUEUE_BATCH_CLAIMS}

    FOR i IN 1 .. cardinality(recipients) LOOP
${INBOX_ENQUEUE_BATCH_DUPLICATE}
      -- Expired and leased rows count until they are gone, as in the embedded store.
      SELECT l.queued INTO depth FROM inbox_recipient_locks AS l WHERE l.recipient = recipients[i];
      outcome := CASE WHEN depth >= total_caps[i] THEN 'recipient' ELSE 'queued' END;
      IF outcome = 'queued' AND depth >= LEAST(sender_caps[i], address_caps[i]) THEN
        SELECT count(*) FILTER (WHERE m.sender = senders[i]) AS sender, count(*) FILTER (WHERE m.sender_address = addresses[i]) AS address
          FROM inbox_messages AS m WHERE m.recipient = recipients[i] INTO counts;
        outcome := CASE WHEN counts.sender >= sender_caps[i] THEN 'sender' WHEN counts.address >= address_caps[i] THEN 'address' ELSE 'queued' END;
      END IF;
      result_id := NULL; result_timestamp := NULL;
      IF outcome = 'queued' THEN
        INSERT INTO inbox_messages (id, recipient, sender, sender_address, enc_pub, message, signature, "timestamp", expires_at)
          OVERRIDING SYSTEM VALUE
          VALUES (ids[i], recipients[i], senders[i], addresses[i], enc_pubs[i], bodies[i], signatures[i], sent_ats[i], expiries[i]);
        UPDATE inbox_recipient_locks AS l SET queued = l.queued + 1 WHERE l.recipient = recipients[i];
        IF NOT claimed THEN
          INSERT INTO send_receipts (replay_key, message_id, "timestamp", expires_at) VALUES (replay_keys[i], ids[i], sent_ats[i], replay_expiries[i]);
        END IF;
        result_id := ids[i]; result_timestamp := sent_ats[i];
      ELSIF claimed THEN
        DELETE FROM send_receipts AS s WHERE s.replay_key = replay_keys[i];
      END IF;
      RETURN NEXT;
    END LOOP;
  END $$;

  CREATE OR REPLACE FUNCTION ${USER_QUEUE_APPEND_BATCH_SIGNATURE}
  DECLARE
    known record;
    depth bigint;
    counts record;
  BEGIN
${USER_QUEUE_APPEND_BATCH_COUNTERS}

    FOR i IN 1 .. cardinality(recipients) LOOP
${USER_QUEUE_APPEND_BATCH_DUPLICATE}
      SELECT c.queued INTO depth FROM user_queue_counters AS c WHERE c.recipient_id = recipients[i];
      outcome := CASE WHEN depth >= total_caps[i] THEN 'recipient' ELSE 'queued' END;
      -- Null share caps (an event the server raised) pass: LEAST of two nulls is null.
      IF outcome = 'queued' AND depth >= LEAST(sender_caps[i], address_caps[i]) THEN
        SELECT count(*) FILTER (WHERE q.sender = senders[i]) AS sender, count(*) FILTER (WHERE q.sender_address = addresses[i]) AS address
          FROM user_queue_events AS q WHERE q.recipient_id = recipients[i] INTO counts;
        outcome := CASE WHEN counts.sender >= sender_caps[i] THEN 'sender' WHEN counts.address >= address_caps[i] THEN 'address' ELSE 'queued' END;
      END IF;
      IF outcome = 'queued' THEN
        UPDATE user_queue_counters AS c SET last_seq = c.last_seq + 1, queued = c.queued + 1 WHERE c.recipient_id = recipients[i]
          RETURNING c.last_seq INTO result_seq;
${USER_QUEUE_APPEND_BATCH_INSERT}

  -- A batch of acknowledgements or leases is a join of a few given keys with a queue table. Queue
  -- tables hold few live rows and, between vacuums, many dead ones: the planner sees a small table
  -- and joins it by a full scan, which reads every dead row. Inside these two the index is the way.
  -- PL/pgSQL, not SQL: a SQL function with a SET clause is planned again on every call.
  CREATE FUNCTION user_queue_ack_batch(recipients text[], event_ids text[]) RETURNS SETOF bigint
  LANGUAGE plpgsql SET enable_seqscan = off AS $$
  BEGIN
    RETURN QUERY DELETE FROM user_queue_events AS e USING (
      SELECT DISTINCT ON (u.recipient_id, u.event_id) * FROM unnest(recipients, event_ids) WITH ORDINALITY AS u (recipient_id, event_id, call)
      ORDER BY u.recipient_id, u.event_id, u.call) AS a
    WHERE e.recipient_id = a.recipient_id AND e.event_id = a.event_id RETURNING a.call;
  END $$;

  -- The given (id, recipient) pairs that are ready, leased until lease_until_; a row another
  -- statement holds is skipped, as in every lease.
  CREATE FUNCTION inbox_lease_ids(ids bigint[], recipients text[], lease_until_ double precision, now_ double precision) RETURNS SETOF inbox_messages
  LANGUAGE plpgsql SET enable_seqscan = off AS $$
  BEGIN
    RETURN QUERY UPDATE inbox_messages AS m SET lease_until = lease_until_ WHERE m.id IN (
      SELECT q.id FROM inbox_messages AS q JOIN unnest(ids, recipients) AS w (id, recipient) ON q.id = w.id AND q.recipient = w.recipient
      WHERE (q.lease_until IS NULL OR q.lease_until <= now_) AND (q.expires_at IS NULL OR q.expires_at > now_) FOR UPDATE OF q SKIP LOCKED)
    RETURNING m.*;
  END $$;
  
  -- A group message's cost charged once per group and per sender per statement (one batch of a turn),
  -- not once per row: a batch of sends to one group updated its usage row once for every message.
  -- The batch has locked these rows already, in the sweep's order; a delete only takes back (a
  -- cascade from a deleted group never inserts its usage row again).
  DROP TRIGGER group_messages_usage ON group_messages;
  CREATE FUNCTION group_messages_charged() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO group_usage AS u (group_id, message_bytes)
      SELECT n.group_id, sum(group_message_cost(n)) FROM added AS n GROUP BY n.group_id ORDER BY n.group_id
      ON CONFLICT (group_id) DO UPDATE SET message_bytes = u.message_bytes + excluded.message_bytes;
    INSERT INTO group_key_usage AS u (user_id, message_bytes)
      SELECT n.sender_id, sum(group_message_cost(n)) FROM added AS n GROUP BY n.sender_id ORDER BY n.sender_id
      ON CONFLICT (user_id) DO UPDATE SET message_bytes = u.message_bytes + excluded.message_bytes;
    RETURN NULL;
  END $$;
  CREATE TRIGGER group_messages_charged AFTER INSERT ON group_messages REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION group_messages_charged();
  CREATE FUNCTION group_messages_refunded() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    g record;
  BEGIN
    FOR g IN SELECT o.group_id AS k, sum(group_message_cost(o)) AS n FROM gone AS o GROUP BY o.group_id ORDER BY o.group_id LOOP
      UPDATE group_usage SET message_bytes = message_bytes - g.n WHERE group_id = g.k;
    END LOOP;
    FOR g IN SELECT o.sender_id AS k, sum(group_message_cost(o)) AS n FROM gone AS o GROUP BY o.sender_id ORDER BY o.sender_id LOOP
      UPDATE group_key_usage SET message_bytes = message_bytes - g.n WHERE user_id = g.k;
    END LOOP;
    RETURN NULL;
  END $$;
  CREATE TRIGGER group_messages_refunded AFTER DELETE ON group_messages REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION group_messages_refunded();
  `;
