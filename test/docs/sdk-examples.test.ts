import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { accounts } from '../../docs/examples/accounts.js';
import { calls } from '../../docs/examples/calls.js';
import { chatEvents } from '../../docs/examples/chat-events.js';
import { cryptoPrimitives } from '../../docs/examples/crypto.js';
import { directMessages } from '../../docs/examples/direct-messages.js';
import { encryptedFiles } from '../../docs/examples/encrypted-files.js';
import { groups } from '../../docs/examples/groups.js';
import { rooms } from '../../docs/examples/rooms.js';
import { startOidcProvider } from '../support/oidc-provider.js';
import { startServer, type RunningServer } from '../support/test-server.js';

const examplesDir = new URL('../../docs/examples/', import.meta.url);
const guide = readFileSync(new URL('../../docs/sdk.md', import.meta.url), 'utf8');

test('docs/sdk.md shows every example file verbatim, so what readers copy is what CI runs', () => {
  const files = readdirSync(examplesDir).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) {
    const source = readFileSync(new URL(file, examplesDir), 'utf8');
    expect(guide, `docs/sdk.md shows docs/examples/${file}`).toContain(`<!-- docs/examples/${file} -->\n\`\`\`ts\n${source}\`\`\``);
  }
});

describe('docs/sdk.md examples, run against a real server', () => {
  let srv: RunningServer;
  let oidc: Awaited<ReturnType<typeof startOidcProvider>>;
  beforeAll(async () => {
    oidc = await startOidcProvider();
    srv = await startServer(oidc.settings);
  });
  afterAll(async () => {
    await srv?.stop();
    await oidc?.close();
  });

  it('crypto: a sealed box opens for its key; a signature verifies, and not over altered bytes', () => {
    expect(cryptoPrimitives()).toEqual({ opened: 'for your key only', genuine: true, forged: false });
  });

  it('direct messages: from the inbox and pushed live', async () => {
    expect(await directMessages(srv.url)).toEqual({ fromInbox: 'hello bob', pushed: 'are you there?' });
  });

  it('encrypted files: the recipient gets the bytes, name and type', async () => {
    const file = await encryptedFiles(srv.url);
    expect({ ...file, bytes: new TextDecoder().decode(file.bytes) }).toEqual({ name: 'notes.txt', mime: 'text/plain', bytes: 'minutes of the meeting' });
  });

  it('calls: bob gets alice’s offer, end to end over /signal', async () => {
    expect(await calls(srv.url)).toEqual({ kind: 'offer', sdp: 'v=0\r\n' });
  });

  it('groups: a member reads the encrypted message and the file', async () => {
    const { messages, file } = await groups(srv.url);
    expect(messages).toEqual(['chapter 3 tonight?']);
    expect(new TextDecoder().decode(file)).toBe('reading list');
  });

  it('accounts: bob opens what alice sealed to his one-time prekey, which is spent', async () => {
    expect(await accounts(srv.url)).toEqual({ received: 'hi bob', prekeysLeft: 9 });
  });

  it('rooms: bob sees alice in the room and reads her message', async () => {
    const { members, received } = await rooms(srv.url);
    expect(members).toEqual(['Bob', 'Alice']);
    expect(received).toMatchObject({ name: 'Alice', text: 'chapter 3 tonight?' });
  });

  it('chat events: bob receives alice’s event', async () => {
    const register = async (sub: string) => {
      const token = await oidc.idToken(sub);
      const response = await fetch(`${srv.url}/api/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ google_id_token: token, public_key: Buffer.from(`pk-${sub}`).toString('base64'), display_name: sub }),
      });
      const { user_id } = (await response.json()) as { user_id: string };
      return { id: user_id, idToken: async () => token };
    };
    const [alice, bob] = [await register('alice-docs'), await register('bob-docs')];
    expect(await chatEvents(srv.url, alice, bob)).toMatchObject({ recipient_id: bob.id, sender_id: alice.id, event_type: 'message' });
  });
});
