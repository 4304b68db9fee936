import { AccountClient, encryptedMessage, fromBase64, generateIdentity, openSealed, seal, text, toHex, utf8 } from 'whispr-sdk';

/** The client hashes the phone number; the server only ever sees the hash. */
const phoneHash = async (phone: string) => toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(phone))));

/** Private-comm accounts: register prekeys (X3DH), fetch someone's bundle, and message them over the account socket. */
export async function accounts(baseUrl: string): Promise<{ received: string; prekeysLeft: number }> {
  const alice = new AccountClient(baseUrl, await phoneHash('+15550100'), generateIdentity().signing);
  const bob = new AccountClient(baseUrl, await phoneHash('+15550199'), generateIdentity().signing);
  await alice.register(10);
  const bobSecrets = await bob.register(10); // the private halves stay with bob; the server has the public ones

  // Alice claims one of bob's one-time prekeys (now spent) and encrypts to it; a real client runs X3DH here.
  const bundle = await alice.bundle(bob.phoneHash);
  const prekey = bundle.one_time_prekey!;
  const payload = seal(fromBase64(prekey.public_key), 'hi bob');

  const delivered = new Promise<string>((resolve) => {
    const socket = bob.connect({
      onFrame: (frame) => {
        if (frame.type !== 'encrypted_message') return;
        socket.close();
        resolve(frame.payload as string);
      },
    });
  });
  const aliceSocket = alice.connect({ onFrame: () => {} });
  await aliceSocket.waitOpen();
  aliceSocket.send(encryptedMessage(bundle.user_id, payload)); // queued for bob if he is offline
  aliceSocket.close();

  const opened = openSealed(bobSecrets.oneTimePrekeys.get(prekey.key_id)!, fromBase64(await delivered));
  return { received: text(opened), prekeysLeft: await bob.remainingPrekeys() };
}
