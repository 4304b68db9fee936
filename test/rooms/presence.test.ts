/** Rooms: join/leave/disconnect presence, room switching, rooms appearing and vanishing, the three paths. */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';
import { openWs, sleep, wsUrl } from '../relay/helpers.js';
import { statusFigures } from '../support/server-status.js';
import { CIPHERTEXT, connectRoom, type RoomClient, roomCounters, roomHealth } from './room-helpers.js';

let srv: RunningServer;
const open: RoomClient[] = [];
beforeAll(async () => {
  srv = await startServer();
});
afterEach(() => {
  for (const c of open.splice(0)) c.ws.terminate();
});
afterAll(async () => {
  await srv.stop();
});

async function client(path = '/rooms'): Promise<RoomClient> {
  const c = await connectRoom(srv, path);
  open.push(c);
  return c;
}

let roomSerial = 0;
const freshRoom = () => `room-${++roomSerial}`;

describe('join', () => {
  test('the joiner gets userList with the users already there (avatar null); the others get userJoined', async () => {
    const room = freshRoom();
    const [alice, bob, carol] = [await client(), await client(), await client()];
    expect(await alice.join(room, 'alice', 'Alice')).toEqual([]);

    expect(await bob.join(room, 'bob', 'Bob')).toEqual([{ id: 'alice', name: 'Alice', avatar: null }]);
    expect(await alice.next()).toEqual({ type: 'userJoined', payload: { userId: 'bob', username: 'Bob' } });

    expect(await carol.join(room, 'carol-1', 'Carol Smith')).toEqual([
      { id: 'alice', name: 'Alice', avatar: null },
      { id: 'bob', name: 'Bob', avatar: null },
    ]);
    const joined = { type: 'userJoined', payload: { userId: 'carol-1', username: 'Carol Smith' } };
    expect(await alice.next()).toEqual(joined);
    expect(await bob.next()).toEqual(joined);

    // Nobody hears about their own join.
    await Promise.all([alice.sync(), bob.sync(), carol.sync()]);
    expect([...alice.unread(), ...bob.unread(), ...carol.unread()]).toEqual([]);
  });

  test('userList reaches the joiner before userJoined reaches the others', async () => {
    // One arrival sequence across both sockets of this process: the server writes userList to the
    // joiner first, so on loopback it is read first (the Node relay wrote userJoined first).
    const room = freshRoom();
    const [alice, bob, carol] = [await client(), await client(), await client()];
    await alice.join(room, 'alice');
    await bob.join(room, 'bob');
    await alice.next('userJoined');
    const arrivals: string[] = [];
    for (const [who, c] of [
      ['alice', alice],
      ['bob', bob],
      ['carol', carol],
    ] as const) {
      c.ws.on('message', (data) => arrivals.push(`${who}:${(JSON.parse(String(data)) as { type: string }).type}`));
    }
    carol.send({ type: 'join', payload: { roomId: room, userId: 'carol', username: 'Carol' } });
    await alice.next('userJoined');
    await bob.next('userJoined');
    expect(arrivals[0]).toBe('carol:userList');
    expect(arrivals.slice(1).sort()).toEqual(['alice:userJoined', 'bob:userJoined']);
  });

  test('the same userId twice: the second connection gets USER_ID_TAKEN, the first hears nothing (one id, one connection)', async () => {
    const room = freshRoom();
    const [a, b] = [await client(), await client()];
    await a.join(room, 'same', 'Same');
    expect(await b.errorFor({ type: 'join', payload: { roomId: room, userId: 'same', username: 'Same' } })).toBe('USER_ID_TAKEN');
    await a.sync();
    expect(a.unread()).toEqual([]);
    // The same id in another room is another member.
    expect(await b.join(freshRoom(), 'same', 'Same')).toEqual([]);
  });
});

describe('leaving', () => {
  test('leave sends userLeft to the rest; the leaver hears nothing more from the room', async () => {
    const room = freshRoom();
    const [alice, bob, carol] = [await client(), await client(), await client()];
    await alice.join(room, 'alice');
    await bob.join(room, 'bob');
    await carol.join(room, 'carol');
    await alice.next('userJoined');
    await alice.next('userJoined');
    await bob.next('userJoined');

    bob.send({ type: 'leave' });
    expect(await alice.next()).toEqual({ type: 'userLeft', payload: { userId: 'bob' } });
    expect(await carol.next()).toEqual({ type: 'userLeft', payload: { userId: 'bob' } });

    alice.send({ type: 'message', payload: { encrypted: CIPHERTEXT } });
    expect((await carol.next()).type).toBe('message');
    await bob.sync();
    expect(bob.unread()).toEqual([]);
    // A second leave, or one outside any room, is harmless and silent.
    bob.send({ type: 'leave' });
    await bob.sync();
    expect(bob.unread()).toEqual([]);
  });

  test('a disconnect sends userLeft', async () => {
    const room = freshRoom();
    const [alice, bob] = [await client(), await client()];
    await alice.join(room, 'alice');
    await bob.join(room, 'bob');
    await alice.next('userJoined');
    bob.ws.terminate();
    expect(await alice.next()).toEqual({ type: 'userLeft', payload: { userId: 'bob' } });
  });

  test('joining another room leaves the old one first (userLeft there, userJoined in the new one)', async () => {
    const [one, two] = [freshRoom(), freshRoom()];
    const [alice, bob, carol] = [await client(), await client(), await client()];
    await alice.join(one, 'alice');
    await carol.join(two, 'carol', 'Carol');
    await bob.join(one, 'bob');
    await alice.next('userJoined');

    expect(await bob.join(two, 'bob2', 'Bob Two')).toEqual([{ id: 'carol', name: 'Carol', avatar: null }]);
    // userLeft carries the identity of the old join.
    expect(await alice.next()).toEqual({ type: 'userLeft', payload: { userId: 'bob' } });
    expect(await carol.next()).toEqual({ type: 'userJoined', payload: { userId: 'bob2', username: 'Bob Two' } });

    // Rejoining the same room: userLeft then userJoined for the others, a fresh list for the joiner.
    expect(await bob.join(two, 'bob3', 'Bob Three')).toEqual([{ id: 'carol', name: 'Carol', avatar: null }]);
    expect(await carol.next()).toEqual({ type: 'userLeft', payload: { userId: 'bob2' } });
    expect(await carol.next()).toEqual({ type: 'userJoined', payload: { userId: 'bob3', username: 'Bob Three' } });
  });
});

