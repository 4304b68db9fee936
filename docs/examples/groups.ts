import { generateIdentity, GroupClient, newGroupKey, WhisprClient } from 'whispr-sdk';

/** A private group: invite, share a group key sealed to each member, exchange encrypted messages and a file. */
export async function groups(baseUrl: string): Promise<{ messages: string[]; file: Uint8Array }> {
  const owner = new GroupClient(new WhisprClient({ baseUrl, identity: generateIdentity() }));
  const member = new GroupClient(new WhisprClient({ baseUrl, identity: generateIdentity() }));

  const { id: groupId, invite_code } = await owner.create('book club');
  await member.join({ invite_code });
  const general = (await owner.listChannels(groupId)).channels[0]!.id; // every group starts with #general

  // The server never holds the group key: the owner seals it to each member's X25519 key.
  await owner.distributeKey(groupId, newGroupKey(), 1);
  const { key, keyVersion } = await member.myKey(groupId);

  await member.send(groupId, general, key, keyVersion, 'chapter 3 tonight?');
  const { messages } = await owner.fetch(groupId, general);
  const ownerKey = (await owner.myKey(groupId)).key;

  // Group files are stored as given: encrypt them with the group key first.
  const { id } = await owner.upload(groupId, new TextEncoder().encode('reading list'));
  return { messages: messages.map((m) => owner.decrypt(m, ownerKey)), file: await member.download(groupId, id) };
}
