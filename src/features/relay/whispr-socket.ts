import { isHexKey } from '../../core/encoding.js';
import { badRequest } from '../../core/errors.js';
import type { RateLimiter } from '../../rate-limit/rate-limiter.js';
import { CLOSE, type WsConnection, type WsEndpoint } from '../../http/ws-gateway.js';
import { frameText } from '../../http/ws-frames.js';
import { bearerToken } from '../../http/bearer-token.js';
import type { KeyAuthorizer } from '../auth/index.js';
import type { InboxPush, PushTarget } from './inbox-push.js';

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const MAX_CLIENT_FRAME = 4096;
/** Ids one acknowledgement may carry (a 4 KiB frame holds a few hundred). */
const MAX_ACK_IDS = 500;

interface PushSocketRequest {
  key: string;
  /** `?ack=1`: the client acknowledges what it kept; unacknowledged messages are queued again when it closes. */
  ack: boolean;
}

/** The ids of `{"type": "ack", "ids": [...]}`, or undefined for any other frame. */
function ackedIds(text: string): number[] | undefined {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof frame !== 'object' || frame === null || (frame as { type?: unknown }).type !== 'ack') return undefined;
  const { ids } = frame as { ids?: unknown };
  if (!Array.isArray(ids) || ids.length > MAX_ACK_IDS || !ids.every((id) => Number.isSafeInteger(id) && id > 0)) return undefined;
  return ids as number[];
}

let serial = 0;

/**
 * The Whispr push socket: `/ws/{key}` or `/ws?recipient={key}`. Queued messages are flushed on
 * connect, then pushed live. Clients have nothing to say but the text `ping`, which is ignored,
 * and, on a socket opened with `ack=1`, `{"type": "ack", "ids": [...]}` for the messages they kept.
 */
export function whisprSocketEndpoint(deps: {
  push: InboxPush;
  authorizer: KeyAuthorizer;
  frameLimiter: RateLimiter;
  onError: (err: unknown) => void;
}): WsEndpoint<PushSocketRequest> {
  return {
    name: 'whispr',
    maxPayload: MAX_CLIENT_FRAME,
    routes: [
      { under: '/ws', segment: HEX_KEY },
      { path: '/ws', query: 'recipient' },
    ],
    parse: ({ url, segment }) => ({
      key: (segment ?? url.searchParams.get('recipient') ?? '').toLowerCase(),
      ack: url.searchParams.get('ack') === '1',
    }),
    async authorize({ key }, req, url) {
      if (!isHexKey(key)) throw badRequest('INVALID_KEY', 'recipient must be a 32-byte key in hex (64 characters)');
      await deps.authorizer.authorize(bearerToken(req.headers, url.searchParams), key);
    },
    onConnection(connection: WsConnection, { key, ack }) {
      const id = `whispr:${++serial}`;
      const target: PushTarget = ack ? { send: (frame) => connection.send(frame), unacked: new Set() } : { send: (frame) => connection.send(frame) };
      connection.ws.on('message', (data, isBinary) => {
        void deps.frameLimiter.consume(id).then((decision) => {
          if (!decision.allowed) return connection.close(CLOSE.policy, 'too many frames');
          const text = frameText(data, isBinary);
          if (text !== undefined && text.trim().toLowerCase() === 'ping') return;
          const ids = ack && text !== undefined ? ackedIds(text) : undefined;
          if (ids !== undefined) return void deps.push.acknowledge(key, target, ids).catch(deps.onError);
          const allowed = ack ? '"ping" or {"type": "ack", "ids": [...]} (at most 500 positive integer ids)' : 'nothing but "ping"';
          void connection.sendJson({ type: 'error', error_code: 'UNSUPPORTED_FRAME', detail: `This socket only pushes messages; send ${allowed}` });
        });
      });
      connection.ws.once('close', () => deps.push.detach(key, target));
      deps.push.attach(key, target).catch(deps.onError);
    },
  };
}
