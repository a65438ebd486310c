/** Defaults of the `TwitchExtensionModule` options, in one place. */
export const TWITCH_EXTENSION_DEFAULTS = {
  /** Tolerated clock difference when checking `exp` (ms). */
  clockSkewMs: 60_000,
  /** Lifetime of the EBS JWTs the module signs (s). */
  jwtTtlSeconds: 60,
  /** Interval between two fetches of the extension's secrets (ms). */
  secretsRefreshMs: 120_000,
  pubsub: {
    enabled: true,
    /** Twitch: 100 messages per minute per (extension client ID, broadcaster). */
    limit: 100,
    windowMs: 60_000,
    marginMs: 500,
    maxWaitMs: 120_000,
  },
} as const;

/** Longest clock skew the options accept (ms). */
export const TWITCH_EXTENSION_MAX_CLOCK_SKEW_MS = 300_000;

/** Injection token of the resolved `TwitchExtensionModule` options. */
export const TWITCH_EXTENSION_RESOLVED_OPTIONS = Symbol('TWITCH_EXTENSION_RESOLVED_OPTIONS');

/** Metadata key of what `@TwitchExtensionAuth()` requires. */
export const TWITCH_EXTENSION_AUTH_REQUIREMENTS = 'twitch:extension-auth';

/** Property of the request on which the guard puts the viewer (read by `@TwitchExtensionUser()`). */
export const TWITCH_EXTENSION_USER_REQUEST_KEY = 'twitchExtensionUser';
