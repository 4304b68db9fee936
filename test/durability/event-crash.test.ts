/** Chat-app events survive a SIGKILL: every event the server acknowledged is delivered after a restart, in sequence order, once. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ChatEventsClient, type ChatEvent } from 'whispr-sdk';
import { startOidcProvider, type OidcProvider } from '../support/oidc-provider.js';
import { eventually } from '../support/test-server.js';
import { openCollecting, wsUrl } from '../relay/helpers.js';
import { killAllChildren, killChild, startChildServer, type ChildServer } from './child-server.js';

const N = 150;

describe('durability: chat-app events across SIGKILL', () => {
  const dirs: string[] = [];
  let oidc: OidcProvider | undefined;
  afterEach(async () => {
    await killAllChildren();
    await oidc?.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const start = (dataDir: string, provider: OidcProvider) =>
    startChildServer(dataDir, { OIDC_JWKS_URL: provider.jwksUrl, OIDC_ISSUERS: provider.issuer, OIDC_AUDIENCE: provider.audience });

  async function register(server: ChildServer, provider: OidcProvider, sub: string): Promise<{ id: string; events: ChatEventsClient }> {
    const token = await provider.idToken(sub);
    const response = await fetch(`${server.url}/api/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ google_id_token: token, public_key: Buffer.from(sub).toString('base64') }),
    });
    expect(response.status).toBe(200);
    return { id: ((await response.json()) as { user_id: string }).user_id, events: new ChatEventsClient(server.url, () => token) };
  }

  test('events acknowledged before a SIGKILL mid-burst are all delivered after the restart, in order, once each', async () => {
    const provider = await startOidcProvider();
    oidc = provider;
    const dataDir = mkdtempSync(join(tmpdir(), 'whispr-event-crash-'));
    dirs.push(dataDir);
    const first = await start(dataDir, provider);
    const alice = await register(first, provider, 'alice');
    const bob = await register(first, provider, 'bob');

    // Four concurrent posters; the server is killed while they are still posting.
    const accepted = new Set<string>();
    let next = 0;
    const poster = async () => {
      while (next < N) {
        const i = next++;
        if (i === N / 2) killChild(first.child);
        try {
          const posted = await alice.events.post({
            recipient_id: bob.id,
            sender_id: alice.id,
            event_type: 'MESSAGE',
            encrypted_payload: Buffer.from(`e${i}`).toString('base64'),
          });
          accepted.add(posted.event_id);
        } catch {
          // refused or cut off by the kill: not acknowledged, so no promise was made
        }
      }
    };
    await Promise.all([poster(), poster(), poster(), poster()]);
    await first.exited;
    expect(accepted.size).toBeGreaterThan(N / 4);

    const second = await start(dataDir, provider);
    const { ws, frames } = await openCollecting(wsUrl(second.url, `/ws/${bob.id}`));
    const received: ChatEvent[] = [];
    ws.on('message', () => {
      for (const frame of frames.splice(0)) {
        const event = frame as unknown as ChatEvent;
        received.push(event);
        ws.send(JSON.stringify({ type: 'ACK', event_id: event.event_id }));
      }
    });
    const seen = () => new Set([...received, ...(frames as unknown as ChatEvent[])].map((e) => e.event_id));
    await eventually(() => [...accepted].every((id) => seen().has(id)), 10_000);
    received.push(...(frames.splice(0) as unknown as ChatEvent[]));
    ws.close();

    const ids = received.map((e) => e.event_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of accepted) expect(ids).toContain(id);
    const sequences = received.map((e) => e.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
  });
});
