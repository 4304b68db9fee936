import { afterAll, afterEach, beforeAll } from 'vitest';
import type WebSocket from 'ws';
import type { Config } from '../../src/config/settings.js';
import { ChatEventsClient, type ChatEvent } from '../../src/sdk/chat-events-client.js';
import { startOidcProvider } from '../support/oidc-provider.js';
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
}

/** One server with a local OIDC provider per test file; users register through POST /api/register. */
export function useEventServer(overrides: Partial<Config> = {}) {
  const ctx = {} as { srv: RunningServer; oidc: OidcProvider };
  const sockets: WebSocket[] = [];
  let serial = 0;
  beforeAll(async () => {
    ctx.oidc = await startOidcProvider();
    ctx.srv = await startServer({
      ...ctx.oidc.settings,
      ...overrides,
    });
  });
  afterAll(async () => {
    await ctx.srv?.stop();
    await ctx.oidc?.close();
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
    /** A raw event socket for `user` (strict mode: with its ID token), acknowledging nothing by itself. */
    async socket(user: ChatUser, token: string | null = user.token): Promise<EventSocket> {
      const query = token === null ? '' : `?token=${encodeURIComponent(token)}`;
      const { ws, frames } = await openCollecting(wsUrl(ctx.srv.url, `/ws/${encodeURIComponent(user.id)}${query}`));
      sockets.push(ws);
      const events = () => frames.filter((f) => typeof f.event_id === 'string') as unknown as ChatEvent[];
      return {
        ws,
        frames,
        events,
        ack: (eventId) => ws.send(JSON.stringify({ type: 'ACK', event_id: eventId, recipient_id: user.id })),
        async waitEvents(count, timeoutMs = 3_000) {
          await eventually(() => events().length >= count, timeoutMs);
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

export const payloadText = (event: ChatEvent) => Buffer.from(event.encrypted_payload, 'base64').toString('utf8');
