/**
 * Which queues (users) have a live socket somewhere: in one process a count per id; in a cluster a
 * shared record that forgets a node's sockets when the node stops renewing it (a crashed node).
 */
export interface Presence {
  /** One more socket of `id` on this node. */
  join(id: string): Promise<void>;
  /** One socket of `id` on this node closed. */
  leave(id: string): Promise<void>;
  /** True when any node holds a socket of `id`. */
  isOnline(id: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The embedded driver: this process is the whole deployment. */
export function createLocalPresence(): Presence {
  const counts = new Map<string, number>();
  return {
    async join(id) {
      counts.set(id, (counts.get(id) ?? 0) + 1);
    },
    async leave(id) {
      const n = (counts.get(id) ?? 1) - 1;
      if (n <= 0) counts.delete(id);
      else counts.set(id, n);
    },
    isOnline: async (id) => counts.has(id),
    async close() {
      counts.clear();
    },
  };
}
