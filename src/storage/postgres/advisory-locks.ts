import type { PgQueryable } from './pg-database.js';

/**
 * First key of the two-key advisory locks: one space per use, so a hash of a recipient can never
 * collide with a hash of a schema name. `userQueue` is the recipient of a durable user queue,
 * `analytics` every analytics write. (2 and 3 were the inbox's recipients and replay keys, before
 * its enqueues took row locks: left unused, so a node of an older release never shares a lock by mistake.)
 */
export const LockSpace = { migrations: 1, userQueue: 4, analytics: 5 } as const;

/** Waits for the transaction-scoped lock on (space, key); it is released at COMMIT or ROLLBACK. */
export async function lockUntilCommit(tx: PgQueryable, space: (typeof LockSpace)[keyof typeof LockSpace], key: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [space, key]);
}

/**
 * Waits for the transaction-scoped locks on (space, each key), taken in the order of their hashes:
 * transactions locking overlapping sets all take them in that one order, so none waits in a cycle.
 */
export async function lockEachUntilCommit(tx: PgQueryable, space: (typeof LockSpace)[keyof typeof LockSpace], keys: readonly string[]): Promise<void> {
  // A subquery with ORDER BY is not flattened into the outer query, so the locks follow its order.
  await tx.query('SELECT pg_advisory_xact_lock($1, k) FROM (SELECT DISTINCT hashtext(key) AS k FROM unnest($2::text[]) AS key ORDER BY k) AS ordered', [
    space,
    keys,
  ]);
}