test('rooms appear on first join and vanish when empty (health: active_rooms, total_users; rooms counters in /metrics)', async () => {
  const own = await startServer();
  try {
    const start = await roomHealth(own);
    expect(start).toMatchObject({ active_rooms: 0, total_users: 0, active_connections: 0 });
    expect(await roomCounters(own)).toMatchObject({ active_rooms: 0, total_users: 0, messages_relayed: 0, rate_limited: 0, invalid_frames: 0 });

    const [a, b, c] = [await connectRoom(own), await connectRoom(own), await connectRoom(own)];
    expect(await roomHealth(own)).toMatchObject({ active_connections: 3, active_rooms: 0, total_users: 0, stats: { active_connections: 3 } });
    await a.join('alpha', 'a');
    await b.join('alpha', 'b');
    await c.join('beta', 'c');
    a.send({ type: 'message', payload: { encrypted: CIPHERTEXT } });
    await b.next('message');
    expect(await roomHealth(own)).toMatchObject({ active_rooms: 2, total_users: 3, stats: { active_rooms: 2, total_users: 3 } });
    expect(await roomCounters(own)).toMatchObject({ active_rooms: 2, total_users: 3, messages_relayed: 1 });
    // The root path serves the same document.
    expect(await roomHealth(own, '/')).toMatchObject({ active_rooms: 2, total_users: 3 });

    c.send({ type: 'leave' });
    await c.sync();
    expect(await roomHealth(own)).toMatchObject({ active_rooms: 1, total_users: 2 });
    a.close();
    await b.next('userLeft');
    expect(await roomHealth(own)).toMatchObject({ active_rooms: 1, total_users: 1 });
    b.ws.terminate();
    await eventually(async () => (await roomHealth(own)).active_rooms === 0);
    expect(await roomHealth(own)).toMatchObject({ active_rooms: 0, total_users: 0 });
    c.close();
    await eventually(async () => (await roomHealth(own)).active_connections === 0);
  } finally {
    await own.stop();
  }
});

test('/rooms, /ws, /ws/ and / all reach the rooms endpoint and share rooms', async () => {
  const room = freshRoom();
  const [viaRooms, viaWs, viaWsSlash, viaRoot] = [await client('/rooms'), await client('/ws'), await client('/ws/'), await client('/')];
  await viaRooms.join(room, 'r');
  expect(await viaWs.join(room, 'w')).toHaveLength(1);
  expect(await viaWsSlash.join(room, 'ws')).toHaveLength(2);
  expect((await viaRoot.join(room, 'root')).map((u) => u.id)).toEqual(['r', 'w', 'ws']);
  viaRoot.send({ type: 'message', payload: { encrypted: CIPHERTEXT } });
  for (const c of [viaRooms, viaWs, viaWsSlash]) expect(await c.next('message')).toMatchObject({ payload: CIPHERTEXT });
  // Query strings other than recipient/token do not change the route.
  const withQuery = await client('/ws?v=2');
  expect(await withQuery.join(room, 'q')).toHaveLength(4);
});

test('/ws?recipient=<hex> is still the Whispr push socket, not a room socket', async () => {
  const compat = await startServer({ security: 'compat' });
  try {
    const alice = compat.client({ auth: 'none' });
    const bob = compat.client({ auth: 'none' });
    const push = await openWs(wsUrl(compat.url, `/ws?recipient=${bob.address}`));
    const frames: Array<Record<string, unknown>> = [];
    push.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
    expect(await statusFigures(compat)).toMatchObject({ 'websocket_connections.whispr': 1, 'websocket_connections.rooms': 0 });

    // A room frame is not understood there.
    push.send(JSON.stringify({ type: 'join', payload: { roomId: 'r', userId: 'u', username: 'U' } }));
    await eventually(() => frames.length === 1);
    expect(frames[0]).toMatchObject({ type: 'error', error_code: 'UNSUPPORTED_FRAME' });
    expect((await roomHealth(compat)).active_rooms).toBe(0);

    // A direct message to bob is pushed on it.
    const sent = await alice.send(bob.address, 'hello over push');
    await eventually(() => frames.length === 2);
    expect(frames[1]).toMatchObject({ id: sent.id, from: alice.signingKey, to: bob.address });
    await sleep(20);
    push.terminate();
  } finally {
    await compat.stop();
  }
});
