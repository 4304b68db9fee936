import type { BucketPolicy } from './rate-limiter.js';

/** `rate` units a second, with a burst of `burstSeconds` seconds' worth (at least one unit). */
export const perSecond = (rate: number, burstSeconds: number): BucketPolicy => ({ ratePerSecond: rate, burst: Math.max(1, burstSeconds * rate) });

/** `count` units per `seconds`, all of them available as one burst. */
export const perWindow = (count: number, seconds: number): BucketPolicy => ({ ratePerSecond: count / seconds, burst: Math.max(1, count) });
