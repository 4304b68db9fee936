/**
 * The original Android client (github.com/Exist-Er/Chat-app at c1285e1, app/src/main/java/com/chatapp)
 * replayed call by call: ChatRepository.registerUser, createGroup and sendMessage, WebSocketClient.connect
 * and sendAck, with the paths, bodies and field names of network/ChatApi.kt, in the order MainActivity
 * calls them, reading from each answer exactly what the client reads.
 *
 * Changed, because neither this server nor the original one could answer the client without it:
 * every HTTP call carries `Authorization: Bearer dev_<name>` (ChatApi sends no header), and a user is
 * named by the id the server gives it, `user_dev_<name>` (the client uses its login text `dev_<name>`).
 * Added, because the client never tells the server about a group (its createGroup only hands the key
 * to each member): the group is created and a member added through the server's group API.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import WebSocket from 'ws';
import type { ChatEvent } from 'whispr-sdk';
import { call, type ApiResponse, type CallOptions } from '../auth/api.js';
import { eventually } from '../support/eventually.js';
import { startServer, type RunningServer } from '../support/test-server.js';
import { wsUrl } from '../relay/helpers.js';
import { statusFigure } from '../support/server-status.js';

/** network/ChatApi.kt BackendEvent, what Gson reads each socket frame into, has the SDK's ChatEvent fields. */
type BackendEvent = ChatEvent;

/** data/model/Message.kt, as the client stores it. */
interface Message {
  messageId: string;
  chatId: string;
  senderId: string;
  recipientId: string;
  content: string;
  status: 'PENDING' | 'SENT' | 'DELIVERED' | 'FAILED';
}

/** Every BackendEvent field is there with the JSON type Gson needs (sequence and timestamp are Kotlin Longs). */
function asBackendEvent(frame: Record<string, unknown>): BackendEvent {
  expect(frame).toEqual({
    event_id: expect.any(String),
    recipient_id: expect.any(String),
    sender_id: frame.sender_id === null ? null : expect.any(String),
    event_type: expect.any(String),
    sequence: expect.any(Number),
    timestamp: expect.any(Number),
    metadata: expect.any(Object),
    encrypted_payload: expect.any(String),
  });
  expect(Number.isInteger(frame.sequence) && Number.isInteger(frame.timestamp)).toBe(true);
  return frame as unknown as BackendEvent;
}

// Stand-ins for CryptoManager: the server never looks inside, the receiver only needs to tell them apart.
const b64 = (text: string) => Buffer.from(text).toString('base64');
const opened = (payload: string) => Buffer.from(payload, 'base64').toString('utf8');

/** One phone running the app: ChatRepository + WebSocketClient over ChatApi, with its local tables. */
class AndroidClient {
  id = '';
  readonly messages: Message[] = [];
  /** GroupKeyDao: one row per group (OnConflictStrategy.REPLACE), the encrypted key as received. */
  readonly groupKeys = new Map<string, string>();
  /** Every GROUP_KEY_UPDATE payload this phone stored as a group key, in order. */
  readonly keyUpdates: string[] = [];
  readonly publicKey = randomBytes(32).toString('base64');
  private socket: WebSocket | undefined;

  constructor(
    private readonly url: string,
    readonly name: string,
  ) {}

  /** The login text MainActivity turns into the user's id and dev token. */
  get token(): string {
    return `dev_${this.name}`;
  }

  private api(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
    return call(this.url, method, path, { token: this.token, ...options });
  }

  /** ChatRepository.registerUser: only isSuccessful is looked at; Gson reads UserResponse. */
  async registerUser(): Promise<void> {
    const answer = await this.api('POST', '/api/register', { json: { google_id_token: this.token, public_key: this.publicKey, display_name: this.name } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ user_id: expect.any(String), email: expect.any(String), public_key: this.publicKey });
    this.id = answer.body.user_id;
  }

  /** WebSocketClient.connect: ws://host/ws/$userId, no token; every frame goes to handleIncomingEvent. */
  async connect(): Promise<void> {
    const ws = new WebSocket(wsUrl(this.url, `/ws/${this.id}`));
    ws.on('message', (data) => this.handleIncomingEvent(asBackendEvent(JSON.parse(String(data)))));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    this.socket = ws;
  }

  close(): void {
    this.socket?.terminate();
  }

  /** ChatApi.getPublicKey: the client reads body()?.public_key. */
  private async publicKeyOf(userId: string): Promise<string> {
    const answer = await this.api('GET', `/api/users/${userId}/public-key`);
    expect(answer.status).toBe(200);
    return answer.body.public_key as string;
  }

  /** ChatRepository.createGroup: the group key goes to each other member as a GROUP_KEY_UPDATE event; the answer is not read. */
  async createGroup(groupId: string, groupName: string, memberIds: string[]): Promise<void> {
    const timestamp = Date.now();
    this.groupKeys.set(groupId, b64(`group key of ${groupId} for ${this.id}`));
    await Promise.all(
      memberIds
        .filter((memberId) => memberId !== this.id)
        .map(async (memberId) => {
          const memberKey = await this.publicKeyOf(memberId);
          const event = {
            event_id: randomUUID(),
            recipient_id: memberId,
            sender_id: this.id,
            event_type: 'GROUP_KEY_UPDATE',
            sequence: 0,
            timestamp,
            metadata: { group_id: groupId, group_name: groupName, key_version: '1' },
            encrypted_payload: b64(`group key of ${groupId} sealed to ${memberKey}`),
          };
          expect((await this.api('POST', '/api/events', { json: event })).status).toBe(200);
        }),
    );
  }

