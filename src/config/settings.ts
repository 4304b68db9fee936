/**
 * Every setting Whispr understands, in one table. The loader, `whispr check-config` and the
 * README's configuration table are all driven from this list, so they cannot drift apart.
 */
export type SettingKind = 'string' | 'int' | 'float' | 'bool' | 'list' | 'enum';

export interface SettingSpec<K extends SettingKind = SettingKind> {
  /** Key in settings.json (the original Whispr's snake_case names where they exist). */
  key: string;
  kind: K;
  default: unknown;
  /** Environment variables, first match wins (several for seed compatibility). */
  env: readonly string[];
  /** CLI flag without the leading dashes, if the setting has one. */
  flag?: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** Part of the limits table (user-visible quotas and caps). */
  limit?: boolean;
  /** Never printed in clear by check-config. */
  secret?: boolean;
  description: string;
}

const DAY = 86_400;

export const SETTINGS = [
  { key: 'host', kind: 'string', default: '127.0.0.1', env: ['WHISPR_HOST'], flag: 'host', description: 'Address to listen on' },
  { key: 'port', kind: 'int', default: 8000, min: 0, max: 65_535, env: ['WHISPR_PORT'], flag: 'port', description: 'TCP port (0 picks a free one)' },
  { key: 'data_dir', kind: 'string', default: './data', env: ['WHISPR_DATA_DIR'], flag: 'data-dir', description: 'Directory for the SQLite file, attachments and the token secret' },
  { key: 'storage', kind: 'enum', default: 'sqlite', choices: ['sqlite', 'postgres'], env: ['WHISPR_STORAGE'], flag: 'storage', description: 'sqlite: one file in data_dir (one node); postgres: the database at database_url, shared by every node' },
  { key: 'database_url', kind: 'string', default: '', env: ['DATABASE_URL', 'WHISPR_DATABASE_URL'], flag: 'database-url', secret: true, description: 'PostgreSQL connection string for storage=postgres, e.g. postgres://whispr@db:5432/whispr' },
  { key: 'bus', kind: 'enum', default: 'local', choices: ['local', 'redis'], env: ['WHISPR_BUS'], flag: 'bus', description: 'local: deliveries within this process; redis: pub/sub, rate limits, presence and connection caps shared by every node' },
  { key: 'redis_url', kind: 'string', default: 'redis://127.0.0.1:6379', env: ['REDIS_URL', 'WHISPR_REDIS_URL'], flag: 'redis-url', description: 'Redis for bus=redis (and inbox_backend=redis)' },
  { key: 'redis_password', kind: 'string', default: '', env: ['REDIS_PASSWORD', 'WHISPR_REDIS_PASSWORD'], secret: true, description: 'Redis password, if not given in redis_url' },
  { key: 'redis_prefix', kind: 'string', default: 'whispr:', env: ['WHISPR_REDIS_PREFIX'], description: 'Prefix of every Redis key and channel (several deployments can share one Redis)' },
  { key: 'inbox_backend', kind: 'enum', default: 'storage', choices: ['storage', 'redis'], env: ['WHISPR_INBOX_BACKEND'], description: "Direct-message queues: storage (durable, in the database) or redis (the original Whispr's ephemeral Redis inbox: lost if Redis loses its data)" },
  { key: 'security', kind: 'enum', default: 'strict', choices: ['strict', 'compat'], env: ['WHISPR_SECURITY'], flag: 'security', description: 'strict: callers prove the key they act for; compat: original unauthenticated calls' },
  { key: 'tls_cert', kind: 'string', default: '', env: ['WHISPR_TLS_CERT'], flag: 'tls-cert', description: 'PEM certificate chain; with tls_key the server speaks HTTPS and wss:// itself (empty: plain HTTP, e.g. behind a TLS proxy)' },
  { key: 'tls_key', kind: 'string', default: '', env: ['WHISPR_TLS_KEY'], flag: 'tls-key', description: 'PEM private key for tls_cert (set both or neither)' },
  { key: 'cors_origins', kind: 'list', default: [], env: ['WHISPR_CORS_ORIGINS'], description: 'Comma-separated origins allowed by CORS (empty: no CORS headers)' },
  { key: 'trust_proxy', kind: 'bool', default: false, env: ['WHISPR_TRUST_PROXY'], description: 'Take the client address from X-Forwarded-For (only behind your own reverse proxy)' },
  { key: 'log_level', kind: 'enum', default: 'info', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], env: ['WHISPR_LOG_LEVEL'], description: 'Log level (JSON logs on stdout)' },
  { key: 'jwt_secret', kind: 'string', default: '', env: ['WHISPR_JWT_SECRET'], secret: true, description: 'HMAC secret for access tokens (empty: generated once and kept in data_dir/token-secret)' },

  { key: 'max_message_size', kind: 'int', default: 1_048_576, min: 64, max: 16_777_216, env: ['WHISPR_MAX_MESSAGE_SIZE'], limit: true, description: 'Largest direct message ciphertext, in decoded bytes (413 above)' },
  { key: 'max_messages_per_second', kind: 'float', default: 10, min: 0.01, max: 1_000_000, env: ['MAX_MESSAGES_PER_SECOND', 'WHISPR_MAX_MESSAGES_PER_SECOND'], limit: true, description: 'Sends per second per sender signing key, burst of the same size (429 above)' },
  { key: 'max_requests_per_ip_per_second', kind: 'float', default: 50, min: 0.01, max: 1_000_000, env: ['WHISPR_MAX_REQUESTS_PER_IP_PER_SECOND'], limit: true, description: 'Sends, uploads and auth calls per second per client address, burst of twice that (429 above)' },
  { key: 'max_messages_per_recipient', kind: 'int', default: 1000, min: 1, max: 1_000_000, env: ['MAX_MESSAGES_PER_RECIPIENT', 'WHISPR_MAX_MESSAGES_PER_RECIPIENT'], limit: true, description: 'Undelivered messages queued per recipient; a full queue refuses new sends with 429 (nothing is dropped)' },
  { key: 'message_ttl_seconds', kind: 'int', default: 7 * DAY, min: 0, max: 365 * DAY, env: ['MESSAGE_TTL_SECONDS', 'WHISPR_MESSAGE_TTL_SECONDS'], limit: true, description: 'Undelivered messages expire after this long (0: never)' },
  { key: 'replay_window_seconds', kind: 'int', default: DAY, min: 1, max: 365 * DAY, env: ['WHISPR_REPLAY_WINDOW_SECONDS'], limit: true, description: 'A resent message (same signature) within this window is acknowledged but not queued again' },
  { key: 'clock_skew_seconds', kind: 'float', default: 30, min: 0, max: 3600, env: ['WHISPR_CLOCK_SKEW_SECONDS'], limit: true, description: 'A client timestamp is kept only if at most this far in the past; otherwise the server time is used' },
  { key: 'attachment_max_size_bytes', kind: 'int', default: 10_485_760, min: 1, max: 1_073_741_824, env: ['ATTACHMENT_MAX_SIZE_BYTES', 'WHISPR_ATTACHMENT_MAX_SIZE_BYTES'], limit: true, description: 'Largest attachment, in decoded bytes (413 above; the request is refused before it is read)' },
  { key: 'attachment_ttl_seconds', kind: 'int', default: 7 * DAY, min: 0, max: 365 * DAY, env: ['ATTACHMENT_TTL_SECONDS', 'WHISPR_ATTACHMENT_TTL_SECONDS'], limit: true, description: 'Attachments are deleted after this long (0: never)' },
  { key: 'max_group_members', kind: 'int', default: 500, min: 2, max: 100_000, env: ['MAX_GROUP_MEMBERS', 'WHISPR_MAX_GROUP_MEMBERS'], limit: true, description: 'Members per group, and pending join requests per group (409 GROUP_FULL above)' },
  { key: 'max_group_channels', kind: 'int', default: 50, min: 1, max: 10_000, env: ['MAX_GROUP_CHANNELS', 'WHISPR_MAX_GROUP_CHANNELS'], limit: true, description: 'Channels per group (409 TOO_MANY_CHANNELS above)' },
  { key: 'max_group_fetch', kind: 'int', default: 1000, min: 1, max: 10_000, env: ['MAX_GROUP_FETCH', 'WHISPR_MAX_GROUP_FETCH'], limit: true, description: 'Largest `limit` of one group message fetch (400 above; the default page is 200)' },
  { key: 'group_attachment_max_size_bytes', kind: 'int', default: 10_485_760, min: 1, max: 1_073_741_824, env: ['GROUP_ATTACHMENT_MAX_SIZE_BYTES', 'WHISPR_GROUP_ATTACHMENT_MAX_SIZE_BYTES'], limit: true, description: 'Largest group attachment, in bytes (413 above, refused before it is read)' },
  { key: 'max_websocket_connections', kind: 'int', default: 10_000, min: 1, max: 1_000_000, env: ['MAX_WEBSOCKET_CONNECTIONS', 'WHISPR_MAX_WEBSOCKET_CONNECTIONS'], limit: true, description: 'WebSocket connections per server process (503 above)' },
  { key: 'max_websocket_connections_per_ip', kind: 'int', default: 100, min: 1, max: 1_000_000, env: ['WHISPR_MAX_WEBSOCKET_CONNECTIONS_PER_IP'], limit: true, description: 'WebSocket connections per client address (429 above)' },
  { key: 'websocket_send_buffer_bytes', kind: 'int', default: 4_194_304, min: 65_536, max: 1_073_741_824, env: ['WHISPR_WEBSOCKET_SEND_BUFFER_BYTES'], limit: true, description: 'A socket whose unsent data passes this is closed (1013); its messages stay queued' },
  { key: 'websocket_frames_per_second', kind: 'float', default: 20, min: 0.1, max: 1_000_000, env: ['WHISPR_WEBSOCKET_FRAMES_PER_SECOND'], limit: true, description: 'Frames a client may send per second on a push, signal, account or event socket, and pings on every socket, before it is closed (1008)' },
  { key: 'heartbeat_interval_seconds', kind: 'float', default: 30, min: 0.05, max: 3600, env: ['HEARTBEAT_INTERVAL', 'WHISPR_HEARTBEAT_INTERVAL'], limit: true, description: 'WebSocket ping interval; a socket that misses one pong is closed' },
  { key: 'rooms_message_limit', kind: 'int', default: 30, min: 1, max: 10_000_000, env: ['RATE_LIMIT_MESSAGE_LIMIT', 'WHISPR_ROOMS_MESSAGE_LIMIT'], limit: true, description: 'Room message, typing, reaction and ping frames per connection per rooms_rate_window_ms, as a burst (RATE_LIMITED error frame above)' },
  { key: 'rooms_join_limit', kind: 'int', default: 5, min: 1, max: 1_000_000, env: ['RATE_LIMIT_JOIN_LIMIT', 'WHISPR_ROOMS_JOIN_LIMIT'], limit: true, description: 'Room joins per connection per rooms_rate_window_ms (RATE_LIMITED error frame above)' },
  { key: 'rooms_rate_window_ms', kind: 'int', default: 60_000, min: 100, max: 86_400_000, env: ['RATE_LIMIT_WINDOW_MS', 'WHISPR_ROOMS_RATE_WINDOW_MS'], limit: true, description: 'Window of the two room rate limits (they refill evenly over it)' },
  { key: 'rooms_rate_limiting', kind: 'bool', default: true, env: ['ENABLE_RATE_LIMITING', 'WHISPR_ROOMS_RATE_LIMITING'], limit: true, description: 'Enforce the room message and join limits' },
  { key: 'rooms_max_message_size', kind: 'int', default: 10_240, min: 64, max: 1_048_576, env: ['RATE_LIMIT_MAX_MESSAGE_SIZE', 'WHISPR_ROOMS_MAX_MESSAGE_SIZE'], limit: true, description: 'Largest room frame, in bytes (MESSAGE_TOO_LARGE error frame above)' },
  { key: 'rooms_connections_per_ip', kind: 'int', default: 10, min: 1, max: 1_000_000, env: ['RATE_LIMIT_CONNECTION_LIMIT_PER_IP', 'WHISPR_ROOMS_CONNECTIONS_PER_IP'], limit: true, description: 'Room connections per client address (upgrade refused with 429 above)' },
  { key: 'rooms_max_users_per_room', kind: 'int', default: 1000, min: 2, max: 1_000_000, env: ['WHISPR_ROOMS_MAX_USERS_PER_ROOM'], limit: true, description: 'Connections in one room (ROOM_FULL error frame above)' },
  { key: 'rooms_violations_before_block', kind: 'int', default: 10, min: 1, max: 1_000_000, env: ['WHISPR_ROOMS_VIOLATIONS_BEFORE_BLOCK'], limit: true, description: 'Protocol violations (invalid or oversize frames, rate-limit hits) from one address within rooms_rate_window_ms before it is blocked' },
  { key: 'rooms_block_seconds', kind: 'float', default: 60, min: 0.1, max: 86_400, env: ['WHISPR_ROOMS_BLOCK_SECONDS'], limit: true, description: 'First block of an offending address; each repeat offence doubles it, up to rooms_block_max_seconds' },
  { key: 'rooms_block_max_seconds', kind: 'float', default: 86_400, min: 0.1, max: 2_592_000, env: ['WHISPR_ROOMS_BLOCK_MAX_SECONDS'], limit: true, description: 'Longest block of an offending address' },
  { key: 'call_max_participants', kind: 'int', default: 2, min: 2, max: 100, env: ['CALL_MAX_PARTICIPANTS', 'WHISPR_CALL_MAX_PARTICIPANTS'], limit: true, description: 'Sockets in one /signal call room (CALL_FULL error frame above)' },
  { key: 'max_concurrent_calls', kind: 'int', default: 1000, min: 1, max: 1_000_000, env: ['MAX_CONCURRENT_CALLS', 'WHISPR_MAX_CONCURRENT_CALLS'], limit: true, description: 'Open calls (signal rooms plus private-comm calls) at once (TOO_MANY_CALLS above)' },
  { key: 'call_room_timeout_seconds', kind: 'float', default: 3600, min: 0.1, max: 86_400, env: ['CALL_ROOM_TIMEOUT', 'WHISPR_CALL_ROOM_TIMEOUT'], limit: true, description: 'A call is closed this long after it opened (CALL_TIMEOUT error frame)' },
  { key: 'turn_secret', kind: 'string', default: '', env: ['TURN_SECRET', 'WHISPR_TURN_SECRET'], secret: true, description: "coturn's static-auth-secret (use-auth-secret); empty: /api/v1/turn-credentials answers 503" },
  { key: 'turn_urls', kind: 'list', default: [], env: ['TURN_URLS', 'WHISPR_TURN_URLS'], description: 'TURN URLs handed out with credentials, e.g. turn:turn.example.org:3478,turns:turn.example.org:5349' },
  { key: 'turn_ttl_seconds', kind: 'int', default: 3600, min: 60, max: 604_800, env: ['TURN_TTL_SECONDS', 'WHISPR_TURN_TTL_SECONDS'], limit: true, description: 'Lifetime of issued TURN credentials' },
  { key: 'stun_urls', kind: 'list', default: [], env: ['STUN_URLS', 'WHISPR_STUN_URLS'], description: 'STUN URLs added to the ICE servers, e.g. stun:turn.example.org:3478' },
  { key: 'oidc_issuers', kind: 'list', default: ['https://accounts.google.com', 'accounts.google.com'], env: ['OIDC_ISSUERS', 'WHISPR_OIDC_ISSUERS'], description: 'Accepted `iss` of chat-app ID tokens (default: Google)' },
  { key: 'oidc_jwks_url', kind: 'string', default: 'https://www.googleapis.com/oauth2/v3/certs', env: ['OIDC_JWKS_URL', 'WHISPR_OIDC_JWKS_URL'], description: "The OIDC provider's signing keys (JWKS), fetched and cached (default: Google)" },
  { key: 'oidc_audience', kind: 'list', default: [], env: ['GOOGLE_CLIENT_ID', 'OIDC_AUDIENCE', 'WHISPR_OIDC_AUDIENCE'], description: 'Your OAuth client id(s): accepted `aud` of chat-app ID tokens (empty: the chat-app /api routes answer 503 CHAT_NOT_CONFIGURED)' },
  { key: 'oidc_dev_tokens', kind: 'bool', default: false, env: ['WHISPR_OIDC_DEV_TOKENS'], description: 'Development only: accept any `dev_<name>` bearer token as user `user_dev_<name>`, unverified (warned at startup)' },
  { key: 'token_ttl_seconds', kind: 'int', default: 900, min: 30, max: DAY, env: ['WHISPR_TOKEN_TTL_SECONDS'], limit: true, description: 'Lifetime of an access token from /auth/token' },
  { key: 'challenge_ttl_seconds', kind: 'int', default: 60, min: 5, max: 3600, env: ['WHISPR_CHALLENGE_TTL_SECONDS'], limit: true, description: 'Lifetime of an unanswered /auth/challenge nonce' },
  { key: 'max_pending_challenges', kind: 'int', default: 100_000, min: 10, max: 10_000_000, env: ['WHISPR_MAX_PENDING_CHALLENGES'], limit: true, description: 'Unanswered challenges kept at once (503 above)' },
  { key: 'account_token_ttl_seconds', kind: 'int', default: 1800, min: 30, max: DAY, env: ['WHISPR_ACCOUNT_TOKEN_TTL_SECONDS'], limit: true, description: 'Lifetime of a private-comm account token from /api/v1/auth/token' },
  { key: 'account_register_per_hour', kind: 'float', default: 10, min: 0.01, max: 1_000_000, env: ['WHISPR_ACCOUNT_REGISTER_PER_HOUR'], limit: true, description: 'POST /api/v1/register calls per hour per client address, as a burst (429 above)' },
  { key: 'account_auth_per_minute', kind: 'float', default: 10, min: 0.01, max: 1_000_000, env: ['WHISPR_ACCOUNT_AUTH_PER_MINUTE'], limit: true, description: '/api/v1/auth/challenge and /api/v1/auth/token calls per minute per client address, as a burst (429 above)' },
  { key: 'account_keys_per_minute', kind: 'float', default: 5, min: 0.01, max: 1_000_000, env: ['WHISPR_ACCOUNT_KEYS_PER_MINUTE'], limit: true, description: 'Prekey bundle fetches per minute per client address, as a burst (429 above)' },
  { key: 'max_one_time_prekeys', kind: 'int', default: 1000, min: 1, max: 100_000, env: ['WHISPR_MAX_ONE_TIME_PREKEYS'], limit: true, description: 'Unused one-time prekeys one account may hold (a registration above it gets 422)' },
  { key: 'account_max_connections', kind: 'int', default: 10_000, min: 1, max: 1_000_000, env: ['WHISPR_ACCOUNT_MAX_CONNECTIONS'], limit: true, description: 'Private-comm account sockets (/ws?token=) per server process (closed with 1013 above)' },
  { key: 'pending_message_ttl_seconds', kind: 'int', default: 30 * DAY, min: 60, max: 365 * DAY, env: ['WHISPR_PENDING_MESSAGE_TTL_SECONDS'], limit: true, description: 'Private-comm messages waiting for an offline recipient are deleted after this long' },
  { key: 'used_prekey_retention_seconds', kind: 'int', default: 7 * DAY, min: 0, max: 365 * DAY, env: ['WHISPR_USED_PREKEY_RETENTION_SECONDS'], limit: true, description: 'Claimed one-time prekeys are deleted this long after their claim' },
  { key: 'auth_nonce_memory_seconds', kind: 'int', default: 30 * DAY, min: 60, max: 365 * DAY, env: ['WHISPR_AUTH_NONCE_MEMORY_SECONDS'], limit: true, description: 'compat mode: how long a client-chosen login nonce is remembered so it is not accepted twice' },
  { key: 'chat_key_update_events', kind: 'bool', default: false, env: ['WHISPR_CHAT_KEY_UPDATE_EVENTS'], description: 'Chat-app: queue a GROUP_KEY_UPDATE server event (empty payload) for every member concerned by a membership change. Off, as the original: its Android client stores every GROUP_KEY_UPDATE payload as the group key' },
  { key: 'event_ttl_days', kind: 'float', default: 14, min: 0.0001, max: 365, env: ['EVENT_TTL_DAYS', 'WHISPR_EVENT_TTL_DAYS'], limit: true, description: 'Unacknowledged chat-app events are deleted after this many days' },
  { key: 'max_events_per_recipient', kind: 'int', default: 10_000, min: 1, max: 10_000_000, env: ['WHISPR_MAX_EVENTS_PER_RECIPIENT'], limit: true, description: 'Unacknowledged events queued per chat-app user; a full queue refuses new events with 429 (a group event leaves that member out)' },
  { key: 'event_window', kind: 'int', default: 100, min: 1, max: 10_000, env: ['WHISPR_EVENT_WINDOW'], limit: true, description: 'Events sent to one socket and not yet acknowledged (more follow as ACKs arrive)' },
  { key: 'event_redelivery_seconds', kind: 'float', default: 30, min: 0.05, max: DAY, env: ['WHISPR_EVENT_REDELIVERY_SECONDS'], limit: true, description: 'An event not acknowledged this long after it was sent is sent again, in sequence order' },
  { key: 'header_timeout_seconds', kind: 'float', default: 10, min: 0.1, max: 600, env: ['WHISPR_HEADER_TIMEOUT_SECONDS'], limit: true, description: 'A client must send its request headers within this time (slow clients are cut off)' },
  { key: 'request_timeout_seconds', kind: 'float', default: 60, min: 1, max: 3600, env: ['WHISPR_REQUEST_TIMEOUT_SECONDS'], limit: true, description: 'A client must send its whole request within this time' },
  { key: 'cleanup_interval_seconds', kind: 'float', default: 60, min: 0.05, max: DAY, env: ['WHISPR_CLEANUP_INTERVAL_SECONDS'], description: 'How often expired messages, receipts and attachments are removed' },
  { key: 'shutdown_timeout_seconds', kind: 'float', default: 10, min: 0.1, max: 600, env: ['WHISPR_SHUTDOWN_TIMEOUT_SECONDS'], description: 'Longest graceful shutdown before the process exits anyway' },
  { key: 'metrics_port', kind: 'int', default: 0, min: 0, max: 65_535, env: ['WHISPR_METRICS_PORT'], description: 'Port of a separate Prometheus listener serving GET /metrics (0: no listener; 9464 is the usual choice)' },
  { key: 'metrics_host', kind: 'string', default: '127.0.0.1', env: ['WHISPR_METRICS_HOST'], description: 'Address of the metrics listener (keep it private)' },
  { key: 'metrics_token', kind: 'string', default: '', env: ['WHISPR_METRICS_TOKEN'], secret: true, description: 'When set, GET /metrics on the main port also answers, only to `Authorization: Bearer <metrics_token>` (empty: no such route)' },
  { key: 'analytics_enabled', kind: 'bool', default: true, env: ['ANALYTICS_ENABLED', 'WHISPR_ANALYTICS_ENABLED'], description: 'Keep aggregate usage counters (messages, bytes, attachments, groups, active users via daily-rotating keyed hashes); false: nothing is collected' },
  { key: 'admin_username', kind: 'string', default: 'admin', env: ['ADMIN_USERNAME', 'WHISPR_ADMIN_USERNAME'], description: 'User name of the admin API and dashboard (/api/auth/login, /admin)' },
  { key: 'admin_password', kind: 'string', default: '', env: ['ADMIN_PASSWORD', 'WHISPR_ADMIN_PASSWORD'], secret: true, description: 'Admin password, or its hash from `whispr hash-password` (empty: admin API and dashboard disabled; a default such as "admin" is refused at startup)' },
  { key: 'analytics_jwt_secret', kind: 'string', default: '', env: ['ANALYTICS_JWT_SECRET', 'WHISPR_ANALYTICS_JWT_SECRET'], secret: true, description: 'HMAC secret of admin tokens, at least 32 characters; required with admin_password (a well-known default is refused at startup)' },
  { key: 'admin_token_ttl_seconds', kind: 'int', default: 3600, min: 60, max: DAY, env: ['WHISPR_ADMIN_TOKEN_TTL_SECONDS'], description: 'Lifetime of an admin token from /api/auth/login' },
  { key: 'admin_login_attempts_per_minute', kind: 'int', default: 5, min: 1, max: 10_000, env: ['WHISPR_ADMIN_LOGIN_ATTEMPTS_PER_MINUTE'], limit: true, description: 'Admin login attempts per minute per client address, as a burst (429 above)' },
] as const satisfies readonly SettingSpec[];

type Spec = (typeof SETTINGS)[number];
type ValueOf<S extends Spec> = S['kind'] extends 'int' | 'float'
  ? number
  : S['kind'] extends 'bool'
    ? boolean
    : S['kind'] extends 'list'
      ? string[]
      : S extends { choices: readonly (infer C)[] }
        ? C
        : string;

/** The effective configuration, keyed by the settings.json names. */
export type Config = { [S in Spec as S['key']]: ValueOf<S> };
