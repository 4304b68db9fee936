/**
 * The frames sent within the last `windowMs`, at most `limit`: a sliding window that stays inside
 * a server's token bucket of the same burst and refill (limit per window), so a client that asks
 * first never earns a rate-limit error (which the rooms server counts against its address).
 */
export class SendBudget {
  private sent: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Frames still allowed now. */
  left(now = Date.now()): number {
    // At most `limit` entries, so this stays small.
    this.sent = this.sent.filter((at) => now - at < this.windowMs);
    return this.limit - this.sent.length;
  }

  /** Records a send when more than `reserve` frames are left; false (nothing recorded) otherwise. */
  take(reserve = 0, now = Date.now()): boolean {
    if (this.left(now) <= reserve) return false;
    this.sent.push(now);
    return true;
  }
}
