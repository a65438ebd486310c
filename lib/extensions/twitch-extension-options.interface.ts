/** Pacing of Send Extension PubSub Message, per channel, shared by every instance through Redis. */
export interface TwitchExtensionPubSubOptions {
  /**
   * Pace the messages. Twitch allows `limit` messages per `windowMs` per (extension, channel) and
   * answers 429 beyond that.
   * @default true
   */
  enabled?: boolean;
  /**
   * Messages per window and channel (Twitch: 100 per minute per extension client ID and broadcaster).
   * @default 100
   */
  limit?: number;
  /**
   * Length of the window, ms.
   * @default 60000
   */
  windowMs?: number;
  /**
   * Extra time a sent message keeps its slot after its answer came back, ms: a margin against the
   * clock difference between this machine and Twitch.
   * @default 500
   */
  marginMs?: number;
  /**
   * Longest wait for a free slot before the call fails with a `TwitchExtensionPubSubLimitException`
   * (429) without sending, ms.
   * @default 120000
   */
  maxWaitMs?: number;
}

/** Options of `TwitchExtensionModule.forRoot()` / `forRootAsync()`. */
export interface TwitchExtensionModuleOptions {
  /**
   * The extension's client ID. EBS calls go out with `TwitchModule`'s `clientId` as `Client-Id`,
   * and Twitch wants the extension's: register `TwitchModule` with the extension's client ID.
   * @default the `clientId` of `TwitchModule`
   */
  extensionId?: string;
  /**
   * The extension secret as the developer console shows it (base64). Verifies frontend JWTs and
   * signs EBS JWTs. Give `secret` or `secrets` (or both).
   */
  secret?: string;
  /**
   * Several base64 secrets, newest first (during a rotation you handle yourself): all of them verify
   * frontend JWTs, the first signs EBS JWTs.
   */
  secrets?: string[];
  /**
   * Twitch user ID of the extension's owner: the `user_id` claim of every EBS JWT. Needed for the
   * EBS calls of `TwitchExtensionService` and for fetching the secrets.
   */
  ownerId?: string;
  /**
   * Fetch the extension's secrets from Twitch (Get Extension Secrets), keep them in the module's
   * key-value store (Redis when configured, shared by every instance) and fetch them again every
   * `secretsRefreshMs`, so a rotation started in the console or with Create Extension Secret is
   * followed: the new secret is accepted from the start, the old one until Twitch's `expires_at`.
   * The configured `secret`/`secrets` sign the first fetch and stay a fallback while Twitch cannot be
   * reached.
   * @default true when `ownerId` is set
   */
  fetchSecrets?: boolean;
  /**
   * How often the secrets are fetched again, ms. Twitch activates a new secret at least 300 s after
   * its creation, so anything shorter sees it before frontends use it.
   * @default 120000
   */
  secretsRefreshMs?: number;
  /**
   * Tolerated difference between Twitch's clock and this machine's when checking `exp`, ms (at most
   * 300000).
   * @default 60000
   */
  clockSkewMs?: number;
  /**
   * Lifetime of the JWTs the module signs for EBS calls, seconds.
   * @default 60
   */
  jwtTtlSeconds?: number;
  /** Pacing of Send Extension PubSub Message. */
  pubsub?: TwitchExtensionPubSubOptions;
}
