/** Real `ws` clients speaking the RTC-E2EE rooms protocol, on top of the relay's raw helpers. */
import { expect } from 'vitest';
import WebSocket from 'ws';
import { statusFigures } from '../support/server-status.js';
import type { RunningServer } from '../support/test-server.js';
import { closed, collectFrames, openWs, UpgradeRefused, wsUrl } from '../relay/helpers.js';

export type Frame = Record<string, unknown>;

/** A valid `iv.ciphertext` style payload. */
export const CIPHERTEXT = 'SGVsbG8=.V29ybGQ=';

export class RoomClient {
  readonly frames: Frame[];
  /** Frames before this index were consumed by next(). */
  private cursor = 0;

  constructor(readonly ws: WebSocket) {
    this.frames = collectFrames(ws);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next unread frame (optionally the next one of `type`, skipping others); fails after `timeoutMs`. */
  async next(type?: string, timeoutMs = 2_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.frames.length) {
        const frame = this.frames[this.cursor++]!;
        if (type === undefined || frame.type === type) return frame;
      }
      if (Date.now() > deadline) throw new Error(`no ${type ?? 'frame'} within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** The next error frame: its flat {type, code, message} shape is checked, its code returned. */
  async error(): Promise<string> {
    const frame = await this.next();
    expect(frame).toEqual({ type: 'error', code: expect.any(String), message: expect.any(String) });
    return frame.code as string;
  }

  /** Sends `frame` and returns the code of the error it earns. */
  async errorFor(frame: unknown): Promise<string> {
    this.send(frame);
    return this.error();
  }

  /** Joins and resolves with the users of the userList frame. */
  async join(roomId: string, userId: string, username = `${userId} name`): Promise<Frame[]> {
    this.send({ type: 'join', payload: { roomId, userId, username } });
    const list = await this.next();
    expect(list.type, JSON.stringify(list)).toBe('userList');
    return (list.payload as { users: Frame[] }).users;
  }

  /** Round trip on the socket: every frame the server sent before the pong has arrived. */
  async sync(): Promise<void> {
    this.send({ type: 'ping' });
    await this.next('pong');
  }

  /** Frames not consumed yet. */
  unread(): Frame[] {
    return this.frames.slice(this.cursor);
  }

  closed(): Promise<number> {
    return closed(this.ws);
  }

  close(): void {
    this.ws.close();
  }
}

export async function connectRoom(srv: RunningServer, path = '/rooms', options: WebSocket.ClientOptions = {}): Promise<RoomClient> {
  return new RoomClient(await openWs(wsUrl(srv.url, path), options));
}

/** A refused upgrade: status, headers and JSON body. Fails if the upgrade is accepted. */
export function refusal(url: string, options: WebSocket.ClientOptions = {}): Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`upgrade to ${url} was accepted`));
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as unknown }));
    });
    ws.once('error', (err) => {
      if (!(err instanceof UpgradeRefused)) reject(err);
    });
  });
}

/** The rooms protocol's figures, public in /health (also as `stats`, the original rooms server's shape). */
export interface RoomHealth {
  /** Room sockets only. */
  active_connections: number;
  active_rooms: number;
  total_users: number;
  stats: { uptime_seconds: number; active_connections: number; active_rooms: number; total_users: number };
}

export async function roomHealth(srv: RunningServer, path = '/health'): Promise<RoomHealth> {
  const response = await fetch(new URL(path, srv.url));
  expect(response.status).toBe(200);
  return (await response.json()) as RoomHealth;
}

/** The rooms' counters (rate_limited, invalid_frames, messages_relayed, violations, blocks, blocked_ips, ...): admin status and /metrics only. */
export async function roomCounters(srv: RunningServer): Promise<Record<string, number>> {
  const figures = Object.entries(await statusFigures(srv)).filter(([field]) => field.startsWith('rooms.'));
  return Object.fromEntries(figures.map(([field, n]) => [field.slice('rooms.'.length), n]));
}
