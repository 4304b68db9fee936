/**
 * A clock in float seconds that never returns the same value twice, so records stamped by it have
 * a strict order (e.g. a member's join and the messages around it).
 */
export function monotonicClock(now: () => number): () => number {
  let last = 0;
  return () => {
    last = Math.max(now(), last + 0.000001);
    return last;
  };
}
