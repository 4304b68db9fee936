export type KeyType = 'ed25519' | 'x25519';

export interface Challenge {
  id: string;
  key: string;
  keyType: KeyType;
  /** The secret the caller must prove: sign it (Ed25519) or return it opened (X25519). */
  nonce: Buffer;
  expiresAt: number;
}

/** Pending challenges; `take` removes, so a nonce is accepted at most once. */
export interface ChallengeStore {
  /** False when the store is full. */
  put(challenge: Challenge): Promise<boolean>;
  take(id: string, now: number): Promise<Challenge | undefined>;
  size(): number;
}

/** In-process challenges for the embedded mode, bounded in number and swept on expiry. */
export function createMemoryChallengeStore(maxPending: number, now: () => number): ChallengeStore & { close(): void } {
  const pending = new Map<string, Challenge>();
  const sweep = setInterval(() => {
    const at = now();
    for (const [id, c] of pending) if (c.expiresAt <= at) pending.delete(id);
  }, 5_000);
  sweep.unref();
  return {
    async put(challenge) {
      if (pending.size >= maxPending) return false;
      pending.set(challenge.id, challenge);
      return true;
    },
    async take(id, at) {
      const challenge = pending.get(id);
      pending.delete(id);
      return challenge !== undefined && challenge.expiresAt > at ? challenge : undefined;
    },
    size: () => pending.size,
    close: () => clearInterval(sweep),
  };
}
