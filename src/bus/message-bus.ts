export type BusHandler = (payload: unknown) => void;
export type Unsubscribe = () => Promise<void>;

/**
 * Cross-connection (and later cross-node) delivery. Payloads must be plain JSON values so a
 * networked driver can carry them; handlers must not mutate what they receive.
 */
export interface MessageBus {
  publish(channel: string, payload: unknown): Promise<void>;
  subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe>;
  /** Throws when the bus cannot deliver right now (GET /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
