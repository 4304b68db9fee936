import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { ConnectionSlots } from '../cluster/connection-slots.js';
import { ApiError } from '../core/errors.js';
import type { ProxyTrust } from '../core/proxy-trust.js';
import type { BucketPolicy } from '../rate-limit/rate-limiter.js';
import { TokenBucket } from '../rate-limit/token-bucket.js';
import { clientAddress } from './client-address.js';
import { writeRawError } from './raw-error-response.js';
import { holdSlotsWhileOpen, type SlotCap } from './upgrade-slots.js';
import { type WsRequestTarget, type WsRoute, WsRouteTable } from './ws-routes.js';

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

/**
 * The server side of a socket, holding its gateway connection in a field of its own, so the
 * listeners every socket needs are shared functions (`this` is the socket) instead of closures
 * allocated per socket.
 */
class GatewaySocket extends WebSocket {
  connection: WsConnection | undefined = undefined;
}

/** The connection of a socket this gateway accepted (ws types listeners' `this` as its own class). */
const connectionOf = (ws: WebSocket): WsConnection | undefined => (ws as GatewaySocket).connection;

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
    private readonly maxBufferedBytes: number,
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
    if (this.ws.bufferedAmount > 0 && this.ws.bufferedAmount + frame.length > this.maxBufferedBytes) {
      this.close(CLOSE.tryAgainLater, 'send buffer full');
      return Promise.resolve(false);
    }
    return new Promise((resolve) => this.ws.send(frame, (err) => resolve(err == null && !this.socket.destroyed)));
  }

  /** Best-effort write (live events): no acknowledgement, same buffer bound. A Buffer is a text frame's UTF-8 bytes (encoded once for many sockets). */
  sendNow(frame: string | Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > 0 && this.ws.bufferedAmount + frame.length > this.maxBufferedBytes)
      return void this.close(CLOSE.tryAgainLater, 'send buffer full');
    this.ws.send(frame, TEXT_FRAME);
  }

  /**
   * Answers a client's ping within `budget` (made on the first ping: most clients never send one);
   * past it the client is told why (1008) before it is cut off, like any other flood.
   */
  answerPing(data: Buffer, budget: BucketPolicy): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const now = Date.now();
    this.pings ??= new TokenBucket(budget, now);
    if (this.pings.take(now) > 0) return void this.close(CLOSE.policy, 'too many pings');
    if (this.ws.bufferedAmount > this.maxBufferedBytes) return void this.close(CLOSE.tryAgainLater, 'send buffer full');
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
}

/**
 * `M`: what parse finds in the request. `S`: what onConnection keeps for a socket, handed to the
 * endpoint's onMessage and onClose: handlers shared by every socket instead of listeners allocated
 * per socket (an endpoint with them returns a state that is not undefined).
 */
export interface WsEndpoint<M = unknown, S = void> {
  /** Dialect name, for logs and counters. */
  name: string;
  /** Largest frame a client may send on this endpoint. */
  maxPayload: number;
  /** Connections per client address on this endpoint, below the gateway-wide cap. */
  maxConnectionsPerIp?: number;
  /** The requests that are this dialect's (the gateway's routing table resolves overlaps by specificity). */
  routes: readonly WsRoute[];
  /** What this endpoint needs from a request routed to it; throws an ApiError (400) for a malformed one. */
  parse(request: WsRequestTarget): M;
  /** Refuses the upgrade by throwing an ApiError (401, 403, ...). */
  authorize?(match: M, req: IncomingMessage, url: URL, ip: string): Promise<void>;
  onConnection(connection: WsConnection, match: M): S;
  /** Each frame the socket receives. */
  onMessage?(state: S, data: RawData, isBinary: boolean): void;
  /** Once, when the socket has closed. */
  onClose?(state: S): void;
}

export interface WsGatewayOptions {
  maxConnections: number;
  maxConnectionsPerIp: number;
  maxBufferedBytes: number;
  heartbeatMs: number;
  /** Pings a client may send per socket; each is answered with a pong. */
  pings: BucketPolicy;
  /** Which hops of X-Forwarded-For are our proxies (false: none, the socket address is the client's). */
  proxyTrust: ProxyTrust | false;
  /** Per-address connection counts: this process's, or shared by every node. */
  slots: ConnectionSlots;
  onError: (err: unknown) => void;
}

interface Registered {
  endpoint: WsEndpoint<unknown, unknown>;
  server: WebSocketServer;
  /** Its sockets' caps per client address, shared by all of them. */
  caps: SlotCap[];
}

/** Routes HTTP upgrades to WebSocket dialects and enforces the limits every socket shares. */
export class WsGateway {
  private readonly endpoints: Registered[] = [];
  private readonly routes = new WsRouteTable<Registered>();
  private readonly connections = new Set<WsConnection>();
  private readonly heartbeat: NodeJS.Timeout;
  private accepting = true;

  /** The listeners every socket has, shared by all of them. */
  private readonly listeners: {
    pong: (this: WebSocket) => void;
    ping: (this: WebSocket, data: Buffer) => void;
    message: (this: WebSocket, data: RawData, isBinary: boolean) => void;
    close: (this: WebSocket) => void;
  };

