import type * as Sdk from 'whispr-sdk';

export interface RoundTrip {
  file: string;
  name: string;
  verified: boolean;
  pushed: string;
}

/**
 * One round trip through an SDK build: an encrypted file through the inbox, then a message pushed
 * live. Self-contained (no imports at run time, no helpers) because it runs as source text in
 * another runtime: a plain Node process or a browser page.
 */
export async function roundTrip(sdk: typeof Sdk, baseUrl: string): Promise<RoundTrip> {
  const alice = new sdk.WhisprClient({ baseUrl, identity: sdk.generateIdentity() });
  const bob = new sdk.WhisprClient({ baseUrl, identity: sdk.generateIdentity() });
  await alice.sendFile(bob.address, sdk.utf8('file body'), 'notes.txt');
  const [message] = await bob.fetchInbox();
  const { plaintext, verified } = bob.open(message!);
  const file = await bob.downloadFile(sdk.fileEnvelopeOf(plaintext)!);
  const pushed = await new Promise<string>((resolve) => {
    const subscription = bob.subscribe((m) => {
      subscription.close();
      resolve(sdk.text(bob.open(m).plaintext));
    });
    void subscription.waitOpen().then(() => alice.send(bob.address, 'pushed live'));
  });
  return { file: sdk.text(file.bytes), name: file.name, verified, pushed };
}

export const EXPECTED_ROUND_TRIP: RoundTrip = { file: 'file body', name: 'notes.txt', verified: true, pushed: 'pushed live' };
