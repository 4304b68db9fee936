/** Real WebSocket clients of /signal for the call tests: frames collected, a join that waits until applied. */
import { afterEach, expect } from 'vitest';
import type WebSocket from 'ws';
import { collectFrames, openWs, wsUrl } from '../relay/helpers.js';
import { eventually } from '../support/eventually.js';

export type Frame = Record<string, unknown>;

export interface Peer {
  ws: WebSocket;
  frames: Frame[];
  send(frame: unknown): void;
  /** Joins `callId` and resolves once the server has applied the join. */
  join(callId: unknown): Promise<void>;
  /** Waits for a frame matching `match` at or after index `from`, and returns it. */
  next(match: (f: Frame) => boolean, from?: number): Promise<Frame>;
  /** Waits until `count` frames arrived and returns them. */
  upTo(count: number): Promise<Frame[]>;
}

export const isType = (type: string) => (f: Frame) => f.type === type;
export const isError = (code: string) => (f: Frame) => f.type === 'error' && f.error_code === code;
export const errorFrame = (code: string) => ({ type: 'error', error_code: code, detail: expect.any(String) });

/** How long a peer waits for a frame: generous, it matters only when the frame never comes. */
const FRAME_WAIT_MS = 5_000;

/** Opens peers (of a test server or a cluster node) for the tests of one file; every socket is terminated after its test. */
export function signalPeers(): (server: { url: string }, token?: string, options?: WebSocket.ClientOptions) => Promise<Peer> {
  const opened: WebSocket[] = [];
  afterEach(() => {
    for (const ws of opened.splice(0)) ws.terminate();
  });
  return async (server, token, options = {}) => {
    const ws = await openWs(wsUrl(server.url, token === undefined ? '/signal' : `/signal?token=${token}`), options);
    opened.push(ws);
    const frames = collectFrames(ws);
    const next = async (match: (f: Frame) => boolean, from = 0) => {
      let found: Frame | undefined;
      await eventually(() => {
        found = frames.slice(from).find(match);
        return found !== undefined;
      }, FRAME_WAIT_MS).catch(() => {
        throw new Error(`no matching frame on ${server.url}; got ${JSON.stringify(frames)}`);
      });
      return found!;
    };
    return {
      ws,
      frames,
      send: (frame) => ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame)),
      async join(callId) {
        // A socket's frames are handled in order (a join across nodes holds the ones after it), so the
        // answer to a probe sent after the join means it was applied. The answer is taken out again.
        const from = frames.length;
        ws.send(JSON.stringify({ type: 'join', call_id: callId }));
        ws.send(JSON.stringify({ type: 'probe' }));
        frames.splice(frames.indexOf(await next(isError('INVALID_FRAME'), from)), 1);
      },
      next,
      async upTo(count) {
        await eventually(() => frames.length >= count, FRAME_WAIT_MS);
        return frames;
      },
    };
  };
}
