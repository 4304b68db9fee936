/** Who may fetch an attachment: one row per (attachment, recipient). */
export interface AttachmentGrant {
  att_id: string;
  recipient: string;
  /** Uploader's Ed25519 key. */
  sender: string;
  enc_pub: string;
  name: string | null;
  size: number;
  created_at: number;
  expires_at: number | null;
}

export interface AttachmentStore {
  grant(grant: AttachmentGrant): Promise<void>;
  find(attId: string, recipient: string, now: number): Promise<AttachmentGrant | undefined>;
  /** Deletes expired grants; returns the attachment ids no grant refers to any more. */
  purgeExpired(now: number): Promise<string[]>;
  isGranted(attId: string): Promise<boolean>;
  count(): Promise<number>;
  /**
   * Bytes of the grants `sender` made that are not purged yet, each charged its size plus 4096
   * (a counter the database keeps with every grant and purge; 0 for an unknown sender).
   */
  senderBytes(sender: string): Promise<number>;
}

/** Content-addressed attachment bytes (the id is their sha256). */
export interface BlobStore {
  put(id: string, bytes: Buffer): Promise<void>;
  /** The bytes, or undefined when the file is gone. */
  get(id: string): Promise<Buffer | undefined>;
  delete(id: string): Promise<void>;
  /** A path a server can stream from, or undefined when the file is gone. */
  pathOf(id: string): Promise<string | undefined>;
}
