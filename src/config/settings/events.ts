import { DAY, type SettingSpec } from './setting-spec.js';

/** The chat-app backend's durable event queues: retention, caps, the delivery window and redelivery. */
export const EVENT_SETTINGS = [
  {
    key: 'chat_key_update_events',
    kind: 'bool',
    default: false,
    env: ['WHISPR_CHAT_KEY_UPDATE_EVENTS'],
    description:
      'Chat-app: queue a GROUP_KEY_UPDATE server event (empty payload) for every member concerned by a membership change. Off, as the original: its Android client stores every GROUP_KEY_UPDATE payload as the group key',
  },
  {
    key: 'event_ttl_days',
    kind: 'float',
    default: 14,
    min: 0.0001,
    max: 365,
    env: ['WHISPR_EVENT_TTL_DAYS', 'EVENT_TTL_DAYS'],
    limit: true,
    description: 'Unacknowledged chat-app events are deleted after this many days',
  },
  {
    key: 'max_events_per_recipient',
    kind: 'int',
    default: 10_000,
    min: 1,
    max: 10_000_000,
    env: ['WHISPR_MAX_EVENTS_PER_RECIPIENT'],
    limit: true,
    description: 'Unacknowledged events queued per chat-app user; a full queue refuses new events with 429 (a group event leaves that member out)',
  },
  {
    key: 'event_window',
    kind: 'int',
    default: 100,
    min: 1,
    max: 10_000,
    env: ['WHISPR_EVENT_WINDOW'],
    limit: true,
    description: 'Events sent to one socket and not yet acknowledged (more follow as ACKs arrive)',
  },
  {
    key: 'event_redelivery_seconds',
    kind: 'float',
    default: 30,
    min: 0.05,
    max: DAY,
    env: ['WHISPR_EVENT_REDELIVERY_SECONDS'],
    limit: true,
    description: 'An event not acknowledged this long after it was sent is sent again, in sequence order',
  },
] as const satisfies readonly SettingSpec[];
