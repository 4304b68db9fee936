import { ApiError } from '../../core/errors.js';
import { CLOSE, type WsConnection, type WsEndpoint } from '../../http/ws-gateway.js';
import { errorFrame, jsonObjectFrame } from '../../http/ws-frames.js';
import type { BucketPolicy } from '../../rate-limit/rate-limiter.js';
import { TokenBucket } from '../../rate-limit/token-bucket.js';
import { FrameOrder } from '../../cluster/frame-order.js';
import { bearerToken } from '../../http/bearer-token.js';
import type { KeyAuthorizer } from '../auth/index.js';
import { CallError, type CallPeer, type CallService } from './call-service.js';

const MAX_FRAME = 65_536;

/** One /signal socket: a call participant whose frames are handled in order (a join across nodes waits for the roster). */
class SignalPeer extends FrameOrder implements CallPeer {
  constructor(
    private readonly connection: WsConnection,
    private readonly onError: (err: unknown) => void,
  ) {
    super();
  }

  send(frame: string): void {
    this.connection.sendNow(frame);
  }

  protected fail(err: unknown): void {
    if (err instanceof CallError) return void this.send(errorFrame(err.code, err.message));
    // The cluster's shared state (Redis) did not answer: nobody's fault, try again.
    if (err instanceof ApiError && err.status === 503) return void this.send(errorFrame('UNAVAILABLE', err.message));
    throw err;
  }

  protected lost(err: unknown): void {
    this.onError(err);
  }
}

/**
 * Whispr's `/signal` socket: `join`, `signal`, `leave` with a `call_id`; the server answers
 * `peer-join`, `signal` (payload verbatim) and `peer-leave`. Strict mode requires a token.
 * `onError`: unexpected failures of a join across nodes.
 */
export function signalSocketEndpoint(deps: {
  calls: CallService;
  authorizer: KeyAuthorizer;
  frames: BucketPolicy;
  onError: (err: unknown) => void;
}): WsEndpoint<true> {
  const { calls, authorizer, onError } = deps;
  return {
    name: 'signal',
    maxPayload: MAX_FRAME,
    routes: [{ path: '/signal' }],
    parse: () => true,
    async authorize(_match, req, url) {
      if (authorizer.mode === 'strict') await authorizer.tokenSubject(bearerToken(req.headers, url.searchParams));
    },
    onConnection(connection) {
      const peer = new SignalPeer(connection, onError);
      const budget = new TokenBucket(deps.frames, Date.now());
      connection.ws.on('message', (data, isBinary) => {
        if (budget.take(Date.now()) > 0) return connection.close(CLOSE.policy, 'too many frames');
        const frame = jsonObjectFrame(data, isBinary);
        const taken = peer.inOrder(() => {
          if (frame instanceof ApiError) return peer.send(errorFrame(frame.code, frame.detail));
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
        });
        if (!taken) connection.close(CLOSE.tryAgainLater, 'too many frames while joining');
      });
      connection.ws.once('close', () => peer.inOrder(() => calls.leave(peer), true));
    },
  };
}
