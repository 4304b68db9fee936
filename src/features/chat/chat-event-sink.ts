/**
 * Where the chat feature hands the events the server itself raises (GROUP_KEY_UPDATE after a
 * membership change). Implemented by the durable chat-app event queues, so a member who is offline
 * gets the event when they next connect.
 */
export interface ChatEventSink {
  deliverServerEvent(recipientId: string, eventType: string, metadata: Record<string, unknown>): Promise<void>;
}
