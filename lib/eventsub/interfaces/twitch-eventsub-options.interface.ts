import type { TwitchEventSubNotification, TwitchEventSubSubscriptionInfo } from './twitch-eventsub-message.interface.js';

/** The webhook transport: Twitch POSTs notifications to `callbackUrl`, which this module serves at `path`. */
export interface TwitchEventSubWebhookOptions {
  /**
   * Public URL Twitch sends notifications to (HTTPS on port 443 in production), e.g.
   * `https://example.com/eventsub`. Subscriptions are created with it, and only subscriptions with this
   * callback are considered this app's.
   */
  callbackUrl: string;
  /**
   * Secret Twitch signs every message with (10 to 100 ASCII characters). Keep it in your configuration;
   * it is never logged.
   */
  secret: string;
  /**
   * Route that receives the webhooks (`POST {path}`). With `forRootAsync`, the route is mounted before the
   * factory runs: give it as `forRootAsync({ webhookPath })` instead.
   * @default '/eventsub'
   */
  path?: string;
  /**
   * Messages whose `Twitch-Eventsub-Message-Timestamp` is older than this (ms) are refused (replay guard;
   * Twitch documents 10 minutes).
   * @default 600000
   */
  maxMessageAgeMs?: number;
  /**
   * Largest webhook body accepted (bytes); a larger one is answered 413 `body_too_large` and not read
   * further. On Express the module reads the webhook's body itself up to this size (Nest's JSON parser
   * stops at 100 KB; Twitch's batched messages reach 250 KB); on Fastify the app's `bodyLimit` (1 MiB by
   * default) applies as well. From 256 KB to 64 MB.
   * @default 1048576
   */
  maxBodyBytes?: number;
}

/** A subscription the app wants, with the condition in camelCase (the catalog's condition class). */
export interface TwitchEventSubWantedSubscription {
  type: string;
  version: string;
  condition: Record<string, unknown>;
}

export interface TwitchEventSubReconcileOptions {
  /**
   * Reconcile when the HTTP server starts listening (webhook challenges need a listening server).
   * @default true
   */
  onStartup?: boolean;
  /**
   * Delete subscriptions with this app's callback that nothing wants (no handler, no `subscriptions`
   * entry, no runtime `subscribe()`).
   * @default false
   */
  prune?: boolean;
  /**
   * How long the reconcile lock is held at most (ms); one instance reconciles at a time, the others wait.
   * @default 60000
   */
  lockTtlMs?: number;
}

/** What a failing handler is reported with. */
export interface TwitchEventSubHandlerErrorContext {
  /** `Class.method`, or `onNotification` / `onRevocation` for listeners added at runtime. */
  handler: string;
  /** The notification (or revocation) the handler failed on. */
  notification: TwitchEventSubNotification;
}

/** How Twitch's messages reach the app. */
export type TwitchEventSubTransportName = 'webhook' | 'websocket' | 'conduit';

/** The WebSocket transport: one session to Twitch, subscribed with a user's token on every fresh session. */
export interface TwitchEventSubWebSocketOptions {
  /**
   * URL of a fresh session (`session_reconnect` URLs are followed as Twitch gives them).
   * @default 'wss://eventsub.wss.twitch.tv/ws'
   */
  url?: string;
  /**
   * The user whose stored token (`TwitchUserTokenService`, refreshed on a 401) makes the subscriptions:
   * WebSocket subscriptions need a user access token, and their conditions must name that user (or a channel
   * the user moderates, as each type requires). Without it, each subscription is made with the token of the
   * user its condition names (`moderator_user_id`, else `user_id`, else `broadcaster_user_id`), one session
   * per user.
   * @default the user in each condition
   */
  userId?: string;
  /**
   * `keepalive_timeout_seconds` asked of Twitch, 10 to 600 s. It is also the time Twitch gives to subscribe
   * after the welcome.
   * @default Twitch's own (10 s)
   */
  keepaliveTimeoutSeconds?: number;
  /**
   * Wait beyond the keepalive window before a silent session counts as lost and is replaced (ms).
   * @default 3000
   */
  keepaliveMarginMs?: number;
  /**
   * Time to open the socket and read its welcome (ms).
   * @default 10000
   */
  connectTimeoutMs?: number;
  /**
   * First backoff delay before a fresh session after a failure (ms), doubled per failure with jitter.
   * @default 1000
   */
  reconnectBaseDelayMs?: number;
  /**
   * Longest backoff delay (ms).
   * @default 60000
   */
  reconnectMaxDelayMs?: number;
}

