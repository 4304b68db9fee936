// A minimal WebSocket client for the fan-out receivers: handshake through node:http, then a frame
// parser over the socket's chunks that hands each text frame to a callback as (buffer, start, end),
// without copies, events per frame or UTF-8 checks. Keeps the load generator's cost per frame small
// (the ws client costs several microseconds per frame; 100 receivers at 150,000 frames/s would
// saturate this process's core before the server's).
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';

export interface RawReceiver {
  readonly socket: Socket;
  /** Writes one masked text frame. */
  send(text: string): void;
  close(): void;
}

/** One masked client frame (the protocol requires client frames to be masked). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const head = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else if (length < 65_536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  mask.copy(frame, head);
  for (let i = 0; i < length; i++) frame[head + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

/**
 * Connects to `wsUrl` and calls `onText(buffer, start, end)` for every text frame; `buffer` is only
 * valid during the call. Answers pings; a close frame or a protocol error ends the socket.
 */
export function openRawReceiver(
  wsUrl: string,
  onText: (data: Buffer, start: number, end: number) => void,
  timeoutMs: number,
  localAddress?: string,
): Promise<RawReceiver> {
  const url = new URL(wsUrl);
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      timeout: timeoutMs,
      ...(localAddress === undefined ? {} : { localAddress }),
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13' },
    });
    req.once('timeout', () => req.destroy(new Error('handshake timed out')));
    req.once('error', reject);
    req.once('response', (res) => {
      res.resume();
      reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
    });
    req.once('upgrade', (res, socket: Socket, head: Buffer) => {
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      if (res.headers['sec-websocket-accept'] !== accept) {
        socket.destroy();
        return reject(new Error('bad Sec-WebSocket-Accept'));
      }
      socket.setNoDelay(true);
      socket.setTimeout(0);
      socket.on('error', () => socket.destroy());
      let pending: Buffer | undefined;
      const parse = (chunk: Buffer) => {
        const data = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
        pending = undefined;
        // Frames written from onText (e.g. acknowledgements) leave in one write per chunk.
        socket.cork();
        let at = 0;
        while (data.length - at >= 2) {
          const opcode = data[at]! & 0x0f;
          let length = data[at + 1]!;
          if (length & 0x80) return void socket.destroy(new Error('masked server frame'));
          let start = at + 2;
          if (length === 126) {
            if (data.length - at < 4) break;
            length = data.readUInt16BE(at + 2);
            start = at + 4;
          } else if (length === 127) {
            if (data.length - at < 10) break;
            length = Number(data.readBigUInt64BE(at + 2));
            start = at + 10;
          }
          const end = start + length;
          if (end > data.length) break;
          if (opcode === 1) onText(data, start, end);
          else if (opcode === 9) socket.write(clientFrame(10, data.subarray(start, end)));
          else if (opcode === 8) return void socket.end();
          at = end;
        }
        if (at < data.length) pending = data.subarray(at);
        socket.uncork();
      };
      if (head.length > 0) parse(head);
      socket.on('data', parse);
      resolve({
        socket,
        send: (text) => socket.write(clientFrame(1, Buffer.from(text))),
        close: () => socket.destroy(),
      });
    });
    req.end();
  });
}
