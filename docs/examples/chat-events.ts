import { ChatEventsClient, type ChatEvent } from 'whispr-sdk';

/**
 * Chat-app events between two users who signed in with OIDC (Google) and registered through the chat
 * app: `idToken` returns each user's current ID token. Events are acknowledged once the handler
 * resolved, so a failed handler sees the event again.
 */
export async function chatEvents(
  baseUrl: string,
  alice: { id: string; idToken: () => Promise<string> },
  bob: { id: string; idToken: () => Promise<string> },
): Promise<ChatEvent> {
  const aliceEvents = new ChatEventsClient(baseUrl, alice.idToken);
  const bobEvents = new ChatEventsClient(baseUrl, bob.idToken);

  const received = new Promise<ChatEvent>((resolve) => {
    const subscription = bobEvents.subscribe(bob.id, (event) => {
      subscription.close();
      resolve(event);
    });
  });
  await aliceEvents.post({
    recipient_id: bob.id,
    sender_id: alice.id,
    event_type: 'message',
    encrypted_payload: 'b3BhcXVlIGNpcGhlcnRleHQ=', // the app's own end-to-end ciphertext, base64
  });
  return received;
}
