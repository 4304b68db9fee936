import type { CpuShares } from './cpu.js';

/**
 * What every events run reports, direct or group. A direct event has one recipient; a group post
 * has a copy for each member but its sender, and "received", "lost" and the latencies count copies.
 */
export interface EventsRunFigures extends CpuShares {
  connections: number;
  /** Bytes of each event's encrypted_payload (decoded: a 15-byte stamp, then random bytes). */
  payload_bytes: number;
  seconds: number;
  /** 2xx POST /api/events answers per second during the measured run, and their latency. */
  posted_per_s: number;
  post_p50_ms: number;
  post_p99_ms: number;
  /** Events received (each acknowledged at once) per second, summed over the sockets, during the measured window. */
  delivered_per_s: number;
  /** Posts answered 2xx over warm-up and run. */
  accepted: number;
  /** Non-2xx answers, connection errors and timeouts over warm-up and run. */
  failed: number;
  /** Events of posts answered 2xx never received after the drain wait, and events received twice. */
  lost: number;
  duplicates: number;
  /** Frames whose server `sequence` did not grow on their socket (excluding duplicates). */
  out_of_order: number;
  /** Frames that were not a bench event for this socket (errors, misrouted events). */
  unexpected_frames: number;
  socket_closes: number;
  /** queued_user_events on the server's GET /health after the drain (0: every event was acknowledged). */
  left_queued: number;
  /** Post handed to a connection -> its event received on a socket, every event of every post of the measured window. */
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  error_samples: string[];
}
