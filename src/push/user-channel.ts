/**
 * Every live connection of a key listens on one bus channel. Features publish there: the relay its
 * queued messages (delivered with a lease), others typed events written to the sockets as they are.
 */
export const userChannel = (key: string) => `user:${key.toLowerCase()}`;

/** A typed frame for a user's push sockets, best effort (its source keeps the durable copy). */
export interface PushFrameEvent {
  kind: 'event';
  frame: { type: string } & Record<string, unknown>;
}
