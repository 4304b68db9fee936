/**
 * Every way a WebSocket handshake can fail gives back the connection slots it took, exactly once,
 * with the slots of one process and with the slots every node shares in Redis: afterwards the same
 * address is served up to its caps, and no further. The gateway runs on a plain HTTP server with
 * test endpoints (one whose authorization waits until the test lets it go); raw TCP clients fail the
 * handshakes and keep their own end open, so only the server can have closed each socket.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type WebSocket from 'ws';
import { createLocalConnectionSlots, type ConnectionSlots } from '../../src/cluster/connection-slots.js';
import { createRedisConnectionSlots } from '../../src/cluster/redis-connection-slots.js';
import { unauthorized } from '../../src/core/errors.js';
import { CLOSE, WsGateway, type WsEndpoint } from '../../src/http/ws-gateway.js';
import { closed, openWs, rawExchange, rawSocket, refusedStatus, upgradeRequest, wsUrl } from '../relay/helpers.js';
import { eventually } from '../support/eventually.js';
import { useRedisScratch, type RedisScratch } from '../support/redis-scratch.js';
import { requireRedis } from '../support/services.js';
import { slotLedger, type SlotLedger } from './slot-ledger.js';

const GATEWAY_CAP = 3; // per address, over every endpoint
const ENDPOINT_CAP = 2; // per address, on each endpoint
const ATTEMPTS = GATEWAY_CAP + 2; // more failures than there are slots: a leak of one slot each would show

const redisAvailable = await requireRedis('test/gateway/failed-handshakes.test.ts');

interface Gateway {
  url: string;
  gateway: WsGateway;
  slots: SlotLedger;
  /** Authorizations of /gated waiting for the test: calling one lets it go on. */
  waiting: Array<() => void>;
  /** While set, every slot acquisition waits in `acquiring` until the test lets it go on. */
  holdAcquisitions: boolean;
  acquiring: Array<() => void>;
  /** The server's end of every upgrade request, in order. */
  upgraded: Duplex[];
  errors: unknown[];
  close(): Promise<void>;
}

