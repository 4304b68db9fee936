import { createHash } from 'node:crypto';
import type { MessageBus } from '../../bus/message-bus.js';
import { base64DecodedLength, decodeBase64, decodeHexKey } from '../../core/encoding.js';
import type { Ed25519Verifier } from '../../core/ed25519.js';
import { badRequest, tooLarge, tooMany } from '../../core/errors.js';
import type { RateLimiter } from '../../rate-limit/rate-limiter.js';
import type { AnalyticsRecorder } from '../analytics/index.js';
import { userChannel } from '../../push/user-channel.js';
import { fairShareRefusal, type QueueCaps } from '../queues/index.js';
import type { InboxStore, QueuedMessage } from './inbox-store.js';

export interface RelayLimits {
  maxMessageBytes: number;
  /** The recipient's queue in all, and the share of one sender and of one sending address. */
  queue: QueueCaps;
  /** 0: messages never expire. */
  messageTtlSeconds: number;
  replayWindowSeconds: number;
  clockSkewSeconds: number;
}

/** The original Whispr /send body (`from_` is the sender's Ed25519 key, `enc_pub` its X25519 key). */
export interface SignedSend {
  to: string;
  from_: string;
  enc_pub: string;
  message: string;
  signature: string;
  timestamp?: number | null;
}

export interface SendOutcome {
  id: number;
  timestamp: number;
  duplicate: boolean;
}

/** What the relay publishes on a user's channel: a queued message for its recipient, or a copy for its sender. */
export type DirectMessageEvent = { kind: 'queued'; message: QueuedMessage } | { kind: 'copy'; message: QueuedMessage };

const SIGNATURE_BYTES = 64;

export interface RelayServiceDeps {
  inbox: InboxStore;
  bus: MessageBus;
  verifier: Ed25519Verifier;
  senderLimiter: RateLimiter;
  limits: RelayLimits;
  now: () => number;
  /** Counts queued messages and their verified senders (as keyed hashes); never the recipient. */
  analytics: AnalyticsRecorder;
}

/** Direct-message rules: signature, size, rate, replay, timestamps and queue caps. No HTTP, no SQL. */
export class RelayService {
  constructor(private readonly deps: RelayServiceDeps) {}

  /** `fromAddress`: the budget key of the sender's client address (see addressKey). */
  async send(input: SignedSend, fromAddress: string): Promise<SendOutcome> {
    const { limits, now } = this.deps;
    const to = decodeHexKey(input.to, 'to').toString('hex');
    const from = decodeHexKey(input.from_, 'from_');
    const encPub = decodeHexKey(input.enc_pub, 'enc_pub').toString('hex');
    // Check the declared size before decoding anything large.
    if (base64DecodedLength(input.message) > limits.maxMessageBytes) {
      throw tooLarge('MESSAGE_TOO_LARGE', `message is larger than ${limits.maxMessageBytes} bytes`);
    }
    const ciphertext = decodeBase64(input.message, 'message');
    const signature = decodeBase64(input.signature, 'signature');
    if (signature.length !== SIGNATURE_BYTES || !this.deps.verifier.verify(from, ciphertext, signature)) {
      throw badRequest('SIGNATURE_INVALID', 'Invalid signature');
    }
    const fromHex = from.toString('hex');
    const rate = await this.deps.senderLimiter.consume(fromHex);
    if (!rate.allowed) throw tooMany('RATE_LIMITED', 'Rate limit exceeded', rate.retryAfter);

    const at = now();
    const timestamp = this.assignTimestamp(input.timestamp, at);
    const result = await this.deps.inbox.enqueue(
      {
        recipient: to,
        from: fromHex,
        fromAddress,
        enc_pub: encPub,
        message: input.message,
        signature: input.signature,
        timestamp,
        replayKey: replayKey(signature),
        expiresAt: limits.messageTtlSeconds > 0 ? at + limits.messageTtlSeconds : null,
        replayExpiresAt: at + Math.max(limits.replayWindowSeconds, limits.messageTtlSeconds),
      },
      limits.queue,
      at,
    );
    if (result.status === 'full') {
      if (result.cap !== 'recipient') throw fairShareRefusal(result.cap);
      throw tooMany('RECIPIENT_QUEUE_FULL', 'The recipient has too many undelivered messages; retry later', 60);
    }
    if (result.status === 'duplicate') return { id: result.id, timestamp: result.timestamp, duplicate: true };
    // The verified signing key, never the unsigned enc_pub: anyone could name any key there and count it active.
    this.deps.analytics.directMessage(fromHex, ciphertext.length);

    await this.deps.bus.publish(userChannel(to), { kind: 'queued', message: result.message } satisfies DirectMessageEvent);
    if (encPub !== to) {
      await this.deps.bus.publish(userChannel(encPub), { kind: 'copy', message: result.message } satisfies DirectMessageEvent);
    }
    return { id: result.message.id, timestamp, duplicate: false };
  }

  /**
   * Removes and returns what is queued for `recipient`. A sender may back-date its timestamp by up
   * to the clock skew, so `since` is widened by that much: nothing queued after a fetch is hidden.
   */
  async drainInbox(recipient: string, since: number): Promise<QueuedMessage[]> {
    const { limits, now } = this.deps;
    const key = decodeHexKey(recipient, 'recipient').toString('hex');
    return this.deps.inbox.drain(key, since - limits.clockSkewSeconds, limits.queue.total, now());
  }

  /** Client timestamps are kept only if not in the future and at most the clock skew in the past. */
  private assignTimestamp(claimed: number | null | undefined, at: number): number {
    if (typeof claimed === 'number' && claimed <= at && claimed >= at - this.deps.limits.clockSkewSeconds) return claimed;
    return at;
  }
}

/** One key per signature whatever its base64 spelling; the signature binds the exact ciphertext. */
function replayKey(signature: Buffer): string {
  return createHash('sha256').update(signature).digest('base64');
}
