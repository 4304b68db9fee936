/** Private-comm accounts with their sockets on different nodes: messages, call events, one connection per account. */
import { afterEach, describe, expect, test } from 'vitest';
import type WebSocket from 'ws';
import { AccountClient, encryptedMessage, sign, toHex } from 'whispr-sdk';
import { identityKey, phoneHash } from '../accounts/account-kit.js';
import { eventually } from '../support/eventually.js';
import { clusterServicesAvailable, httpCall, rawSocket, useCluster, wsOf, type ClusterNode, type Frame } from './cluster-kit.js';

const available = await clusterServicesAvailable('test/cluster/accounts.test.ts');
const SDP = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

describe.runIf(available)('cluster: private-comm accounts across nodes', () => {
  const ctx = useCluster();
  const opened: WebSocket[] = [];
  afterEach(() => {
    for (const ws of opened.splice(0)) ws.terminate();
  });

  /** A registered account whose HTTP calls (registration, login) go to `node`. */
  const account = async (node: ClusterNode) => {
    const client = new AccountClient(node.url, phoneHash(), identityKey());
    await client.register(3);
    return client as AccountClient & { userId: string };
  };
  /** The account socket of `client` on `node`. */
  const connect = async (client: AccountClient, node: ClusterNode) => {
    const socket = await rawSocket(wsOf(node, `/ws?token=${encodeURIComponent(await client.accessToken())}`));
    opened.push(socket.ws);
    const next = async (match: (f: Frame) => boolean, timeoutMs = 3_000) => {
      let found: Frame | undefined;
      await eventually(() => {
        found = socket.frames.find(match);
        return found !== undefined;
      }, timeoutMs).catch(() => {
        throw new Error(`no matching frame on ${node.name}; got ${JSON.stringify(socket.frames)}`);
      });
      return found!;
    };
    return { ...socket, send: (frame: unknown) => socket.ws.send(JSON.stringify(frame)), next };
  };

  test('encrypted_message sent on B reaches the recipient socket on A; pending messages follow a reconnect on C', async () => {
    const { A, B, C } = ctx.cluster;
    const alice = await account(A);
    const bob = await account(B);
    const onA = await connect(alice, A);
    const fromB = await connect(bob, B);

    fromB.send(encryptedMessage(alice.userId, Buffer.from('sealed for alice')));
    const sent = await fromB.next((f) => f.type === 'sent');
    expect(sent).toEqual({ type: 'sent', message_id: expect.any(String), recipient_id: alice.userId });
    const received = await onA.next((f) => f.type === 'encrypted_message');
    expect(received).toEqual({
      type: 'encrypted_message',
      sender_id: bob.userId,
      payload: Buffer.from('sealed for alice').toString('base64'),
      timestamp: expect.any(String),
      message_id: sent.message_id,
    });

    // Offline: queued in the shared store, delivered on whichever node the recipient comes back to.
    onA.ws.close();
    await onA.closed;
    fromB.send(encryptedMessage(alice.userId, Buffer.from('while away')));
    const second = await fromB.next((f) => f.type === 'sent' && f.message_id !== sent.message_id);
    const onC = await connect(alice, C);
    const pending = await onC.next((f) => f.type === 'encrypted_message');
    expect(pending.message_id).toBe(second.message_id);
    expect(onC.frames.filter((f) => f.type === 'encrypted_message')).toHaveLength(1); // the first one is not sent again
  });

  test('login across nodes: challenge from A, token from B; the token opens the socket on C', async () => {
    const { A, B, C } = ctx.cluster;
    const alice = await account(A);
    const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const challenge = await httpCall(`${A.url}/api/v1/auth/challenge`, json({ phone_hash: alice.phoneHash }));
    expect(challenge.status).toBe(200);
    const signature = toHex(sign(alice.identity, Buffer.from(challenge.body.nonce as string, 'utf8')));
    const issued = await httpCall(`${B.url}/api/v1/auth/token`, json({ phone_hash: alice.phoneHash, nonce: challenge.body.nonce, signature }));
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    expect(issued.body.user_id).toBe(alice.userId);
    // A nonce is accepted once, cluster-wide.
    const replay = await httpCall(`${C.url}/api/v1/auth/token`, json({ phone_hash: alice.phoneHash, nonce: challenge.body.nonce, signature }));
    expect(replay.status).toBe(401);
    const socket = await rawSocket(wsOf(C, `/ws?token=${encodeURIComponent(issued.body.token as string)}`));
    opened.push(socket.ws);
    socket.ws.send(JSON.stringify({ type: 'ping' }));
    await eventually(() => socket.frames.some((f) => f.type === 'pong'), 3_000);
  });

  test('call_offer on A reaches the callee on B; call_answer and call_end come back', async () => {
    const { A, B } = ctx.cluster;
    const alice = await account(A);
    const bob = await account(B);
    const sa = await connect(alice, A);
    const sb = await connect(bob, B);
    type Socket = Awaited<ReturnType<typeof connect>>;
    /** The frame of `type` that `to` receives; on a timeout the error shows what the sender got (e.g. RECIPIENT_OFFLINE). */
    const relayed = (from: Socket, to: Socket, type: string) =>
      to
        .next((f) => f.type === type)
        .catch((e: Error) => {
          throw new Error(`${e.message}; the sender got ${JSON.stringify(from.frames)}`);
        });
    // bob counts as online for the cluster a moment after his upgrade, once B has joined him in the
    // shared presence: until then an offer is refused with RECIPIENT_OFFLINE, and is made again.
    const offered = () => sb.frames.some((f) => f.type === 'call_offer');
    await eventually(async () => {
      const answers = sa.frames.length;
      sa.send({ type: 'call_offer', recipient_id: bob.userId, sdp: SDP });
      await eventually(() => offered() || sa.frames.length > answers, 3_000);
      return offered();
    }, 10_000);
    expect(await relayed(sa, sb, 'call_offer')).toEqual({ type: 'call_offer', sender_id: alice.userId, sdp: SDP });
    sb.send({ type: 'call_answer', recipient_id: alice.userId, sdp: SDP });
    expect(await relayed(sb, sa, 'call_answer')).toEqual({ type: 'call_answer', sender_id: bob.userId, sdp: SDP });
    sa.send({ type: 'call_end', recipient_id: bob.userId });
    expect(await relayed(sa, sb, 'call_end')).toEqual({ type: 'call_end', sender_id: alice.userId });
  });

  test('a call event for an account connected nowhere answers RECIPIENT_OFFLINE, also with the caller on another node', async () => {
    const { A, C } = ctx.cluster;
    const alice = await account(A);
    const bob = await account(C); // registered, never connected
    const sa = await connect(alice, A);
    sa.send({ type: 'call_offer', recipient_id: bob.userId, sdp: SDP });
    expect(await sa.next((f) => f.type === 'error')).toEqual({ type: 'error', error_code: 'RECIPIENT_OFFLINE', detail: expect.any(String) });
  });

  test('a second connection of the same account on C replaces the one on A (close 4000); messages go to the new one', async () => {
    const { A, B, C } = ctx.cluster;
    const alice = await account(A);
    const bob = await account(B);
    const first = await connect(alice, A);
    const second = await connect(alice, C);
    expect(await first.closed).toEqual({ code: 4000, reason: expect.any(String) });
    const fromB = await connect(bob, B);
    fromB.send(encryptedMessage(alice.userId, Buffer.from('to the newest')));
    const sent = await fromB.next((f) => f.type === 'sent');
    expect((await second.next((f) => f.type === 'encrypted_message')).message_id).toBe(sent.message_id);
    expect(second.ws.readyState).toBe(second.ws.OPEN);
  });
});
