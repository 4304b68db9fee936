// What the rooms phase's clients write and read: join frames, and message frames whose "encrypted"
// content carries a sequence number and a send time, readable in both the Whispr relay's frames
// ({"type":"message","payload":"<encrypted>",...}) and the bare server's (the sender's frame as is).
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

/** 'BEN' in base64: starts the first part of every bench message, found by indexOf in a received frame. */
const MAGIC = Buffer.from('BEN');
const MAGIC_B64 = Buffer.from(MAGIC.toString('base64'), 'latin1');
/** 'BEN' + uint32 sequence + float64 send time (performance.now() of this process) = 15 bytes = 20 base64 chars, no padding. */
const STAMP_BYTES = 15;
const STAMP_CHARS = 20;

export const joinFrame = (roomId: string, userId: string): string => JSON.stringify({ type: 'join', payload: { roomId, userId, username: `bench ${userId}` } });

/** Builds `message` frames: "encrypted" = base64(stamp) + '.' + base64(payloadBytes random bytes), as iv.ciphertext. */
export class MessageEncoder {
  private readonly stamp = Buffer.alloc(STAMP_BYTES);
  private readonly prefix = '{"type":"message","payload":{"encrypted":"';
  private readonly suffix: string;

  constructor(payloadBytes: number) {
    MAGIC.copy(this.stamp, 0);
    this.suffix = `.${randomBytes(payloadBytes).toString('base64')}"}}`;
  }

  frame(seq: number, sentAt: number): string {
    this.stamp.writeUInt32BE(seq, 3);
    this.stamp.writeDoubleBE(sentAt, 7);
    return this.prefix + this.stamp.toString('base64') + this.suffix;
  }
}

const stampBuffer = Buffer.alloc(STAMP_BYTES);
MAGIC.copy(stampBuffer, 0);

/** The 20 base64 characters of a stamp (readable by readStamp): the start of the events phase's encrypted_payload. */
export function encodeStamp(seq: number, sentAt: number): string {
  stampBuffer.writeUInt32BE(seq, 3);
  stampBuffer.writeDoubleBE(sentAt, 7);
  return stampBuffer.toString('base64');
}

const BASE64 = new Int8Array(256).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) BASE64[c.charCodeAt(0)] = i;
const decoded = Buffer.alloc(STAMP_BYTES);

/** The stamp of a bench message frame in data[start, end): { seq, sentAt } in `out`, false for any other frame. */
export function readStamp(data: Buffer, start: number, end: number, out: { seq: number; sentAt: number }): boolean {
  const at = data.indexOf(MAGIC_B64, start);
  if (at < 0 || at + STAMP_CHARS > end) return false;
  // 20 base64 characters -> 15 bytes, without a string or a new buffer per frame.
  for (let i = 0, o = 0; i < STAMP_CHARS; i += 4, o += 3) {
    const a = BASE64[data[at + i]!]!;
    const b = BASE64[data[at + i + 1]!]!;
    const c = BASE64[data[at + i + 2]!]!;
    const d = BASE64[data[at + i + 3]!]!;
    if ((a | b | c | d) < 0) return false;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    decoded[o] = n >>> 16;
    decoded[o + 1] = (n >>> 8) & 0xff;
    decoded[o + 2] = n & 0xff;
  }
  out.seq = decoded.readUInt32BE(3);
  out.sentAt = decoded.readDoubleBE(7);
  return true;
}

/** Opens a client socket (no compression), optionally from a given 127.x source address. */
export function openSocket(url: string, options: { localAddress?: string; timeoutMs: number }): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      handshakeTimeout: options.timeoutMs,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    const failed = (err: Error) => reject(err);
    ws.once('error', failed);
    ws.once('unexpected-response', (_req, res) => {
      ws.off('error', failed);
      ws.on('error', () => {});
      ws.terminate();
      reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
    });
    ws.once('open', () => {
      ws.off('error', failed);
      ws.on('error', () => {}); // a late error closes the socket; the phase sees it as a close
      resolve(ws);
    });
  });
}

/** Runs `task` for 0..count-1 with at most `concurrency` at a time; rejects on the first failure. */
export async function forEachLimited(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Resolves true once `done()` holds, false after `timeoutMs` (polled every 20 ms). */
export async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Terminates every socket and waits (bounded) until they report closed. */
export async function closeAll(sockets: Iterable<WebSocket>, timeoutMs = 10_000): Promise<void> {
  const list = [...sockets];
  for (const ws of list) ws.terminate();
  await waitUntil(() => list.every((ws) => ws.readyState === WebSocket.CLOSED), timeoutMs);
}
