export interface PenaltyPolicy {
  /** Violations within `windowMs` that block an address. */
  threshold: number;
  windowMs: number;
  /** First block; each repeat offence doubles it, up to maxBlockMs. */
  blockMs: number;
  maxBlockMs: number;
}

interface Record {
  violations: number;
  windowStart: number;
  offences: number;
  blockedUntil: number;
}

const MAX_TRACKED = 100_000;
const SWEEP_MS = 30_000;

/** Temporary blocks for addresses that keep breaking the protocol, growing for repeat offenders. */
export class IpPenalties {
  private readonly records = new Map<string, Record>();
  private readonly sweep: NodeJS.Timeout;
  violationsTotal = 0;
  blocksTotal = 0;

  constructor(
    private readonly policy: PenaltyPolicy,
    private readonly now: () => number = Date.now,
  ) {
    this.sweep = setInterval(() => this.forgetQuiet(), SWEEP_MS);
    this.sweep.unref();
  }

  /** Milliseconds the address stays blocked (0: not blocked). */
  blockedFor(ip: string): number {
    const record = this.records.get(ip);
    return record === undefined ? 0 : Math.max(0, record.blockedUntil - this.now());
  }

  /** Counts a violation; true when it (now) blocks the address. */
  violation(ip: string): boolean {
    this.violationsTotal += 1;
    const at = this.now();
    let record = this.records.get(ip);
    if (record === undefined) {
      if (this.records.size >= MAX_TRACKED) this.records.delete(this.records.keys().next().value as string);
      record = { violations: 0, windowStart: at, offences: 0, blockedUntil: 0 };
      this.records.set(ip, record);
    }
    if (at - record.windowStart > this.policy.windowMs) {
      record.violations = 0;
      record.windowStart = at;
    }
    record.violations += 1;
    if (record.violations < this.policy.threshold) return record.blockedUntil > at;
    record.violations = 0;
    record.offences += 1;
    this.blocksTotal += 1;
    record.blockedUntil = at + Math.min(this.policy.maxBlockMs, this.policy.blockMs * 2 ** (record.offences - 1));
    return true;
  }

  stats() {
    const at = this.now();
    let blocked = 0;
    for (const record of this.records.values()) if (record.blockedUntil > at) blocked += 1;
    return { violations: this.violationsTotal, blocks: this.blocksTotal, blocked_ips: blocked };
  }

  close(): void {
    clearInterval(this.sweep);
  }

  /** Forgets addresses with no block and no recent violation; offence history lasts as long as the longest block. */
  private forgetQuiet(): void {
    const at = this.now();
    for (const [ip, record] of this.records) {
      if (record.blockedUntil + this.policy.maxBlockMs < at && at - record.windowStart > this.policy.windowMs) this.records.delete(ip);
    }
  }
}
