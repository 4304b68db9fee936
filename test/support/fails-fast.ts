/**
 * How soon a call made while a service is down must fail to count as failing "at once". A call
 * queued until the service is back would wait out the whole outage, and a client's default retries
 * take several seconds; a loaded two-core machine's stalls stay well below this.
 */
export const FAILS_FAST_MS = 2_000;
