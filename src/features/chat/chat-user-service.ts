import { base64DecodedLength } from '../../core/encoding.js';
import { ApiError, badRequest, notFound } from '../../core/errors.js';
import type { ChatAuth } from './chat-auth.js';
import type { ChatUser, ChatUserStore } from './chat-user-store.js';

export interface Registration {
  idToken: string;
  publicKey: string;
  displayName: string | undefined;
}

/** Public keys are opaque to the server (the original client sends a Tink keyset); this bounds them. */
export const MAX_PUBLIC_KEY_BYTES = 8192;

/** Most users one search returns, as the original. */
const SEARCH_LIMIT = 20;

/** Chat-app users: registration with an ID token, profiles, public keys and search. */
export class ChatUserService {
  constructor(
    private readonly deps: {
      users: ChatUserStore;
      auth: ChatAuth;
      now: () => number;
    },
  ) {}

  /**
   * Creates the user of the token, or updates their public key (and display name, if given);
   * answers the user as now stored. The original answered the document from before the update.
   */
  async register({ idToken, publicKey, displayName }: Registration): Promise<ChatUser> {
    checkPublicKey(publicKey);
    const signedIn = await this.deps.auth.identify(idToken);
    if (signedIn === undefined) throw badRequest('TOKEN_INVALID', 'Registration failed');
    const existing = await this.deps.users.get(signedIn.userId);
    const now = this.deps.now();
    return this.deps.users.put({
      userId: signedIn.userId,
      email: signedIn.email ?? existing?.email ?? '',
      displayName: displayName ?? existing?.displayName ?? signedIn.name ?? '',
      publicKey,
      createdAt: existing?.createdAt ?? now,
      lastSeen: now,
    });
  }

  async get(userId: string): Promise<ChatUser> {
    const user = await this.deps.users.get(userId);
    if (user === undefined) throw notFound('USER_NOT_FOUND', 'User not found');
    return user;
  }

  async publicKey(userId: string): Promise<{ user_id: string; public_key: string }> {
    const publicKey = (await this.deps.users.publicKeys([userId])).get(userId);
    if (publicKey === undefined) throw notFound('PUBLIC_KEY_NOT_FOUND', 'Public key not found');
    return { user_id: userId, public_key: publicKey };
  }

  /** The public keys of the registered users among `userIds` (unknown ids are left out). */
  async publicKeys(userIds: readonly string[]): Promise<Record<string, string>> {
    return Object.fromEntries(await this.deps.users.publicKeys(userIds));
  }

  search(query: string): Promise<ChatUser[]> {
    return this.deps.users.search(query, SEARCH_LIMIT);
  }
}

/** `publicKey` is well-formed base64 (the route's schema); it must also be canonical and not too large. */
function checkPublicKey(publicKey: string): void {
  // The key is handed to other users as sent: one spelling per key, so clients can compare keys.
  if (Buffer.from(publicKey, 'base64').toString('base64') !== publicKey) throw new ApiError(422, 'INVALID_BASE64', 'public_key must be canonical base64');
  if (base64DecodedLength(publicKey) > MAX_PUBLIC_KEY_BYTES)
    throw new ApiError(422, 'PUBLIC_KEY_TOO_LARGE', `public_key must be at most ${MAX_PUBLIC_KEY_BYTES} bytes`);
}
