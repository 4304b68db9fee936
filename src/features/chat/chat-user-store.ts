/** A registered chat-app user. Times are Unix seconds. */
export interface ChatUser {
  userId: string;
  email: string;
  displayName: string;
  /** The user's public key as they sent it (base64); the server never interprets it. */
  publicKey: string;
  createdAt: number;
  lastSeen: number;
}

/** Durable state of the chat-app users. */
export interface ChatUserStore {
  /** Inserts the user, or updates every field but created_at; returns the user as stored. */
  put(user: ChatUser): Promise<ChatUser>;
  get(userId: string): Promise<ChatUser | undefined>;
  /** Public keys of those of `userIds` who are registered. */
  publicKeys(userIds: readonly string[]): Promise<Map<string, string>>;
  /** Users whose email or display name contains `query`, ignoring case, in registration order. */
  search(query: string, limit: number): Promise<ChatUser[]>;
}
