export type KeyType = 'ed25519' | 'x25519';

export interface Challenge {
  id: string;
  key: string;
  keyType: KeyType;
  /** The secret the caller must prove: sign it (Ed25519) or return it opened (X25519). */
  nonce: Buffer;
  expiresAt: number;
  /** The budget key of the client address that asked for it (see addressKey). */
  address: string;
}

/** What `put` did: stored it, or refused it because the store, or the asking address's share of it, is full. */
export type PutOutcome = 'stored' | 'full' | 'address-full';

/** The caps on unanswered challenges: in all (the last resort), and per client address. */
export interface ChallengeCaps {
  maxPending: number;
  maxPendingPerAddress: number;
}

/** Pending challenges; `take` removes, so a nonce is accepted at most once. */
export interface ChallengeStore {
  put(challenge: Challenge): Promise<PutOutcome>;
  take(id: string, now: number): Promise<Challenge | undefined>;
  size(): number;
}

/**
 * The challenges each client address holds (id → expiresAt), for the per-address cap: counting
 * one address costs at most its own cap, however many challenges everyone else holds.
 */
class PendingByAddress {
  private readonly byAddress = new Map<string, Map<string, number>>();

  /** Unexpired challenges of `address` (its expired ones are forgotten on the way). */
  held(address: string, now: number): number {
    const ids = this.byAddress.get(address);
    if (ids === undefined) return 0;
    for (const [id, expiresAt] of ids) if (expiresAt <= now) ids.delete(id);
    if (ids.size === 0) this.byAddress.delete(address);
    return ids.size;
  }

  add(address: string, id: string, expiresAt: number): void {
    const ids = this.byAddress.get(address) ?? new Map<string, number>();
    ids.set(id, expiresAt);
    this.byAddress.set(address, ids);
  }

  remove(address: string, id: string): void {
    const ids = this.byAddress.get(address);
    ids?.delete(id);
    if (ids?.size === 0) this.byAddress.delete(address);
  }
}

/** In-process challenges for the embedded mode, bounded in number, in all and per address, and swept on expiry. */
export function createMemoryChallengeStore(caps: ChallengeCaps, now: () => number): ChallengeStore & { close(): void } {
  const pending = new Map<string, Challenge>();
  const perAddress = new PendingByAddress();
  const forget = (challenge: Challenge) => {
    pending.delete(challenge.id);
    perAddress.remove(challenge.address, challenge.id);
  };
  const sweep = setInterval(() => {
    const at = now();
    for (const c of pending.values()) if (c.expiresAt <= at) forget(c);
  }, 5_000);
  sweep.unref();
  return {
    async put(challenge) {
      if (perAddress.held(challenge.address, now()) >= caps.maxPendingPerAddress) return 'address-full';
      if (pending.size >= caps.maxPending) return 'full';
      pending.set(challenge.id, challenge);
      perAddress.add(challenge.address, challenge.id, challenge.expiresAt);
      return 'stored';
    },
    async take(id, at) {
      const challenge = pending.get(id);
      if (challenge === undefined) return undefined;
      forget(challenge);
      return challenge.expiresAt > at ? challenge : undefined;
    },
    size: () => pending.size,
    close: () => clearInterval(sweep),
  };
}
