import type { Duplex } from 'node:stream';
import { type RawData, WebSocket } from 'ws';
import type { BucketPolicy } from '../rate-limit/rate-limiter.js';
import { TokenBucket } from '../rate-limit/token-bucket.js';
import type { WsEndpoint } from './ws-gateway.js';

/** Close codes Whispr uses on every WebSocket dialect (documented in docs/websockets.md). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooLarge: 1009,
  internal: 1011,
  /** The server is restarting or shutting down: reconnect (to another node) after a short delay. */
  serviceRestart: 1012,
  /** Slow consumer: the socket did not read; reconnect and the queued messages follow. */
  tryAgainLater: 1013,
} as const;

const TEXT_FRAME = { binary: false } as const;

/** What every connection of a gateway shares: its limits, and what it does when one closes. */
export interface ConnectionShared {
  maxBufferedBytes: number;
  /** Pings a client may send per socket; each is answered with a pong. */
  pings: BucketPolicy;
  /** `socket`: the connection's TCP socket, closed by now. */
  closed(connection: WsConnection, socket: Duplex): void;
}

/**
 * The server side of a socket, holding its gateway connection in a field of its own. The events
 * every socket has are handled by the connection as they are emitted, before any listener: no
 * listener per socket (each would grow the socket's table of listeners, a closure would cost more).
 */
export class GatewaySocket extends WebSocket {
  connection: WsConnection | undefined = undefined;

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const connection = this.connection;
    if (connection !== undefined) {
      switch (event) {
        case 'message':
          connection.received(args[0] as RawData, args[1] as boolean);
          break;
        case 'pong':
          connection.alive = true;
          break;
        case 'ping':
          connection.answerPing(args[0] as Buffer);
          break;
        case 'close':
          connection.closed();
          break;
        case 'error':
          this.terminate();
          // Handled: without a listener of its own, EventEmitter would throw it.
          if (this.listenerCount('error') === 0) return false;
          break;
      }
    }
    return super.emit(event, ...args);
  }
}

/** One accepted socket, with writes that respect a send-buffer bound and the client's pings answered within a budget. */
export class WsConnection {
  alive = true;
  private pings: TokenBucket | undefined;
  /** What the endpoint's onConnection returned, handed to its onMessage and onClose. */
  state: unknown = undefined;

  constructor(
    readonly ws: WebSocket,
    readonly endpoint: Pick<WsEndpoint<unknown, unknown>, 'name' | 'onMessage' | 'onClose'>,
    readonly ip: string,
    private readonly shared: ConnectionShared,
    /** The upgraded TCP socket: a write cut short by its destruction still reports success (Node). */
    private readonly socket: Duplex,
  ) {}

  get dialect(): string {
    return this.endpoint.name;
  }

  /** Resolves true once the frame was written; a socket over its buffer bound is closed instead. */
  send(frame: string): Promise<boolean> {
    if (this.ws.readyState !== this.ws.OPEN) return Promise.resolve(false);
    // A frame larger than the bound is still written to a socket with nothing pending.
    if (this.ws.bufferedAmount > 0 && this.ws.bufferedAmount + frame.length > this.shared.maxBufferedBytes) {
      this.close(CLOSE.tryAgainLater, 'send buffer full');
      return Promise.resolve(false);
    }
    return new Promise((resolve) => this.ws.send(frame, (err) => resolve(err == null && !this.socket.destroyed)));
  }

  /** Best-effort write (live events): no acknowledgement, same buffer bound. A Buffer is a text frame's UTF-8 bytes (encoded once for many sockets). */
  sendNow(frame: string | Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > 0 && this.ws.bufferedAmount + frame.length > this.shared.maxBufferedBytes)
      return void this.close(CLOSE.tryAgainLater, 'send buffer full');
    this.ws.send(frame, TEXT_FRAME);
  }

  /**
   * Answers a client's ping within the gateway's budget (made on the first ping: most clients never
   * send one); past it the client is told why (1008) before it is cut off, like any other flood.
   */
  answerPing(data: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const now = Date.now();
    this.pings ??= new TokenBucket(this.shared.pings, now);
    if (this.pings.take(now) > 0) return void this.close(CLOSE.policy, 'too many pings');
    if (this.ws.bufferedAmount > this.shared.maxBufferedBytes) return void this.close(CLOSE.tryAgainLater, 'send buffer full');
    this.ws.pong(data);
  }

  sendJson(value: unknown): Promise<boolean> {
    return this.send(JSON.stringify(value));
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => this.ws.terminate(), 2_000).unref();
  }

  /** A frame from the client, for the endpoint (none when its onConnection failed). */
  received(data: RawData, isBinary: boolean): void {
    if (this.state !== undefined) this.endpoint.onMessage?.(this.state, data, isBinary);
  }

  /** The socket closed (emitted once). */
  closed(): void {
    this.shared.closed(this, this.socket);
    // No state: onConnection failed, there is nothing of the endpoint's to close.
    if (this.state !== undefined) this.endpoint.onClose?.(this.state);
  }
}
