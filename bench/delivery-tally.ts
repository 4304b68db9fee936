import WebSocket from 'ws';
import { Samples, round } from './stats.js';

/** What a push run reports about its frames. */
export interface DeliveryFigures {
  /** Frames of bodies sent during the run, received by the end of the drain wait. */
  delivered: number;
  /** Frames received per second during the run (all sockets). */
  delivered_per_s: number;
  duplicate_frames: number;
  unknown_frames: number;
  socket_closes: number;
  /** Body handed to a connection -> frame received on a socket. */
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
}

/**
 * Counts push frames matched to pre-built bodies: each body once per receiver (more is a duplicate),
 * frames inside the measured window, and send-to-receive latency of the bodies sent in it.
 */
export class DeliveryTally {
  total = 0;
  inWindow = 0;
  measured = 0;
  duplicates = 0;
  unknown = 0;
  closes = 0;
  /** First body index of the measured run (latencies are taken from there on). */
  measureFrom = Number.POSITIVE_INFINITY;
  windowStart = Number.POSITIVE_INFINITY;
  windowEnd = Number.POSITIVE_INFINITY;
  readonly latencies = new Samples();
  private readonly seen: Uint8Array[];

  constructor(
    receivers: number,
    private readonly poolSize: () => number,
    private readonly sentAt: (index: number) => number | undefined,
  ) {
    this.seen = Array.from({ length: receivers }, () => new Uint8Array(poolSize()));
  }

  /** A frame for `receiver` carrying body `index` (undefined: not one of ours); true the first time that receiver got it. */
  record(receiver: number, index: number | undefined, now: number): boolean {
    if (index === undefined) {
      this.unknown++;
      return false;
    }
    let marks = this.seen[receiver] as Uint8Array;
    if (index >= marks.length) {
      const bigger = new Uint8Array(Math.max(this.poolSize(), index + 1));
      bigger.set(marks);
      this.seen[receiver] = marks = bigger;
    }
    if (marks[index] === 1) {
      this.duplicates++;
      return false;
    }
    marks[index] = 1;
    this.total++;
    if (now >= this.windowStart && now <= this.windowEnd) this.inWindow++;
    if (index >= this.measureFrom) {
      this.measured++;
      this.latencies.add(now - (this.sentAt(index) ?? now));
    }
    return true;
  }

  figures(): DeliveryFigures {
    const [p50, p90, p99, max] = this.latencies.percentiles(50, 90, 99, 100);
    const windowSeconds = (this.windowEnd - this.windowStart) / 1000;
    return {
      delivered: this.measured,
      delivered_per_s: round(this.inWindow / windowSeconds, 0),
      duplicate_frames: this.duplicates,
      unknown_frames: this.unknown,
      socket_closes: this.closes,
      p50_ms: round(p50 ?? Number.NaN),
      p90_ms: round(p90 ?? Number.NaN),
      p99_ms: round(p99 ?? Number.NaN),
      max_ms: round(max ?? Number.NaN),
    };
  }

  /** Opens a Whispr push socket (/ws/{key} with a token) whose frames go to `onFrame`. */
  async openPushSocket(wsBase: string, address: string, token: string, onFrame: (data: WebSocket.RawData) => void): Promise<WebSocket> {
    const ws = new WebSocket(`${wsBase}/ws/${address}?token=${encodeURIComponent(token)}`);
    ws.on('message', onFrame);
    ws.on('close', () => this.closes++);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return ws;
  }
}

/** A push-socket frame handler for one receiver: each frame is matched to its body by signature (unknown frames count as such). */
export function signatureFrames(tally: DeliveryTally, bySignature: ReadonlyMap<string, number>): (data: WebSocket.RawData) => void {
  return (data) => {
    const now = performance.now();
    let signature: unknown;
    try {
      signature = (JSON.parse(data.toString()) as { signature?: unknown }).signature;
    } catch {
      signature = undefined;
    }
    tally.record(0, typeof signature === 'string' ? bySignature.get(signature) : undefined, now);
  };
}
