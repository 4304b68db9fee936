/** queued_messages from a server's GET /health (Whispr's status document; the bare server answers the same field). */
export async function queuedMessages(url: string): Promise<number> {
  const response = await fetch(new URL('/health', url));
  const body = (await response.json()) as { queued_messages?: unknown };
  if (typeof body.queued_messages !== 'number') throw new Error(`GET ${url}/health has no queued_messages`);
  return body.queued_messages;
}

/** queued_user_events (chat-app events not yet acknowledged) from a server's GET /health; the bare events server answers the same field. */
export async function queuedUserEvents(url: string): Promise<number> {
  const response = await fetch(new URL('/health', url));
  const body = (await response.json()) as { queued_user_events?: unknown };
  if (typeof body.queued_user_events !== 'number') throw new Error(`GET ${url}/health has no queued_user_events`);
  return body.queued_user_events;
}
