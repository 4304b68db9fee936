import { fileEnvelopeOf, generateIdentity, WhisprClient } from 'whispr-sdk';

/** A file sent end-to-end encrypted: the server stores a nameless ciphertext; the key and name travel sealed. */
export async function encryptedFiles(baseUrl: string): Promise<{ name: string; mime: string | undefined; bytes: Uint8Array }> {
  const alice = new WhisprClient({ baseUrl, identity: generateIdentity() });
  const bob = new WhisprClient({ baseUrl, identity: generateIdentity() });

  const notes = new TextEncoder().encode('minutes of the meeting');
  await alice.sendFile(bob.address, notes, 'notes.txt', 'text/plain');

  for (const message of await bob.fetchInbox()) {
    const { plaintext, verified } = bob.open(message);
    const envelope = verified ? fileEnvelopeOf(plaintext) : undefined;
    if (envelope !== undefined) return bob.downloadFile(envelope); // checks size and SHA-256 after decrypting
  }
  throw new Error('no file arrived');
}
