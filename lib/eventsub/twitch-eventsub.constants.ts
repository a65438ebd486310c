/** Defaults of the `TwitchEventSubModule` options, in one place. */
export const TWITCH_EVENTSUB_DEFAULTS = {
  webhookPath: '/eventsub',
  /** Twitch's replay window: messages older than 10 minutes are refused. */
  maxMessageAgeMs: 10 * 60 * 1000,
  /** Largest webhook body read (bytes): Twitch's batched messages reach 250 KB. */
  maxBodyBytes: 1024 * 1024,
  /** A message id stays claimed this long (covers Twitch's retries). */
  claimTtlMs: 60 * 60 * 1000,
  redisTimeoutMs: 1_000,
  reconcileLockTtlMs: 60_000,
  /** Twitch's EventSub WebSocket endpoint. */
  webSocketUrl: 'wss://eventsub.wss.twitch.tv/ws',
  keepaliveMarginMs: 3_000,
  connectTimeoutMs: 10_000,
  reconnectBaseDelayMs: 1_000,
  reconnectMaxDelayMs: 60_000,
  conduitShardCount: 4,
  conduitName: 'default',
  conduitHeartbeatMs: 2_000,
  conduitLeaseMs: 6_000,
} as const;

/** Injection token of the resolved `TwitchEventSubModule` options. */
export const TWITCH_EVENTSUB_RESOLVED_OPTIONS = Symbol('TWITCH_EVENTSUB_RESOLVED_OPTIONS');
/** Injection token of the mounted webhook route (`{ path }`). */
export const TWITCH_EVENTSUB_MOUNT = Symbol('TWITCH_EVENTSUB_MOUNT');
/** Injection token of the webhook body reader (Express): whether it is installed. */
export const TWITCH_EVENTSUB_BODY_READER = Symbol('TWITCH_EVENTSUB_BODY_READER');

/** Metadata keys of the handler decorators. */
export const TWITCH_EVENTSUB_HANDLER = 'nestjs-twitch:eventsub:handler';
export const TWITCH_EVENTSUB_NOTIFICATION_LISTENER = 'nestjs-twitch:eventsub:notification';
export const TWITCH_EVENTSUB_REVOCATION_LISTENER = 'nestjs-twitch:eventsub:revocation';
