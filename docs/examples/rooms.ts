import { RoomClient, type RoomContent } from 'whispr-sdk';

/** Two members of an ephemeral room: presence, then a message only holders of the room passphrase can read. */
export async function rooms(baseUrl: string): Promise<{ members: string[]; received: RoomContent | undefined }> {
  const room = { baseUrl, roomId: 'book-club', passphrase: 'tulips in the rain' };
  let read: (content: RoomContent | undefined) => void = () => {};
  const received = new Promise<RoomContent | undefined>((resolve) => {
    read = resolve;
  });
  // join() derives the room key (PBKDF2, 600,000 rounds) and resolves once the server let us in.
  const alice = await RoomClient.join({ ...room, username: 'Alice', onEvent: () => {} });
  const bob = await RoomClient.join({
    ...room,
    username: 'Bob',
    // Also: members, typing, reaction, connection and error events.
    onEvent: (event) => {
      if (event.type === 'message') read(event.content); // undefined: written under another passphrase
    },
  });
  const members = bob.members.map((m) => m.name); // you first, then who was there
  alice.typing(true); // call it on every key: the client throttles it
  await alice.send('chapter 3 tonight?');
  const content = await received;
  alice.leave();
  bob.leave();
  return { members, received: content };
}
