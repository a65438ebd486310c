export const TWITCH_HELIX_URL = 'https://api.twitch.tv/helix';
export const TWITCH_AUTH_URL = 'https://id.twitch.tv/oauth2';

/**
 * Defaults of the module options, in one place and in the options' own shape (`TWITCH_DEFAULTS.rateLimit.maxWaitMs`
 * is the default of `rateLimit.maxWaitMs`). `resolveTwitchOptions` fills them in; the options' JSDoc `@default`
 * tags and the README's options table are checked against them by `test/options-schema.spec.ts`. Pluggable parts
 * (`tokens.store`, `rateLimit.store`, `stateStore`, `cache.manager`) have no constant default: without them the
 * module builds its own (in Redis with `redis`, in memory otherwise).
 */
export const TWITCH_DEFAULTS = {
  helixUrl: TWITCH_HELIX_URL,
  authUrl: TWITCH_AUTH_URL,
  /** Longest one attempt may take (ms). */
  timeout: 10_000,
  /** Longest wait for a connection to Twitch (ms). */
  connectTimeout: 3_000,
  /** Largest answer accepted, received or decompressed (bytes). */
  maxResponseBytes: 8 * 1024 * 1024,
  keyPrefix: 'twitch:',
  /** One `debug` log line per Helix call. */
  debug: false,
  redis: {
    /** Longest wait for one Redis command (ms). */
    commandTimeoutMs: 500,
  },
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
  cache: {
    /** TTL of every GET that does not set `cacheTtl` (ms); 0 caches only on request. */
    defaultTtl: 0,
    /** Answers kept in process by the response cache's local tier. */
    localMaxEntries: 1000,
  },
  tokens: {
    /** Twitch requires stored tokens to be validated hourly (ms). */
    validateIntervalMs: 3_600_000,
    validateOnStartup: true,
  },
  login: {
    scopes: [] as readonly string[],
    successRedirect: '/',
    logoutRedirect: '/',
    forceVerify: false,
    /** 10 minutes (ms). */
    stateTtlMs: 600_000,
    /** 7 days (ms). */
    sessionTtlMs: 604_800_000,
    cookieName: 'twitch_session',
    secureCookie: 'auto',
    validationCacheTtlMs: 60_000,
    invalidTokenCacheTtlMs: 5_000,
    /** Twitch's hourly validation (ms). */
    revalidateAfterMs: 3_600_000,
  },
} as const;

/** Renew the app token this long before it expires (ms). Not an option. */
export const TWITCH_APP_TOKEN_RENEW_BEFORE_MS = 60 * 60 * 1000;

/** Injection token of the Redis client the module uses (null without Redis). */
export const TWITCH_REDIS = Symbol('TWITCH_REDIS');
/** Injection token of the resolved, validated options. */
export const TWITCH_RESOLVED_OPTIONS = Symbol('TWITCH_RESOLVED_OPTIONS');
