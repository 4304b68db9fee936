/** A one-time prekey as uploaded: its client-chosen id and public key bytes. */
export interface OneTimePrekey {
  keyId: number;
  publicKey: Buffer;
}

/** The published keys of a private-comm account (raw bytes, as the original stored them). */
export interface AccountKeys {
  identityKey: Buffer;
  signedPrekey: Buffer;
  prekeySignature: Buffer;
}

export interface Account extends AccountKeys {
  id: string;
  phoneHash: string;
}

export interface Registration extends AccountKeys {
  phoneHash: string;
  oneTimePrekeys: readonly OneTimePrekey[];
}

export type RegisterResult = { status: 'registered'; userId: string } | { status: 'too_many_prekeys'; unused: number } | { status: 'taken' };

/** Who may replace the keys of an account that already has this phone hash. */
export type KeyOwner = { anyone: true } | { anyone: false; userId: string | undefined };

/** A prekey bundle with at most one one-time prekey, claimed for this fetch only. */
export interface ClaimedBundle extends Account {
  oneTimePrekey: OneTimePrekey | null;
}

/** Private-comm accounts keyed by phone hash, their prekeys, and the nonces their logins used. */
export interface AccountStore {
  /**
   * Upsert by phone hash: an existing account keeps its id and gets the new keys; one-time prekeys
   * are upserted by key id and become unused again. Refused when more than `maxUnused` would be unused,
   * and ('taken') when the phone hash belongs to an account `owner` does not cover.
   */
  register(registration: Registration, newId: string, owner: KeyOwner, maxUnused: number, now: number): Promise<RegisterResult>;
  findByPhoneHash(phoneHash: string): Promise<Account | undefined>;
  findById(id: string): Promise<Account | undefined>;
  /** The bundle with the oldest unused one-time prekey marked used in the same step (never handed out twice). */
  claimBundle(phoneHash: string, now: number): Promise<ClaimedBundle | undefined>;
  unusedPrekeys(userId: string): Promise<number>;
  /** Records a login nonce; false when this phone hash already used it. */
  useNonce(phoneHash: string, nonce: string, expiresAt: number, now: number): Promise<boolean>;
  /** Remembers a nonce the server handed out (unused until `redeemIssuedNonce`). */
  issueNonce(phoneHash: string, nonce: string, expiresAt: number): Promise<void>;
  /** Marks an issued, unexpired, unused nonce used; false otherwise. */
  redeemIssuedNonce(phoneHash: string, nonce: string, now: number): Promise<boolean>;
  touch(userId: string, now: number): Promise<void>;
  /** Deletes one-time prekeys used before `usedBefore` and expired nonces; returns the prekeys deleted. */
  purgeUsedPrekeys(usedBefore: number, now: number): Promise<number>;
  count(): Promise<number>;
}
