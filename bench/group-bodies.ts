import { encryptForGroup } from 'whispr-sdk';
import { growTimes, type RequestFeed } from './load.js';

/** One member of the bench group: its X25519 address and a bearer token for it. */
export interface BenchMember {
  address: string;
  token: string;
}

/**
 * Pre-encrypted, distinct POST /groups/messages/send bodies (body i: member i mod M, who must also
 * present its own token, since sender_id is the token's subject). Encryption happens in grow(),
 * between runs; the load generator only hands out bytes and headers.
 */
export class GroupSendPool {
  readonly bodies: Buffer[] = [];
  /** ciphertext (base64, as in the body and in the pushed frame) -> body index */
  readonly byCiphertext = new Map<string, number>();
  private totalBytes = 0;

  constructor(
    readonly members: BenchMember[],
    private readonly target: { groupId: string; channelId: string; key: Uint8Array; keyVersion: number },
    private readonly plaintextBytes: number,
  ) {}

  get size(): number {
    return this.bodies.length;
  }

  get averageBytes(): number {
    return this.size === 0 ? 0 : Math.round(this.totalBytes / this.size);
  }

  memberOf(index: number): BenchMember {
    return this.members[index % this.members.length]!;
  }

  /** Grows the pool to at least `target` bodies; returns how many were built. */
  growTo(target: number): number {
    const from = this.size;
    const plaintext = Buffer.alloc(this.plaintextBytes, 0x61);
    for (let i = from; i < target; i++) {
      plaintext.write(`group msg ${i} `, 0, 'latin1');
      const { ciphertext, nonce } = encryptForGroup(this.target.key, plaintext);
      const body = Buffer.from(
        JSON.stringify({
          group_id: this.target.groupId,
          channel_id: this.target.channelId,
          sender_id: this.memberOf(i).address,
          ciphertext,
          nonce,
          key_version: this.target.keyVersion,
        }),
      );
      this.bodies.push(body);
      this.byCiphertext.set(ciphertext, i);
      this.totalBytes += body.length;
    }
    return Math.max(0, target - from);
  }
}

/** Hands out the send bodies in order, each with its sender's token, and notes when each left. */
export class GroupSendFeed implements RequestFeed {
  private next = 0;
  reused = 0;
  sentAt = new Float64Array(0);
  private readonly auth: string[];

  constructor(readonly pool: GroupSendPool) {
    this.auth = pool.members.map((m) => `Bearer ${m.token}`);
  }

  get used(): number {
    return this.next;
  }

  take(): { body: Buffer; headers: Record<string, string> } {
    const index = this.next % this.pool.size;
    if (this.next >= this.pool.size) this.reused++;
    this.next++;
    if (index >= this.sentAt.length) this.sentAt = growTimes(this.sentAt, this.pool.size);
    this.sentAt[index] = performance.now();
    return { body: this.pool.bodies[index]!, headers: { authorization: this.auth[index % this.auth.length]! } };
  }
}

/** POST /groups/messages/fetch bodies: a page of `limit` from a random stored timestamp, by a rotating member. */
export class GroupFetchFeed implements RequestFeed {
  private next = 0;
  private readonly requests: { body: Buffer; headers: Record<string, string> }[];

  constructor(members: BenchMember[], target: { groupId: string; channelId: string }, timestamps: number[], limit: number, count = 4096) {
    const span = Math.max(1, timestamps.length - limit);
    this.requests = Array.from({ length: count }, (_, k) => {
      const since = timestamps[Math.floor(Math.random() * span)] ?? 0;
      const body = Buffer.from(JSON.stringify({ group_id: target.groupId, channel_id: target.channelId, since, limit }));
      return { body, headers: { authorization: `Bearer ${members[k % members.length]!.token}` } };
    });
  }

  take(): { body: Buffer; headers: Record<string, string> } {
    return this.requests[this.next++ % this.requests.length]!;
  }
}
