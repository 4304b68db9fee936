/**
 * Caps on open connections per key (a client address, or an endpoint and an address) that hold
 * across every node: in one process a counter per key; in a cluster a shared counter whose slots
 * held by a node that stopped renewing them (a crashed node) are given back.
 */
export interface ConnectionSlots {
  /** Takes a slot of `key` if fewer than `cap` are held; false when the cap is reached. */
  acquire(key: string, cap: number): Promise<boolean>;
  /** Gives back a slot taken with acquire. */
  release(key: string): Promise<void>;
  close(): Promise<void>;
}

/** The embedded driver. */
export function createLocalConnectionSlots(): ConnectionSlots {
  const held = new Map<string, number>();
  return {
    async acquire(key, cap) {
      const n = held.get(key) ?? 0;
      if (n >= cap) return false;
      held.set(key, n + 1);
      return true;
    },
    async release(key) {
      const n = (held.get(key) ?? 1) - 1;
      if (n <= 0) held.delete(key);
      else held.set(key, n);
    },
    async close() {
      held.clear();
    },
  };
}
