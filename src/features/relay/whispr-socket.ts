import { isHexKey } from '../../core/encoding.js';
import { badRequest } from '../../core/errors.js';
import type { RateLimiter } from '../../rate-limit/rate-limiter.js';
import { CLOSE, type WsConnection, type WsEndpoint } from '../../http/ws-gateway.js';
import { frameText } from '../../http/ws-frames.js';
import { bearerToken } from '../../http/bearer-token.js';
import type { KeyAuthorizer } from '../auth/index.js';
import type { InboxPush } from './inbox-push.js';

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const MAX_CLIENT_FRAME = 4096;

let serial = 0;

/**
 * The Whispr push socket: `/ws/{key}` or `/ws?recipient={key}`. Queued messages are flushed on
 * connect, then pushed live. Clients have nothing to say but the text `ping`, which is ignored.
 */
export function whisprSocketEndpoint(deps: {
  push: InboxPush;
  authorizer: KeyAuthorizer;
  frameLimiter: RateLimiter;
  onError: (err: unknown) => void;
}): WsEndpoint<string> {
  return {
    name: 'whispr',
    maxPayload: MAX_CLIENT_FRAME,
    routes: [
      { under: '/ws', segment: HEX_KEY },
      { path: '/ws', query: 'recipient' },
    ],
    parse: ({ url, segment }) => (segment ?? url.searchParams.get('recipient') ?? '').toLowerCase(),
    async authorize(key, req, url) {
      if (!isHexKey(key)) throw badRequest('INVALID_KEY', 'recipient must be a 32-byte key in hex (64 characters)');
      await deps.authorizer.authorize(bearerToken(req.headers, url.searchParams), key);
    },
    onConnection(connection: WsConnection, key) {
      const id = `whispr:${++serial}`;
      const target = { send: (frame: string) => connection.send(frame) };
      connection.ws.on('message', (data, isBinary) => {
        void deps.frameLimiter.consume(id).then((decision) => {
          if (!decision.allowed) return connection.close(CLOSE.policy, 'too many frames');
          const text = frameText(data, isBinary);
          if (text !== undefined && text.trim().toLowerCase() === 'ping') return;
          void connection.sendJson({ type: 'error', error_code: 'UNSUPPORTED_FRAME', detail: 'This socket only pushes messages; send nothing but "ping"' });
        });
      });
      connection.ws.once('close', () => deps.push.detach(key, target));
      deps.push.attach(key, target).catch(deps.onError);
    },
  };
}
