import type { QueuedMessage } from '../features/relay/index.js';

/** A row of inbox_messages as both SQL drivers select it (the sender column is `from` on the wire). */
export interface InboxRow {
  id: number;
  recipient: string;
  sender: string;
  enc_pub: string;
  message: string;
  signature: string;
  timestamp: number;
}

const toMessage = (r: InboxRow): QueuedMessage => ({
  id: r.id,
  recipient: r.recipient,
  from: r.sender,
  enc_pub: r.enc_pub,
  message: r.message,
  signature: r.signature,
  timestamp: r.timestamp,
});

/** Wire messages in queue order (RETURNING guarantees no order). */
export const oldestFirst = (rows: InboxRow[]): QueuedMessage[] => rows.sort((a, b) => a.id - b.id).map(toMessage);
