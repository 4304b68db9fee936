import { exportIdentity, generateIdentity, importIdentity, text, WhisprClient, type InboxMessage } from 'whispr-sdk';

/** Two people exchange sealed, signed messages: from the inbox, then live over the push socket. */
export async function directMessages(baseUrl: string): Promise<{ fromInbox: string; pushed: string }> {
  const alice = new WhisprClient({ baseUrl, identity: generateIdentity() });
  // An identity is two key pairs; keep it (e.g. in a file) to come back as the same person.
  const saved = JSON.stringify(exportIdentity(generateIdentity()));
  const bob = new WhisprClient({ baseUrl, identity: importIdentity(JSON.parse(saved)) });

  // Sealed to bob's X25519 key and signed with alice's Ed25519 key: the server relays a ciphertext it cannot read.
  await alice.send(bob.address, 'hello bob');
  const [message] = await bob.fetchInbox(); // proves bob's key first, then drains his queue
  const { plaintext, verified } = bob.open(message!);
  if (!verified) throw new Error('not signed by the key it claims');

  // Live delivery: the socket reconnects with backoff until closed.
  const pushed = new Promise<InboxMessage>((resolve) => {
    const subscription = bob.subscribe((m) => {
      subscription.close();
      resolve(m);
    });
    void subscription.waitOpen().then(() => alice.send(bob.address, 'are you there?'));
  });
  return { fromInbox: text(plaintext), pushed: text(bob.open(await pushed).plaintext) };
}
