import { afterAll, afterEach, beforeAll } from 'vitest';
import type WebSocket from 'ws';
import type { Config } from '../../src/config/settings.js';
import { ChatEventsClient, type ChatEvent } from 'whispr-sdk';
import { call } from '../auth/api.js';
import { startOidcProvider } from '../support/oidc-provider.js';
import { createTempSchema, type TempSchema } from '../support/pg-schema.js';
import { eventually, startServer, type RunningServer } from '../support/test-server.js';
import { openCollecting, wsUrl } from '../relay/helpers.js';

type OidcProvider = Awaited<ReturnType<typeof startOidcProvider>>;

export interface ChatUser {
  id: string;
  token: string;
  events: ChatEventsClient;
}

export interface EventSocket {
  ws: WebSocket;
  frames: Array<Record<string, unknown>>;
  /** Events received so far (frames with an event_id). */
  events(): ChatEvent[];
  ack(eventId: string): void;
  waitEvents(count: number, timeoutMs?: number): Promise<ChatEvent[]>;
  /**
   * The first `count` events, each acknowledged as it arrives. With event_window 1 each event comes
   * only after the one before it was acknowledged, so the server has applied every ACK but the last.
   */
  ackEach(count: number): Promise<ChatEvent[]>;
  /** A ping answered: by then the server has applied every ACK sent before it (and set the socket up). */
  sync(): Promise<void>;
  /**
   * Posts a marker event from `from` to this socket's user and returns the events received once it is
   * in: a queue is delivered in sequence order, so anything queued before the marker comes ahead of it.
   */
  upToMarker(from: ChatUser): Promise<ChatEvent[]>;
}

/** Where the server keeps its state: its own SQLite file, or a fresh schema of the test PostgreSQL. */
export type EventStorage = 'sqlite' | 'postgres';

/** One server with a local OIDC provider per test file (or describe); users register through POST /api/register. */
export function useEventServer(overrides: Partial<Config> = {}, storage: EventStorage = 'sqlite') {
  const ctx = {} as { srv: RunningServer; oidc: OidcProvider; schema?: TempSchema };
  const sockets: WebSocket[] = [];
  let serial = 0;
  beforeAll(async () => {
    ctx.oidc = await startOidcProvider();
    if (storage === 'postgres') ctx.schema = await createTempSchema();
    ctx.srv = await startServer({
      ...ctx.oidc.settings,
      ...(ctx.schema === undefined ? {} : { storage: 'postgres', database_url: ctx.schema.url() }),
      ...overrides,
    });
  });
  afterAll(async () => {
    await ctx.srv?.stop();
    await ctx.oidc?.close();
    await ctx.schema?.drop();
  });
  afterEach(() => {
    for (const ws of sockets.splice(0)) ws.terminate();
  });

  return {
    get srv() {
      return ctx.srv;
    },
    get oidc() {
      return ctx.oidc;
    },
    /** A newly registered user with a unique subject. */
    async user(): Promise<ChatUser> {
      const sub = `sub${++serial}x${Date.now()}`;
      const token = await ctx.oidc.idToken(sub);
      const response = await fetch(`${ctx.srv.url}/api/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ google_id_token: token, public_key: Buffer.from(`pk-${sub}`).toString('base64'), display_name: sub }),
      });
      if (response.status !== 200) throw new Error(`register failed: ${response.status} ${await response.text()}`);
      const { user_id } = (await response.json()) as { user_id: string };
      return { id: user_id, token, events: new ChatEventsClient(ctx.srv.url, () => token) };
    },
    /** A chat-app group of `creator` and `members` (POST /api/groups); its id. */
    async group(creator: ChatUser, members: ChatUser[]): Promise<string> {
      const groupId = `group-${++serial}x${Date.now()}`;
      const answer = await call(ctx.srv.url, 'POST', '/api/groups', {
        token: creator.token,
        query: { group_id: groupId, name: groupId },
        json: members.map((m) => m.id),
      });
      if (answer.status !== 200) throw new Error(`group creation failed: ${answer.status} ${JSON.stringify(answer.body)}`);
      return groupId;
    },
    /** `actor` removes `member` from the group (DELETE /api/groups/{group_id}/members/{user_id}). */
    async removeMember(actor: ChatUser, groupId: string, member: ChatUser): Promise<void> {
      const answer = await call(ctx.srv.url, 'DELETE', `/api/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(member.id)}`, {
        token: actor.token,
      });
      if (answer.status !== 200) throw new Error(`member removal failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    },
    /** A raw event socket for `user` (strict mode: with its ID token), acknowledging nothing by itself. */
    async socket(user: ChatUser, token: string | null = user.token): Promise<EventSocket> {
      const query = token === null ? '' : `?token=${encodeURIComponent(token)}`;
      const { ws, frames } = await openCollecting(wsUrl(ctx.srv.url, `/ws/${encodeURIComponent(user.id)}${query}`));
      sockets.push(ws);
      const events = () => frames.filter((f) => typeof f.event_id === 'string') as unknown as ChatEvent[];
      const ack = (eventId: string) => ws.send(JSON.stringify({ type: 'ACK', event_id: eventId, recipient_id: user.id }));
      const waitEvents = async (count: number, timeoutMs = 3_000) => {
        await eventually(() => events().length >= count, timeoutMs);
        return events();
      };
      return {
        ws,
        frames,
        events,
        ack,
        waitEvents,
        async ackEach(count) {
          for (let n = 1; n <= count; n++) ack((await waitEvents(n))[n - 1]!.event_id);
          return events().slice(0, count);
        },
        async sync() {
          const pongs = () => frames.filter((f) => f.type === 'pong').length;
          const before = pongs();
          ws.send('{"type":"ping"}');
          await eventually(() => pongs() > before, 3_000);
        },
        async upToMarker(from) {
          const marker = await from.events.post(message(from, user, 'marker'));
          await eventually(() => events().some((e) => e.event_id === marker.event_id), 3_000);
          return events();
        },
      };
    },
  };
}

/** A MESSAGE event from `from` to `to` with a recognisable payload. */
export function message(from: ChatUser, to: ChatUser, text: string, extra: Record<string, unknown> = {}) {
  return {
    recipient_id: to.id,
    sender_id: from.id,
    event_type: 'MESSAGE',
    metadata: { chat_id: `${from.id}:${to.id}` },
    encrypted_payload: Buffer.from(text).toString('base64'),
    ...extra,
  };
}

/** A MESSAGE event from `from` to the chat-app group `groupId`, as the Android client sends one. */
export function groupMessage(from: ChatUser, groupId: string, text: string) {
  return {
    recipient_id: groupId,
    sender_id: from.id,
    event_type: 'MESSAGE',
    metadata: { chat_id: groupId, group_id: groupId },
    encrypted_payload: Buffer.from(text).toString('base64'),
  };
}

export const payloadText = (event: ChatEvent) => Buffer.from(event.encrypted_payload, 'base64').toString('utf8');