async function startGateway(driver: ConnectionSlots): Promise<Gateway> {
  const acquiring: Array<() => void> = [];
  const upgraded: Duplex[] = [];
  const harness = { holdAcquisitions: false, acquiring, upgraded };
  const slots = slotLedger(driver, () => (harness.holdAcquisitions ? new Promise<void>((resolve) => acquiring.push(resolve)) : Promise.resolve()));
  const waiting: Array<() => void> = [];
  const errors: unknown[] = [];
  const gateway = new WsGateway({
    maxConnections: 1_000,
    maxConnectionsPerIp: GATEWAY_CAP,
    maxBufferedBytes: 65_536,
    heartbeatMs: 60_000,
    pings: { ratePerSecond: 10, burst: 20 },
    proxyTrust: false,
    slots,
    onError: (err) => errors.push(err),
  });
  const endpoint = (path: string, authorize?: () => Promise<void>): WsEndpoint<true> => ({
    name: path.slice(1),
    maxPayload: 1024,
    maxConnectionsPerIp: ENDPOINT_CAP,
    routes: [{ path }],
    parse: () => true,
    ...(authorize === undefined ? {} : { authorize }),
    onConnection: () => undefined,
  });
  gateway.register(endpoint('/open'));
  gateway.register(endpoint('/other'));
  gateway.register(endpoint('/gated', () => new Promise<void>((resolve) => waiting.push(resolve))));
  gateway.register(
    endpoint('/refusing', async () => {
      throw unauthorized('TOKEN_REQUIRED', 'no token');
    }),
  );
  gateway.register(
    endpoint('/faulty', async () => {
      throw new Error('authorization broke');
    }),
  );
  const server = createServer((_req, res) => res.writeHead(404).end());
  gateway.attach(server);
  server.on('upgrade', (_req, socket: Duplex) => upgraded.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(harness, {
    url: `http://127.0.0.1:${port}`,
    gateway,
    slots,
    waiting,
    errors,
    async close() {
      gateway.close(CLOSE.serviceRestart, 'test over');
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await slots.close();
    },
  });
}

interface Driver {
  name: string;
  available: boolean;
  open(scratch: RedisScratch): Promise<ConnectionSlots>;
  /** Slot counts left in the driver's shared store (Redis); one process has none but the ledger's. */
  stored(scratch: RedisScratch): Promise<number>;
}

const drivers: Driver[] = [
  { name: 'slots of one process', available: true, open: async () => createLocalConnectionSlots(), stored: async () => 0 },
  {
    name: 'slots shared in Redis',
    available: redisAvailable,
    open: async (scratch) => createRedisConnectionSlots(await scratch.connect(), { nodeId: randomUUID(), keyPrefix: `${scratch.prefix}slots:` }),
    stored: async (scratch) => (await scratch.keys('slots:count:*')).length,
  },
];

describe.each(drivers.map((d, index) => ({ ...d, index })))('$name', ({ available, open, stored, index }) => {
  const scratch = useRedisScratch();
  let gw: Gateway;
  const clients: Array<Socket | WebSocket> = [];
  let lastHost = 10;
  /** Each test speaks from its own loopback address. */
  const nextAddress = () => `127.0.${index + 40}.${++lastHost}`;

  beforeAll(async () => {
    if (available) gw = await startGateway(await open(scratch));
  });
  afterAll(async () => {
    await gw?.close();
  });
  afterEach(() => {
    for (const client of clients.splice(0)) 'terminate' in client ? client.terminate() : client.destroy();
  });

  /** A raw TCP client from `from` that keeps its end open until the test is over. */
  const connect = async (from: string) => {
    const socket = await rawSocket(gw.url, { localAddress: from, allowHalfOpen: true });
    clients.push(socket);
    return socket;
  };

  /** Nothing held, nothing given back twice (and nothing left in Redis); then `from` gets every slot of its caps, and no more. */
  async function expectServedUpToCaps(from: string): Promise<void> {
    await eventually(() => gw.slots.outstanding() === 0);
    await eventually(async () => (await stored(scratch)) === 0);
    const options = { localAddress: from };
    const ws = (path: string) => wsUrl(gw.url, path);
    for (let i = 0; i < ENDPOINT_CAP; i++) clients.push(await openWs(ws('/open'), options));
    expect(await refusedStatus(ws('/open'), options)).toBe(429);
    for (let i = ENDPOINT_CAP; i < GATEWAY_CAP; i++) clients.push(await openWs(ws('/other'), options));
    expect(await refusedStatus(ws('/other'), options)).toBe(429);
    expect(gw.slots.overReleases()).toBe(0);
  }

  const refusals: Array<[string, string, number]> = [
    ['a malformed Sec-WebSocket-Key (ws refuses)', upgradeRequest('/open', { 'Sec-WebSocket-Key': 'not-a-key' }), 400],
    ['an unsupported Sec-WebSocket-Version (ws refuses)', upgradeRequest('/open', { 'Sec-WebSocket-Version': '7' }), 400],
    ['no Sec-WebSocket-Key (ws refuses)', upgradeRequest('/open', { 'Sec-WebSocket-Key': undefined }), 400],
    ['no Sec-WebSocket-Version (ws refuses)', upgradeRequest('/open', { 'Sec-WebSocket-Version': undefined }), 400],
    ['an Upgrade other than websocket (ws refuses)', upgradeRequest('/open', { Upgrade: 'carrier-pigeon' }), 400],
    ['a malformed Sec-WebSocket-Protocol (ws refuses)', upgradeRequest('/open', { 'Sec-WebSocket-Protocol': 'chat,,' }), 400],
    ['an authorization that refuses', upgradeRequest('/refusing'), 401],
    ['an authorization that throws', upgradeRequest('/faulty'), 500],
  ];

  test.runIf(available).each(refusals)('%s: answered, closed by the server, every slot given back', async (_name, request, status) => {
    const from = nextAddress();
    const faults = gw.errors.length;
    for (let i = 0; i < ATTEMPTS; i++) {
      const socket = await connect(from);
      const ended = new Promise((resolve) => socket.once('end', resolve));
      expect((await rawExchange(socket, request)).status).toBe(status);
      // The server closed its end although the client kept its own open.
      await ended;
    }
    // Only a throwing authorization is a fault of the server (logged as an error).
    expect(gw.errors.length - faults).toBe(status === 500 ? ATTEMPTS : 0);
    await expectServedUpToCaps(from);
  });

  const leavings: Array<[string, (socket: Socket) => void]> = [
    ['closes its socket', (socket) => socket.destroy()],
    ['resets its connection', (socket) => socket.resetAndDestroy()],
    ['half-closes its socket', (socket) => socket.end()],
  ];

  /** Sends an upgrade for `path` and, once the server parked it in `parked`, has the client leave; resolves with its place there. */
  async function leaveWhileParked(from: string, path: string, parked: Array<() => void>, leave: (socket: Socket) => void): Promise<number> {
    const socket = await connect(from);
    const at = parked.length;
    socket.write(upgradeRequest(path));
    await eventually(() => parked.length === at + 1);
    leave(socket);
    return at;
  }

  test.runIf(available).each(leavings)('a client that %s while it is being authorized gives its slots back', async (_name, leave) => {
    const from = nextAddress();
    for (let i = 0; i < ATTEMPTS; i++) gw.waiting[await leaveWhileParked(from, '/gated', gw.waiting, leave)]!();
    await expectServedUpToCaps(from);
  });

  test.runIf(available).each(leavings)('a client that %s while its slots are being taken gives them back', async (_name, leave) => {
    const from = nextAddress();
    gw.holdAcquisitions = true;
    try {
      for (let i = 0; i < ATTEMPTS; i++) {
        const at = await leaveWhileParked(from, '/open', gw.acquiring, leave);
        // The acquisitions (the address's, then the endpoint's) go on once the server has seen the client go.
        const serverEnd = gw.upgraded.at(-1)!;
        await eventually(() => !serverEnd.readable);
        gw.acquiring[at]!();
        // A socket the server saw close (a reset) takes no second slot; one only ended (FIN) goes on.
        if (!serverEnd.destroyed) {
          await eventually(() => gw.acquiring.length === at + 2);
          gw.acquiring[at + 1]!();
        }
      }
    } finally {
      gw.holdAcquisitions = false;
    }
    await expectServedUpToCaps(from);
  });

  test.runIf(available)('a closed WebSocket gives its slots back (and only its own)', async () => {
    const from = nextAddress();
    const options = { localAddress: from };
    const kept = await openWs(wsUrl(gw.url, '/other'), options);
    clients.push(kept);
    for (let i = 0; i < ATTEMPTS; i++) {
      const ws = await openWs(wsUrl(gw.url, '/open'), options);
      const code = closed(ws);
      if (i % 2 === 0) ws.close();
      else ws.terminate();
      await code;
    }
    await eventually(() => gw.slots.outstanding() === 2);
    kept.terminate();
    await expectServedUpToCaps(from);
  });

  test.runIf(available)('shutdown: a handshake being authorized is refused with 503, open sockets are closed with 1012, every slot comes back', async () => {
    const own = await startGateway(await open(scratch));
    const from = nextAddress();
    try {
      const accepted = await openWs(wsUrl(own.url, '/open'), { localAddress: from });
      clients.push(accepted);
      const code = closed(accepted);
      const raw = await rawSocket(own.url, { localAddress: from, allowHalfOpen: true });
      clients.push(raw);
      const answer = rawExchange(raw, upgradeRequest('/gated'));
      await eventually(() => own.waiting.length === 1);
      own.gateway.close(CLOSE.serviceRestart, 'restarting');
      own.waiting[0]!();
      expect((await answer).status).toBe(503);
      expect(await code).toBe(CLOSE.serviceRestart);
      await eventually(() => own.slots.outstanding() === 0);
      expect(own.slots.overReleases()).toBe(0);
      await eventually(async () => (await stored(scratch)) === 0);
    } finally {
      await own.close();
    }
  });
});
