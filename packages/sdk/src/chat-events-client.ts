import { requestJson } from './http.js';
import { PushSubscription } from './push-subscription.js';

export interface ChatEvent {
  event_id: string;
  recipient_id: string;
  sender_id: string | null;
  event_type: string;
  sequence: number;
  timestamp: number;
  metadata: Record<string, unknown>;
  encrypted_payload: string;
}

export type NewChatEvent = Omit<ChatEvent, 'sequence' | 'timestamp' | 'metadata' | 'event_id'> &
  Partial<Pick<ChatEvent, 'event_id' | 'timestamp' | 'metadata'>>;

export interface PostedEvent {
  success: boolean;
  event_id: string;
  /** Group events only: members, the sender aside, holding a copy. */
  recipients?: number;
  /** Group events only: members whose queue was full (no copy); post the same event_id again later to queue theirs. */
  queue_full?: string[];
}

/** Chat-app events for one signed-in user: post them, and receive their own with ACK after handling. */
export class ChatEventsClient {
  constructor(
    readonly baseUrl: string,
    /** The user's current OIDC ID token. */
    private readonly idToken: () => string | Promise<string>,
  ) {}

  async post(event: NewChatEvent): Promise<PostedEvent> {
    return requestJson<PostedEvent>(this.baseUrl, 'POST', '/api/events', {
      token: await this.idToken(),
      body: { sequence: 0, timestamp: 0, metadata: {}, ...event },
    });
  }

  /**
   * The user's event socket. Each event is acknowledged once `onEvent` resolved, so an event whose
   * handling failed (it threw) comes again later; events may repeat, deduplicate by event_id.
   */
  subscribe(userId: string, onEvent: (event: ChatEvent) => void | Promise<void>, onError?: (err: unknown) => void): PushSubscription {
    const wsBase = this.baseUrl.replace(/^http/, 'ws');
    const subscription: PushSubscription = new PushSubscription({
      url: async () => `${wsBase}/ws/${encodeURIComponent(userId)}?token=${encodeURIComponent(await this.idToken())}`,
      onFrame: (frame) => {
        const event = frame as Partial<ChatEvent>;
        if (typeof event.event_id !== 'string') return;
        Promise.resolve(onEvent(event as ChatEvent)).then(
          () => subscription.send({ type: 'ACK', event_id: event.event_id, recipient_id: userId }),
          (err: unknown) => onError?.(err),
        );
      },
    });
    return subscription;
  }
}
