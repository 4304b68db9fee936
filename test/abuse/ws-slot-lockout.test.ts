/**
 * The lockout as reported, on a whole server with the default limits: more upgrades with a malformed
 * Sec-WebSocket-Key from one address than its caps allow (10 on /rooms, 100 over every dialect) are
 * each answered 400 and leave that address served on every dialect, up to its caps and no further,
 * with the slots of one process and with the slots every node shares in Redis (bus=redis).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type WebSocket from 'ws';
import type { Config } from '../../src/config/settings.js';
import { openWs, rawExchange, rawSocket, refusedStatus, upgradeRequest, wsUrl } from '../relay/helpers.js';
import { connectRoom } from '../rooms/room-helpers.js';
import { eventually } from '../support/eventually.js';
import { useRedisScratch } from '../support/redis-scratch.js';
import { REDIS_URL, requireRedis } from '../support/services.js';
import { startServer, type RunningServer } from '../support/test-server.js';

const ROOMS_CAP = 10; // rooms_connections_per_ip
const ADDRESS_CAP = 100; // max_websocket_connections_per_ip

const redisAvailable = await requireRedis('test/abuse/ws-slot-lockout.test.ts');

const deployments = [
  { name: 'one process', redis: false, index: 0 },
  { name: 'bus=redis', redis: true, index: 1 },
];

describe.each(deployments)('$name', ({ redis, index }) => {
  const available = !redis || redisAvailable;
  const scratch = useRedisScratch();
  let srv: RunningServer;
  const sockets: WebSocket[] = [];
  beforeAll(async () => {
    const settings: Partial<Config> = redis
      ? { bus: 'redis', redis_url: REDIS_URL, redis_prefix: scratch.prefix, jwt_secret: randomBytes(32).toString('hex') }
      : {};
    if (available) srv = await startServer(settings);
  });
  afterAll(async () => {
    await srv?.stop();
  });
  afterEach(() => {
    for (const ws of sockets.splice(0)) ws.terminate();
  });

  const from = `127.0.${index + 50}.1`;
  const malformed = (path: string) => upgradeRequest(path, { 'Sec-WebSocket-Key': 'AAAA' });

  async function statusOf(request: string): Promise<number> {
    const socket = await rawSocket(srv.url, { localAddress: from });
    try {
      return (await rawExchange(socket, request)).status;
    } finally {
      socket.destroy();
    }
  }

  test.runIf(available)('malformed upgrades past every cap are 400 each; the address then gets its full caps on every dialect, and no more', async () => {
    const bob = srv.client();
    const token = await bob.authenticate();
    for (let i = 0; i < ROOMS_CAP + 5; i++) expect(await statusOf(malformed('/rooms'))).toBe(400);
    // With a good token: ws itself refuses them, after authorization took the slots.
    for (let i = 0; i < ADDRESS_CAP + 5; i++) expect(await statusOf(malformed(`/ws/${bob.address}?token=${token}`))).toBe(400);

    const options = { localAddress: from };
    const push = await openWs(wsUrl(srv.url, `/ws/${bob.address}?token=${token}`), options);
    const signal = await openWs(wsUrl(srv.url, `/signal?token=${token}`), options);
    sockets.push(push, signal);
    for (let i = 0; i < ROOMS_CAP; i++) {
      const room = await connectRoom(srv, '/rooms', options);
      sockets.push(room.ws);
      if (i === 0) expect(await room.join('after-the-flood', 'u1')).toEqual([]);
    }
    expect(await refusedStatus(wsUrl(srv.url, '/rooms'), options)).toBe(429);
    // Another address was never affected.
    sockets.push(await openWs(wsUrl(srv.url, '/rooms'), { localAddress: `127.0.${index + 50}.2` }));

    for (const ws of sockets.splice(0)) ws.terminate();
    // Nothing left counted in Redis once every socket is gone.
    if (redis) await eventually(async () => (await scratch.keys('slots:count:*')).length === 0);
  });
});