/** The conduit transport: a conduit whose shards the running instances share (through Redis). */
export interface TwitchEventSubConduitOptions {
  /**
   * Shards of the conduit, 1 to 20000; an existing conduit is resized to it.
   * @default 4
   */
  shardCount?: number;
  /**
   * The conduit to use when you keep its id in your configuration.
   * @default the id kept in Redis, else a new conduit
   */
  conduitId?: string;
  /**
   * Name of this app's conduit in Redis (to keep several apps on one client apart): 1 to 64 letters,
   * digits, `_`, `.` or `-`.
   * @default 'default'
   */
  name?: string;
  /**
   * How the shards reach this instance: one WebSocket session per shard, or this instance's webhook
   * receiver (then `webhook.callbackUrl` and `webhook.secret` are required, and each instance needs its
   * own callback URL).
   * @default 'websocket'
   */
  shardTransport?: 'websocket' | 'webhook';
  /**
   * WebSocket URL of the shards' sessions (`shardTransport: 'websocket'`).
   * @default 'wss://eventsub.wss.twitch.tv/ws'
   */
  url?: string;
  /**
   * Time between heartbeats (lease renewal, rebalancing, repairs), ms; at least 50.
   * @default 2000
   */
  heartbeatMs?: number;
  /**
   * An instance that has not renewed its lease for this long loses its shards (ms); more than `heartbeatMs`.
   * @default 6000
   */
  leaseMs?: number;
}

export interface TwitchEventSubModuleOptions {
  /**
   * How Twitch's messages reach the app: `webhook` (Twitch POSTs to `webhook.callbackUrl`), `websocket`
   * (one session, subscribed with `websocket.userId`'s token) or `conduit` (shards shared by the instances,
   * subscribed once with the app token).
   * @default 'webhook' when `webhook` is given, else 'websocket'
   */
  transport?: TwitchEventSubTransportName;
  /** The webhook transport (and the callback of conduit shards with `shardTransport: 'webhook'`). */
  webhook?: TwitchEventSubWebhookOptions;
  /** The WebSocket transport (`transport: 'websocket'`). */
  websocket?: TwitchEventSubWebSocketOptions;
  /** The conduit transport (`transport: 'conduit'`). */
  conduit?: TwitchEventSubConduitOptions;
  /** Subscriptions wanted besides those of `@OnTwitchEvent(..., { condition })` handlers. */
  subscriptions?: TwitchEventSubWantedSubscription[];
  reconcile?: TwitchEventSubReconcileOptions;
  /**
   * How long a message id stays claimed (ms): a message with the same id within that time is acknowledged
   * and not handled again. It must cover Twitch's retry window (not documented; retries come within
   * minutes).
   * @default 3600000
   */
  claimTtlMs?: number;
  /**
   * Longest wait for one Redis command of the module's EventSub state (ms). A slower or unreachable Redis
   * falls back to this instance's memory (see the README on duplicates).
   * @default 1000
   */
  redisTimeoutMs?: number;
  /**
   * Called when a handler throws or rejects (after the notification was acknowledged). The failure is also
   * logged. Errors thrown by the hook itself are logged and dropped.
   */
  onHandlerError?: (error: unknown, context: TwitchEventSubHandlerErrorContext) => void | Promise<void>;
  /** Called with each revoked subscription (also logged with the reason). */
  onRevocation?: (subscription: TwitchEventSubSubscriptionInfo) => void | Promise<void>;
}
