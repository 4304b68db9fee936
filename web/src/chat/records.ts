import type { FileEnvelope, SendBody, UploadBody } from 'whispr-sdk';

export interface Contact {
  /** Random: the record's key in IndexedDB, which is stored in clear, so it must not be the address. */
  id: string;
  /** The contact's X25519 public key in hex: where messages go. */
  address: string;
  /** A local label; empty for someone who wrote first and was not named yet. */
  name: string;
  /** The Ed25519 key that signed their first message: later messages signed by another key are flagged. */
  signingKey?: string;
}

/** queued: in the outbox, not yet accepted by the server; sent: the server queued it for the recipient; failed: refused for good. */
export type Delivery = 'queued' | 'sent' | 'failed';

export interface ChatMessage {
  /** The other person's address. */
  peer: string;
  direction: 'in' | 'out';
  /** Empty for a file. */
  text: string;
  /** A file's envelope (what the sealed message carried): its name, size and type, where it is stored and its key. */
  file?: FileEnvelope;
  /** Local time (ms) it was written or arrived; `seq` orders those of the same millisecond. */
  at: number;
  seq: number;
  delivery?: Delivery;
  /** Sealed and signed once when written: a retry resends the same signature, which the server acknowledges without queueing twice. */
  body?: SendBody;
  /** A file's encrypted upload, made and signed once with the message: kept (sealed) until the server took it, then dropped. */
  upload?: UploadBody;
  error?: string;
  /** Signed by another key than the contact's first message was. */
  keyChanged?: boolean;
}

export type StoredRecord = { kind: 'contact'; contact: Contact } | { kind: 'message'; message: ChatMessage };

export const byArrival = (a: ChatMessage, b: ChatMessage): number => a.at - b.at || a.seq - b.seq;
