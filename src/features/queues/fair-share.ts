import { type ApiError, tooMany } from '../../core/errors.js';

/**
 * The caps on one recipient's queue: in all, and what one sender and one sending address (its
 * budget key: an IPv6 /64 is one address) may hold in it at once, well below the total, so no single
 * sender, nor one address minting free keys, can fill a queue and lock everyone else out of it.
 */
export interface QueueCaps {
  total: number;
  perSender: number;
  perAddress: number;
}

/** Who queued an item: the sender's id and its address's budget key. */
export interface Origin {
  sender: string;
  address: string;
}

/** The origin as stored beside an item: '' for the server itself (and for items older than the shares). */
export const storedOrigin = (origin: Origin | null): Origin => origin ?? { sender: '', address: '' };

/** What a recipient's queue holds from the origin of the item being queued: its sender's and its address's shares. */
export interface ShareCounts {
  sender: number;
  address: number;
}

/** Which cap refused an item. */
export type FullQueue = 'recipient' | 'sender' | 'address';

/**
 * The cap the item would pass, if any, given the queue's depth; an item the server raises itself (no
 * origin) meets the total alone. The shares are counted (`shares`) only when the queue is deep enough
 * for one to be full: a share is part of the total, so most items count the total alone.
 */
export function capReached(total: number, shares: () => ShareCounts, caps: QueueCaps, origin: Origin | null): FullQueue | undefined {
  if (total >= caps.total) return 'recipient';
  if (origin === null || total < Math.min(caps.perSender, caps.perAddress)) return undefined;
  const held = shares();
  if (held.sender >= caps.perSender) return 'sender';
  if (held.address >= caps.perAddress) return 'address';
  return undefined;
}

/** Retry-After of a fair-share refusal: the recipient has to fetch first, which takes a while. */
const FAIR_SHARE_RETRY_SECONDS = 60;

/** The 429 of a sender's or an address's share; the recipient's own total keeps each dialect's older answer. */
export function fairShareRefusal(full: Exclude<FullQueue, 'recipient'>): ApiError {
  return full === 'sender'
    ? tooMany('SENDER_QUEUE_FULL', 'You have too many undelivered items for this recipient; retry once they fetched some', FAIR_SHARE_RETRY_SECONDS)
    : tooMany(
        'ADDRESS_QUEUE_FULL',
        'Your network address has too many undelivered items for this recipient; retry once they fetched some',
        FAIR_SHARE_RETRY_SECONDS,
      );
}
