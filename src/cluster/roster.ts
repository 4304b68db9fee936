import { randomUUID } from 'node:crypto';

/** A member of a group as the roster knows it: the node holding its connection, its key there, and what its owner stored with it. */
export interface RosterEntry {
  node: string;
  member: string;
  data: string;
}

export interface RosterJoin {
  /** False: the group already had `cap` members, or (`taken`) a live member holds the join's unique prefix. */
  admitted: boolean;
  /** A live member's data starts with the join's `unique` prefix (rooms: the user id is held by another connection). */
  taken: boolean;
  /** The members there before, oldest first. */
  present: RosterEntry[];
  /** Members of dead nodes removed on the way; the caller reports them gone (nobody else will). */
  departed: RosterEntry[];
}

/** One of this node's memberships as a sweep checks it: admitted (`settled`), or still joining. */
export interface OwnMember {
  member: string;
  data: string;
  settled: boolean;
}

export interface RosterSweep {
  /** Members of dead nodes, and stale entries of this node, removed; the caller reports them gone. */
  departed: RosterEntry[];
  /** This node's settled members the roster had lost (it took the node for dead), listed again; the caller reports them back. */
  restored: RosterEntry[];
}

/**
 * Who is in which group (room, call) on every node, with a size cap that holds across nodes. In
 * one process a map; in a cluster a shared record that drops the members of a node that stopped
 * renewing its liveness (a crashed node): the `join` or `sweep` that removes them returns them,
 * so exactly one node reports them gone.
 */
export interface Roster {
  readonly nodeId: string;
  /** How often a node sweeps the groups it has members in; undefined: nothing to sweep (one process). */
  readonly sweepIntervalMs: number | undefined;
  /**
   * Adds this node's `member` to `group` unless the group has `cap` members or, when `unique` is
   * given, a live member's data starts with it (on any node; members of dead nodes are dropped first).
   */
  join(group: string, member: string, data: string, cap: number, unique?: string): Promise<RosterJoin>;
  leave(group: string, member: string): Promise<void>;
  /** Renews this node, removes the members of dead nodes, and brings this node's entries in line with `own`. */
  sweep(group: string, own: readonly OwnMember[]): Promise<RosterSweep>;
  close(): Promise<void>;
}

/** Groups of the nodes of one process: shared by the rosters made with it (tests run two nodes over one store). */
export type LocalRosterStore = Map<string, Map<string, RosterEntry>>;

/** The embedded driver: every write succeeds and no node dies, so there is nothing to sweep. */
export function createLocalRoster(store: LocalRosterStore = new Map(), nodeId: string = randomUUID()): Roster {
  const field = (member: string) => `${nodeId}/${member}`;
  return {
    nodeId,
    sweepIntervalMs: undefined,
    async join(group, member, data, cap, unique) {
      const entries = store.get(group) ?? new Map<string, RosterEntry>();
      const present = [...entries.values()];
      const taken = unique !== undefined && present.some((entry) => entry.data.startsWith(unique));
      if (taken || present.length >= cap) return { admitted: false, taken, present, departed: [] };
      entries.set(field(member), { node: nodeId, member, data });
      store.set(group, entries);
      return { admitted: true, taken, present, departed: [] };
    },
    async leave(group, member) {
      const entries = store.get(group);
      if (entries?.delete(field(member)) && entries.size === 0) store.delete(group);
    },
    sweep: async () => ({ departed: [], restored: [] }),
    async close() {
      for (const [group, entries] of store) {
        for (const [key, entry] of entries) if (entry.node === nodeId) entries.delete(key);
        if (entries.size === 0) store.delete(group);
      }
    },
  };
}
