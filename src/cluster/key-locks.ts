/**
 * Work that must not overlap for one key (writing and deleting the same stored file): within this
 * process (KeyedLock in core/keyed-lock.ts), or across every node (cluster/redis-key-locks.ts).
 */
export interface KeyLocks {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}
