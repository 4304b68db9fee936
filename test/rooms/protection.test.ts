/**
 * Rooms: connections per address, IP blocks that grow for repeat offenders, heartbeat and shutdown.
 * Each test speaks from its own loopback address (127.0.0.x), so a block in one cannot leak into another.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { advanceDate, stoppedDate } from '../support/fake-date.js';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';
import { openWs, wsUrl } from '../relay/helpers.js';
import { CIPHERTEXT, connectRoom, refusal, RoomClient, roomCounters, roomHealth } from './room-helpers.js';

const from = (host: string) => ({ localAddress: host });

describe('connections per address (rooms_connections_per_ip: 2)', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ rooms_connections_per_ip: 2 });
  });
  afterAll(async () => {
    await srv.stop();
  });

  test('the third upgrade from one address gets HTTP 429; other addresses are not affected; closing one frees a slot', async () => {
    const url = wsUrl(srv.url, '/rooms');
    const [one, two] = [await connectRoom(srv, '/rooms', from('127.0.0.11')), await connectRoom(srv, '/ws', from('127.0.0.11'))];
    // The cap covers every rooms path together.
    for (const path of ['/rooms', '/ws', '/']) {
      const refused = await refusal(wsUrl(srv.url, path), from('127.0.0.11'));
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ error_code: 'TOO_MANY_CONNECTIONS', detail: expect.any(String) });
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    }
    const other = await openWs(url, from('127.0.0.12'));

    one.close();
    await one.closed();
    let third: RoomClient | undefined;
    await eventually(async () => {
      third = await connectRoom(srv, '/rooms', from('127.0.0.11')).catch(() => undefined);
      return third !== undefined;
    });
    expect(await third!.join('after', 'u')).toEqual([]);
    expect((await refusal(url, from('127.0.0.11'))).status).toBe(429);
    for (const ws of [two.ws, third!.ws, other]) ws.terminate();
  });
});

describe('IP blocks (3 violations, 0.5 s, doubling)', () => {
  // Blocks and violation windows are kept by Date: stopped, only advanceDate moves them, however slow the test.
  stoppedDate();
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ rooms_violations_before_block: 3, rooms_block_seconds: 0.5, rooms_block_max_seconds: 60 });
  });
  afterAll(async () => {
    await srv.stop();
  });

  /** Commits `n` violations on a fresh socket from `host`; resolves with its close code once it closes. */
  async function offend(host: string, n = 3): Promise<{ code: number; codes: string[] }> {
    const c = await connectRoom(srv, '/rooms', from(host));
    const closedWith = c.closed();
    const codes: string[] = [];
    for (let i = 0; i < n; i++) codes.push(await c.errorFor('not json'));
    return { code: await closedWith, codes };
  }

  const blockedStatus = async (host: string) => {
    try {
      return (await refusal(wsUrl(srv.url, '/rooms'), from(host))).status;
    } catch (err) {
      if ((err as Error).message.includes('was accepted')) return 101;
      throw err;
    }
  };

  test('the Nth violation closes the socket 1008; new upgrades get 403 IP_BLOCKED with Retry-After; the block expires', async () => {
    const bystander = await connectRoom(srv, '/rooms', from('127.0.0.22'));
    const before = await roomCounters(srv);
    expect(await offend('127.0.0.21')).toEqual({ code: 1008, codes: ['INVALID_MESSAGE', 'INVALID_MESSAGE', 'INVALID_MESSAGE'] });

    for (const path of ['/rooms', '/ws', '/']) {
      const refused = await refusal(wsUrl(srv.url, path), from('127.0.0.21'));
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({ detail: expect.any(String), error_code: 'IP_BLOCKED', timestamp: expect.any(Number) });
      expect(refused.headers['retry-after']).toBe('1');
    }
    const stats = await roomCounters(srv);
    expect(stats.blocks).toBe(before.blocks! + 1);
    expect(stats.blocked_ips).toBe(1);
    expect(stats.violations).toBe(before.violations! + 3);

    // Other addresses, and plain HTTP from the blocked one, are not affected.
    await bystander.sync();
    const again = await connectRoom(srv, '/rooms', from('127.0.0.22'));
    expect(again.ws.readyState).toBe(again.ws.OPEN);
    expect((await fetch(new URL('/health', srv.url))).status).toBe(200);

    advanceDate(800);
    const back = await connectRoom(srv, '/rooms', from('127.0.0.21'));
    expect(await back.join('back', 'u')).toEqual([]);
    expect((await roomCounters(srv)).blocked_ips).toBe(0);
    for (const c of [bystander, again, back]) c.ws.terminate();
  });

  test('violations count per address, across sockets; every kind counts (oversize, rate limits, not in room)', async () => {
    const host = '127.0.0.23';
    const [a, b] = [await connectRoom(srv, '/rooms', from(host)), await connectRoom(srv, '/rooms', from(host))];
    expect(await a.errorFor({ type: 'message', payload: { encrypted: CIPHERTEXT } })).toBe('NOT_IN_ROOM');
    expect(await a.errorFor({ type: 'ping', pad: 'x'.repeat(srv.config.rooms_max_message_size) })).toBe('MESSAGE_TOO_LARGE');
    const bClosed = b.closed();
    expect(await b.errorFor({ type: 'join', payload: { roomId: 'bad room' } })).toBe('INVALID_ROOM_ID');
    expect(await bClosed).toBe(1008);
    // Only the socket that crossed the line is closed; the address is refused from now on.
    await a.sync();
    expect((await refusal(wsUrl(srv.url, '/rooms'), from(host))).body).toMatchObject({ error_code: 'IP_BLOCKED' });
    // While the block lasts, any further violation closes the offender's socket at once.
    const aClosed = a.closed();
    expect(await a.errorFor('oops')).toBe('INVALID_MESSAGE');
    expect(await aClosed).toBe(1008);
  });

  test('a second offence blocks about twice as long', async () => {
    const host = '127.0.0.24';
    expect((await offend(host)).code).toBe(1008);
    advanceDate(500);
    expect(await blockedStatus(host)).toBe(101);

    expect((await offend(host)).code).toBe(1008);
    advanceDate(650);
    // 0.65 s in: a first block (0.5 s) would be over, the second (1 s) is not.
    expect(await blockedStatus(host)).toBe(403);
    advanceDate(650);
    expect(await blockedStatus(host)).toBe(101);
  });

  test('violations spread beyond the window do not add up', async () => {
    const quick = await startServer({ rooms_violations_before_block: 2, rooms_rate_window_ms: 200, rooms_block_seconds: 5 });
    try {
      const c = await connectRoom(quick, '/rooms', from('127.0.0.25'));
      for (let i = 0; i < 3; i++) {
        expect(await c.errorFor('bad')).toBe('INVALID_MESSAGE');
        advanceDate(300);
      }
      await c.sync();
      expect((await roomCounters(quick)).blocks).toBe(0);
      // Two inside one window do.
      const closedWith = c.closed();
      c.send('bad');
      c.send('bad');
      expect(await closedWith).toBe(1008);
    } finally {
      await quick.stop();
    }
  });
});

