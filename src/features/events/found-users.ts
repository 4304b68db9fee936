/**
 * Chat-app users are never removed (the store has no delete), so a user once found stays found: the
 * ids found most recently (at most `capacity`, the oldest dropped first) answer without a lookup,
 * which spares every event to a known recipient a database read. Ids not found are looked up again.
 */
export function rememberFoundUsers(lookup: (userId: string) => Promise<boolean>, capacity: number): (userId: string) => Promise<boolean> {
  const found = new Set<string>();
  return async (userId) => {
    if (found.has(userId)) return true;
    if (!(await lookup(userId))) return false;
    if (found.size >= capacity) found.delete(found.values().next().value as string);
    found.add(userId);
    return true;
  };
}
