import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocketServer } from 'ws';
import type { ConnectionSlots } from '../cluster/connection-slots.js';
import { ApiError } from '../core/errors.js';
import type { ProxyTrust } from '../core/proxy-trust.js';
import type { BucketPolicy } from '../rate-limit/rate-limiter.js';
import { clientAddress } from './client-address.js';
import { writeRawError } from './raw-error-response.js';
import { giveBackSlots, holdSlotsWhileOpen, type SlotCap, slotsFollowWebSocket } from './upgrade-slots.js';
import { CLOSE, type ConnectionShared, GatewaySocket, WsConnection } from './ws-connection.js';
import { type WsRequestTarget, type WsRoute, WsRouteTable } from './ws-routes.js';

export { CLOSE, WsConnection } from './ws-connection.js';

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

  /** What every connection of this gateway shares. */
  private readonly shared: ConnectionShared;

  constructor(private readonly options: WsGatewayOptions) {
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs);
    this.heartbeat.unref();
    const { connections } = this;
    this.shared = {
      maxBufferedBytes: options.maxBufferedBytes,
      pings: options.pings,
      closed(connection, socket) {
        connections.delete(connection);
        giveBackSlots(socket);
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

  /** An upgraded socket: the gateway's connection (which handles the socket's events before any listener), then the endpoint's state. */
  private accept(ws: GatewaySocket, endpoint: WsEndpoint<unknown, unknown>, match: unknown, ip: string, socket: Duplex): void {
    // ws listens for the socket's errors (and destroys it) and its close from here on: a listener of ours beside its would only cost an array.
    socket.off('error', destroyOnError);
    slotsFollowWebSocket(socket);
    const connection = new WsConnection(ws, endpoint, ip, this.shared, socket);
    ws.connection = connection;
    this.connections.add(connection);
    try {
      connection.state = endpoint.onConnection(connection, match);
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

// A shared listener (`this` is the emitter): no closure per socket.
function destroyOnError(this: Duplex): void {
  this.destroy();
}