describe('heartbeat (0.2 s)', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ heartbeat_interval_seconds: 0.2 });
  });
  afterAll(async () => {
    await srv.stop();
  });

  test('a peer that never answers pings is terminated after about two intervals, and the room hears userLeft', async () => {
    const alice = await connectRoom(srv);
    await alice.join('hb', 'alice');
    let pings = 0;
    alice.ws.on('ping', () => (pings += 1));
    const openedAt = Date.now();
    const zombie = new RoomClient(await openWs(wsUrl(srv.url, '/rooms'), { autoPong: false }));
    await zombie.join('hb', 'zombie');
    await alice.next('userJoined');
    const zombieClosed = zombie.closed();

    expect(await alice.next('userLeft', 3_000)).toEqual({ type: 'userLeft', payload: { userId: 'zombie' } });
    const elapsed = Date.now() - openedAt;
    expect(elapsed).toBeGreaterThanOrEqual(150);
    // Generous: the server's heartbeat timers share this process, and a stall here delays them too.
    expect(elapsed).toBeLessThan(2_000);
    // Terminated, not closed: no close frame.
    expect(await zombieClosed).toBe(1006);

    // A peer that answers (ws does by default) stays, idle: a peer that missed a pong gets no more pings.
    const pingsAtLeave = pings;
    await eventually(() => pings >= pingsAtLeave + 5);
    expect(alice.ws.readyState).toBe(alice.ws.OPEN);
    await alice.sync();
    expect((await roomHealth(srv)).total_users).toBe(1);
    alice.ws.terminate();
  });
});

test('shutdown closes every room socket with 1012 (service restart: reconnect)', async () => {
  const srv = await startServer();
  const [a, b, idle] = [await connectRoom(srv), await connectRoom(srv, '/ws'), await connectRoom(srv, '/')];
  await a.join('going', 'a');
  await b.join('going', 'b');
  const reasons = [a, b, idle].map((c) => new Promise<[number, string]>((resolve) => c.ws.once('close', (code, reason) => resolve([code, String(reason)]))));
  await srv.stop();
  for (const [code, reason] of await Promise.all(reasons)) {
    expect(code).toBe(1012);
    expect(reason).toMatch(/reconnect/);
  }
  // Nothing but the close frame was sent on the way out (no userLeft to sockets being closed).
  expect(a.unread().filter((f) => f.type !== 'userJoined')).toEqual([]);
});