  constructor(private readonly options: WsGatewayOptions) {
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs);
    this.heartbeat.unref();
    const { connections } = this;
    this.listeners = {
      pong() {
        const connection = connectionOf(this);
        if (connection !== undefined) connection.alive = true;
      },
      ping(data) {
        connectionOf(this)?.answerPing(data, options.pings);
      },
      message(data, isBinary) {
        const connection = connectionOf(this);
        if (connection !== undefined) connection.endpoint.onMessage?.(connection.state as never, data, isBinary);
      },
      // 'close' is emitted once: `on` spares the wrapper `once` allocates per socket. (The slots come back with the socket.)
      close() {
        const connection = connectionOf(this);
        if (connection === undefined) return;
        connections.delete(connection);
        // No state: onConnection failed, there is nothing of the endpoint's to close.
        if (connection.state !== undefined) connection.endpoint.onClose?.(connection.state as never);
      },
    };
  }

  register<M, S>(endpoint: WsEndpoint<M, S>): void {
    // Pings are answered by WsConnection, within a budget: ws's own answer cuts a flood off without a close frame.
    const server = new WebSocketServer({
      noServer: true,
      maxPayload: endpoint.maxPayload,
      clientTracking: false,
      perMessageDeflate: false,
      autoPong: false,
      WebSocket: GatewaySocket,
    });
    const registered: Registered = { endpoint: endpoint as WsEndpoint<unknown, unknown>, server, caps: this.slotCaps(endpoint) };
    for (const route of endpoint.routes) this.routes.add(route, registered, endpoint.name);
    this.endpoints.push(registered);
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.handleUpgrade(req, socket, head).catch((err: unknown) => {
        // A backend that cannot answer (503 from the database or Redis) is said as such; anything else is a fault.
        if (err instanceof ApiError) return writeRawError(socket, err);
        this.options.onError(err);
        writeRawError(socket, new ApiError(500, 'INTERNAL_ERROR', 'Internal server error'));
      });
    });
  }

  connectionCount(): number {
    return this.connections.size;
  }

  countsByDialect(): Record<string, number> {
    const counts: Record<string, number> = Object.fromEntries(this.endpoints.map((r) => [r.endpoint.name, 0]));
    for (const c of this.connections) counts[c.dialect] = (counts[c.dialect] ?? 0) + 1;
    return counts;
  }

  /** Stops accepting and closes every socket with `code` (clients reconnect elsewhere). */
  close(code: number, reason: string): void {
    this.accepting = false;
    clearInterval(this.heartbeat);
    for (const connection of this.connections) connection.close(code, reason);
  }

  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', destroyOnError);
    const found = this.routes.find(new URL(req.url ?? '/', 'http://whispr.invalid'));
    if (found === undefined) return writeRawError(socket, new ApiError(404, 'NOT_FOUND', 'No WebSocket endpoint at this path'));
    if (!this.accepting) return writeRawError(socket, shuttingDown());
    const { target: registered, request } = found;
    const match = registered.endpoint.parse(request);
    const ip = clientAddress(req, this.options.proxyTrust);
    if (this.connections.size >= this.options.maxConnections) {
      return writeRawError(socket, new ApiError(503, 'TOO_MANY_CONNECTIONS', 'Server connection limit reached', 5));
    }
    // Held from here on, so a burst of slow handshakes cannot overshoot the limits; given back when the socket closes.
    if (!(await holdSlotsWhileOpen(this.options.slots, registered.caps, ip, socket, this.options.onError))) {
      return writeRawError(socket, new ApiError(429, 'TOO_MANY_CONNECTIONS', 'Too many connections from this address', 5));
    }
    await registered.endpoint.authorize?.(match, req, request.url, ip);
    // close() may have run while authorizing: a socket accepted now would never be told to go.
    if (!this.accepting) return writeRawError(socket, shuttingDown());
    registered.server.handleUpgrade(req, socket, head, (ws) => this.accept(ws as GatewaySocket, registered.endpoint, match, ip, socket));
  }

  /** An upgraded socket: the gateway's connection, the shared listeners, then the endpoint's own. */
  private accept(ws: GatewaySocket, endpoint: WsEndpoint<unknown, unknown>, match: unknown, ip: string, socket: Duplex): void {
    // ws listens for the socket's errors from here on (and destroys it): a second listener would only cost an array.
    socket.off('error', destroyOnError);
    const connection = new WsConnection(ws, endpoint, ip, this.options.maxBufferedBytes, socket);
    ws.connection = connection;
    this.connections.add(connection);
    ws.on('pong', this.listeners.pong);
    ws.on('ping', this.listeners.ping);
    ws.on('error', terminateOnError);
    ws.on('close', this.listeners.close);
    try {
      connection.state = endpoint.onConnection(connection, match);
      if (endpoint.onMessage !== undefined) ws.on('message', this.listeners.message);
    } catch (err) {
      this.options.onError(err);
      connection.close(CLOSE.internal, 'internal error');
    }
  }

  /** An address's gateway-wide cap and, if the endpoint caps addresses itself, the endpoint's. */
  private slotCaps(endpoint: Pick<WsEndpoint, 'name' | 'maxConnectionsPerIp'>): SlotCap[] {
    const address = { prefix: '', cap: this.options.maxConnectionsPerIp };
    return endpoint.maxConnectionsPerIp === undefined ? [address] : [address, { prefix: `${endpoint.name} `, cap: endpoint.maxConnectionsPerIp }];
  }

  private beat(): void {
    for (const connection of this.connections) {
      if (!connection.alive) {
        connection.ws.terminate();
        continue;
      }
      connection.alive = false;
      connection.ws.ping();
    }
  }
}

const shuttingDown = () => new ApiError(503, 'SHUTTING_DOWN', 'Server is shutting down', 1);

// Shared listeners (`this` is the emitter): no closure per socket.
function destroyOnError(this: Duplex): void {
  this.destroy();
}

function terminateOnError(this: WebSocket): void {
  this.terminate();
}
