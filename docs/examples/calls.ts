import { type CallSignal, CallSignaling, callInviteOf, encodeCallInvite, generateIdentity, newCallInvite, WhisprClient } from 'whispr-sdk';

/** Alice rings Bob: the invitation travels as a sealed, signed message; the offer over /signal, encrypted under the call's key. */
export async function calls(baseUrl: string): Promise<CallSignal> {
  const alice = new WhisprClient({ baseUrl, identity: generateIdentity() });
  const bob = new WhisprClient({ baseUrl, identity: generateIdentity() });

  const invite = newCallInvite(true); // a video call
  const caller = await CallSignaling.join(alice, invite, 'caller', {
    onSignal: (signal) => {
      // Bob's device rings: send him the offer (from RTCPeerConnection.createOffer in a real client).
      if (signal.kind === 'ringing') caller.send({ kind: 'offer', sdp: 'v=0\r\n' });
    },
  });
  await alice.send(bob.address, encodeCallInvite(invite));

  for (const message of await bob.fetchInbox()) {
    const { plaintext, verified } = bob.open(message);
    const received = verified ? callInviteOf(plaintext) : undefined;
    if (received === undefined) continue;
    let callee: CallSignaling | undefined;
    const offer = await new Promise<CallSignal>((resolve) => {
      void CallSignaling.join(bob, received, 'callee', { onSignal: resolve }).then((joined) => {
        callee = joined;
        joined.send({ kind: 'ringing' }); // the prompt shows; Alice answers with her offer
      });
    });
    callee?.leave();
    caller.leave();
    return offer;
  }
  throw new Error('no invitation arrived');
}