  /** ChatRepository.sendMessage: stored locally as PENDING, then SENT when isSuccessful and body.success == true. */
  async sendMessage(chatId: string, recipientId: string, content: string, isGroup: boolean): Promise<Message> {
    const message: Message = { messageId: randomUUID(), chatId, senderId: this.id, recipientId, content, status: 'PENDING' };
    this.messages.push(message);
    // A group message is sealed with the group key held locally; a direct one with the recipient's public key.
    if (!isGroup) await this.publicKeyOf(recipientId);
    const event = {
      event_id: randomUUID(),
      recipient_id: recipientId,
      sender_id: this.id,
      event_type: 'MESSAGE',
      sequence: 0,
      timestamp: Date.now(),
      metadata: { chat_id: chatId, ...(isGroup ? { group_id: chatId } : {}) },
      encrypted_payload: b64(content),
    };
    const answer = await this.api('POST', '/api/events', { json: event });
    message.status = answer.status >= 200 && answer.status < 300 && answer.body?.success === true ? 'SENT' : 'FAILED';
    return message;
  }

  /** ChatRepository.handleIncomingEvent: store, then WebSocketClient.sendAck(event_id, recipient_id); other types are ignored. */
  private handleIncomingEvent(event: BackendEvent): void {
    if (event.event_type === 'GROUP_KEY_UPDATE') {
      const groupId = event.metadata.group_id;
      if (typeof groupId !== 'string') return;
      this.groupKeys.set(groupId, event.encrypted_payload);
      this.keyUpdates.push(event.encrypted_payload);
    } else if (event.event_type === 'MESSAGE') {
      const groupId = typeof event.metadata.group_id === 'string' ? event.metadata.group_id : undefined;
      const chatId = groupId ?? event.sender_id ?? 'Unknown';
      this.messages.push({
        messageId: event.event_id,
        chatId,
        senderId: event.sender_id ?? 'Unknown',
        recipientId: event.recipient_id,
        content: opened(event.encrypted_payload),
        status: 'DELIVERED',
      });
    } else {
      return;
    }
    this.socket?.send(JSON.stringify({ type: 'ACK', event_id: event.event_id, recipient_id: event.recipient_id }));
  }
}

let srv: RunningServer;
const phones: AndroidClient[] = [];
beforeAll(async () => {
  // The client opens its socket without a token (compat) and signs in with dev_ tokens.
  srv = await startServer({ security: 'compat', oidc_dev_tokens: true });
});
afterEach(() =>
  phones.splice(0).forEach((phone) => {
    phone.close();
  }),
);
afterAll(async () => srv?.stop());

test('the Android client: log in, a group with members, a direct and a group message, received and acknowledged', async () => {
  // MainActivity: each user logs in on their own phone (registerUser, then connect).
  const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((name) => new AndroidClient(srv.url, name)) as [AndroidClient, AndroidClient, AndroidClient];
  phones.push(alice, bob, carol);
  for (const phone of phones) {
    await phone.registerUser();
    await phone.connect();
  }
  expect(alice.id).toBe('user_dev_alice');

  // The group, as the server must know it (not in the client): created with bob, then carol added.
  const groupId = randomUUID();
  const admin = (method: string, path: string, options: CallOptions = {}) => call(srv.url, method, path, { token: alice.token, ...options });
  expect((await admin('POST', '/api/groups', { query: { group_id: groupId, name: 'Team' }, json: [bob.id] })).status).toBe(200);
  expect((await admin('POST', `/api/groups/${groupId}/members`, { query: { user_id: carol.id } })).body).toEqual({ success: true, new_key_version: 2 });
  // CreateGroupScreen -> ChatRepository.createGroup: the key for each other member, by event.
  await alice.createGroup(groupId, 'Team', [bob.id, carol.id, alice.id]);
  await eventually(() => [bob, carol].every((phone) => phone.groupKeys.has(groupId)));

  // ChatScreen -> ChatViewModel.sendMessage -> ChatRepository.sendMessage: to bob, then to the group.
  const direct = await alice.sendMessage(bob.id, bob.id, 'hi bob', false);
  const toGroup = await alice.sendMessage(groupId, groupId, 'hi team', true);
  expect([direct.status, toGroup.status]).toEqual(['SENT', 'SENT']);

  await eventually(() => bob.messages.length === 2 && carol.messages.length === 1);
  expect(bob.messages).toEqual([
    expect.objectContaining({ chatId: alice.id, senderId: alice.id, recipientId: bob.id, content: 'hi bob', status: 'DELIVERED' }),
    expect.objectContaining({ chatId: groupId, senderId: alice.id, recipientId: groupId, content: 'hi team', status: 'DELIVERED' }),
  ]);
  expect(carol.messages).toEqual([expect.objectContaining({ chatId: groupId, senderId: alice.id, content: 'hi team', status: 'DELIVERED' })]);

  // Every event was acknowledged the client's way, group copies with the group as recipient_id: nothing is left queued.
  await eventually(async () => (await statusFigure(srv, 'queued_user_events')) === 0);
  // The server raised no GROUP_KEY_UPDATE of its own for the additions (chat_key_update_events is off,
  // as in the original): this client would store its empty payload as the group key. Each phone
  // stored exactly the key alice sent it; anything the server queued would have come before it.
  expect(alice.keyUpdates).toEqual([]);
  for (const phone of [bob, carol]) expect(phone.keyUpdates).toEqual([b64(`group key of ${groupId} sealed to ${phone.publicKey}`)]);
  // The sender's own group message is only the row it stored when sending: no copy came back to it.
  expect(alice.messages).toEqual([direct, toGroup]);
});
