export const TWITCH_HELIX_URL = 'https://api.twitch.tv/helix';
export const TWITCH_AUTH_URL = 'https://id.twitch.tv/oauth2';

/** Defaults of the module options, in one place. */
export const TWITCH_DEFAULTS = {
  timeout: 10_000,
  /** Longest wait for a connection to Twitch (ms). */
  connectTimeout: 3_000,
  /** Largest answer accepted, received or decompressed (bytes). */
  maxResponseBytes: 8 * 1024 * 1024,
  keyPrefix: 'twitch:',
  /** One `debug` log line per Helix call. */
  debug: false,
  /** Longest wait for one Redis command (ms). */
  redisCommandTimeoutMs: 500,
  rateLimit: {
    enabled: true,
    /** Twitch's documented window: a bucket refills completely once a minute. */
    windowMs: 60_000,
    /** Points kept in reserve against clock skew between this client and Twitch. */
    reserve: 2,
    maxRetries: 3,
    /** Longest wait for the bucket before a request fails (ms). */
    maxWaitMs: 120_000,
  },
  retry: { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 2_000 },
  /** Answers kept in process by the response cache's local tier. */
  cacheLocalMaxEntries: 1000,
  appToken: {
    /** Renew the app token this long before it expires (ms). */
    renewBeforeMs: 60 * 60 * 1000,
  },
} as const;

/** Injection token of the Redis client the module uses (null without Redis). */
export const TWITCH_REDIS = Symbol('TWITCH_REDIS');
/** Injection token of the resolved, validated options. */
export const TWITCH_RESOLVED_OPTIONS = Symbol('TWITCH_RESOLVED_OPTIONS');
