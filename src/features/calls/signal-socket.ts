import { CLOSE, jsonObjectFrame, type WsEndpoint } from '../../http/ws-gateway.js';
import type { BucketPolicy } from '../../rate-limit/rate-limiter.js';
import { TokenBucket } from '../../rate-limit/token-bucket.js';
import { bearerToken, type KeyAuthorizer } from '../auth/key-authorizer.js';
import { CallError, type CallPeer, type CallService } from './call-service.js';

const MAX_FRAME = 65_536;

const errorFrame = (code: string, detail: string) => JSON.stringify({ type: 'error', error_code: code, detail });

/**
 * Whispr's `/signal` socket: `join`, `signal`, `leave` with a `call_id`; the server answers
 * `peer-join`, `signal` (payload verbatim) and `peer-leave`. Strict mode requires a token.
 */
export function signalSocketEndpoint(deps: { calls: CallService; authorizer: KeyAuthorizer; frames: BucketPolicy }): WsEndpoint<true> {
  const { calls, authorizer } = deps;
  return {
    name: 'signal',
    maxPayload: MAX_FRAME,
    match: (url) => (url.pathname === '/signal' || url.pathname === '/signal/' ? true : undefined),
    async authorize(_match, req, url) {
      if (authorizer.mode === 'strict') await authorizer.tokenSubject(bearerToken(req.headers, url.searchParams));
    },
    onConnection(connection) {
      const peer: CallPeer = { send: (frame) => connection.sendNow(frame) };
      const budget = new TokenBucket(deps.frames, Date.now());
      connection.ws.on('message', (data, isBinary) => {
        if (budget.take(Date.now()) > 0) return connection.close(CLOSE.policy, 'too many frames');
        const frame = jsonObjectFrame(data, isBinary);
        if (frame === undefined) return peer.send(errorFrame('INVALID_FRAME', 'Frames are JSON objects with a type'));
        try {
          switch (frame.type) {
            case 'join':
              return calls.join(peer, frame.call_id);
            case 'signal':
              return calls.signal(peer, frame.call_id, frame.payload);
            case 'leave':
              // A frame without call_id is malformed (INVALID_CALL_ID); only the disconnect leaves without one.
              return calls.leave(peer, frame.call_id ?? null);
            default:
              return peer.send(errorFrame('INVALID_FRAME', 'type must be join, signal or leave'));
          }
        } catch (err) {
          if (!(err instanceof CallError)) throw err;
          peer.send(errorFrame(err.code, err.message));
        }
      });
      connection.ws.once('close', () => calls.leave(peer));
    },
  };
}
