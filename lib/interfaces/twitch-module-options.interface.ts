import type { Cache } from 'cache-manager';
import type { RedisClientType, RedisClusterType } from 'redis';
import type { TwitchTokenStore } from '../auth/token-store/twitch-token-store.js';
import type { TwitchRateLimitStore } from '../rate-limit/twitch-rate-limit.store.js';
import type { TwitchKvStore } from '../store/twitch-kv.store.js';
import type { TwitchLoginOptions } from './twitch-login-options.interface.js';

/** Redis connection for state shared by every instance: rate-limit buckets, the app token, the cache. */
export type TwitchRedisOptions = (
  | {
      /** Redis URL, e.g. `redis://127.0.0.1:6379`. The module opens and closes this connection. */
      url: string;
    }
  | {
      /**
       * A Redis Cluster the module connects to (and closes), through any of its nodes: the others are
       * found from them. Every script and MULTI of the module stays on one slot (see `keyPrefix`).
       */
      cluster: {
        /** URLs of some of the cluster's nodes, e.g. `['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379']`. */
        rootNodes: string[];
      };
    }
  | {
      /**
       * An existing node-redis client (v5): `createClient(...)`, or `createCluster(...)` for a Redis
       * Cluster (every script and MULTI of the module stays on one slot: see `keyPrefix`). The module
       * uses it as it is and never closes it. It must be connected, or connect on its own.
       */
      client: RedisClientType<any, any, any, any, any> | RedisClusterType<any, any, any, any, any>;
    }
) & {
  /**
   * Longest wait in ms for any one Redis command the module sends. A Redis that does not answer in
   * time is treated as down for that command: the rate limiter paces in memory, the cache is
   * bypassed, user-token calls fail with a 503.
   * @default 500
   */
  commandTimeoutMs?: number;
};

export interface TwitchRateLimitOptions {
  /**
   * Client-side token bucket in front of Helix.
   * @default true
   */
  enabled?: boolean;
  /**
   * Time in ms in which Twitch refills an empty bucket completely. Twitch documents one minute. Only a fallback:
   * each bucket's own refill time is learnt from `Ratelimit-Reset` as answers come.
   * @default 60000
   */
  windowMs?: number;
  /**
   * Points left unused as a safety margin against clock differences (at most half the bucket).
   * @default 2
   */
  reserve?: number;
  /**
   * How many times a request that met a 429 from an empty bucket is retried after `Ratelimit-Reset`.
   * @default 3
   */
  maxRetries?: number;
  /**
   * Longest time in ms a request may wait in total, for the bucket and after 429s, before it fails with
   * `TwitchRateLimitException`. A wait that would go beyond it fails at once and costs no point.
   * @default 120000
   */
  maxWaitMs?: number;
  /**
   * Where the token buckets live: your own `TwitchRateLimitStore` (a subclass with `take` and `observe`), used
   * as it is and never closed by the module. With `redis` the default store shares every bucket between the
   * instances; without it, buckets are per process.
   * @default a TwitchRedisRateLimitStore with `redis`, a TwitchMemoryRateLimitStore otherwise
   */
  store?: TwitchRateLimitStore;
}

export interface TwitchRetryOptions {
  /**
   * Retries of a GET after a Twitch 5xx or a network error.
   * @default 2
   */
  maxRetries?: number;
  /**
   * First backoff in ms; doubles on each retry, with full jitter.
   * @default 100
   */
  baseDelayMs?: number;
  /**
   * Longest backoff in ms.
   * @default 2000
   */
  maxDelayMs?: number;
}

/**
 * What the module uses of a cache-manager `Cache`: its `get` and `set`. Any cache-manager 7 `Cache` fits,
 * whether the app imports cache-manager as ESM or as CommonJS (whose declarations TypeScript keeps apart).
 */
export type TwitchCacheManager = Pick<Cache, 'get' | 'set'>;

export interface TwitchCacheOptions {
  /**
   * TTL in ms applied to every GET that does not set `cacheTtl` itself. `0` caches only on request.
   * @default 0
   */
  defaultTtl?: number;
  /**
   * Answers kept in this process, least recently used dropped first. Without Redis this is the
   * whole cache; with `redis` it holds copies of what this process wrote to or read from Redis, each
   * until the Redis entry expires. `0` keeps nothing in process (without Redis: no cache at all).
   * Not used with `manager`.
   * @default 1000
   */
  localMaxEntries?: number;
  /**
   * A cache-manager `Cache` to use instead of the module's own (for instance the `CACHE_MANAGER`
   * of `@nestjs/cache-manager`, with any Keyv store such as `cache-manager-redis-yet` through `KeyvAdapter`).
   * The module never closes a cache it did not create.
   * @default the module's own: in process, and in Redis with `redis`
   */
  manager?: TwitchCacheManager;
}

export interface TwitchTokenOptions {
  /**
   * Where user tokens are kept. Pass your own `TwitchTokenStore` (a database, say) to keep them elsewhere.
   * @default a TwitchRedisTokenStore with `redis`, a TwitchMemoryTokenStore otherwise
   */
  store?: TwitchTokenStore;
  /**
   * Key for AES-256-GCM encryption of tokens at rest (users' tokens in the Redis token store and the
   * shared app token): 64 hex characters or base64 of 32 bytes. Each record is sealed for its owner
   * (user ID, or the app token's key), so a record copied onto another key does not open. Without it,
   * tokens are stored in clear, and the module says so once at startup when it uses Redis.
   */
  encryptionKey?: string;
  /**
   * How often stored tokens are validated with Twitch (Twitch requires hourly), in ms.
   * Instances share the schedule: each token is validated once per interval, by one instance.
   * @default 3600000
   */
  validateIntervalMs?: number;
  /**
   * Validate stored tokens when the application starts (Twitch requires it).
   * @default true
   */
  validateOnStartup?: boolean;
}

export interface TwitchModuleOptions {
  /** Your application's client ID from the Twitch developer console. */
  clientId: string;
  /** Your application's client secret. Omit it for a public client (device code flow only). */
  clientSecret?: string;
  /** OAuth redirect URI registered for the application. */
  redirectUri?: string;
  /** Redis for state shared across instances. Without it, everything is kept in this process's memory. */
  redis?: TwitchRedisOptions;
  /**
   * Base URL of the Helix API.
   * @default 'https://api.twitch.tv/helix'
   */
  helixUrl?: string;
  /**
   * Base URL of Twitch's OAuth2 server.
   * @default 'https://id.twitch.tv/oauth2'
   */
  authUrl?: string;
  /**
   * Request timeout in ms: the longest one attempt may take, connecting included. Retries
   * (`retry.maxRetries`) each get their own.
   * @default 10000
   */
  timeout?: number;
  /**
   * Longest wait in ms for the TCP connection (and TLS handshake) to Twitch. A connect failure is a
   * network error: retried per `retry.*` for a GET. A refused connection fails at once. At most `timeout`.
   * @default 3000
   */
  connectTimeout?: number;
  /**
   * Largest answer accepted, in bytes, counted both as received and after decompression (gzip,
   * deflate, br). A larger answer is stopped as soon as it passes the bound and fails with
   * `TwitchInvalidResponseException` (502). Twitch's largest pages are a few hundred KB.
   * @default 8388608 (8 MiB)
   */
  maxResponseBytes?: number;
  /**
   * Prefix of every Redis key and cache key the module writes. Each key then carries a Redis Cluster hash
   * tag of its own (`twitch:{rl:…}`); a prefix with a tag (`app{1}:`) puts every key on that one slot.
   * A `{` in the prefix must open a non-empty tag that the prefix closes.
   * @default 'twitch:'
   */
  keyPrefix?: string;
  /**
   * Where the module keeps small shared state with expiry: login sessions, used login states, cached token
   * validations, locks and schedules. Your own `TwitchKvStore` (a subclass with `get`, `set`, `setIfAbsent`,
   * `take`, `delete` and `deleteIf`), used as it is and never closed by the module. Keys come with `keyPrefix`
   * already applied. Every instance of the app must share it for sessions and locks to work across instances.
   * @default a TwitchRedisKvStore with `redis`, a TwitchMemoryKvStore otherwise
   */
  stateStore?: TwitchKvStore;

  /**
   * One `debug` line per Helix call with Nest's logger (context `TwitchHttp`): method, path, status,
   * duration (ms), the bucket's remaining points and the cache outcome. Never a token.
   * @default false
   */
  debug?: boolean;
  rateLimit?: TwitchRateLimitOptions;
  retry?: TwitchRetryOptions;
  cache?: TwitchCacheOptions;
  /** User tokens: storage, encryption at rest, validation schedule. */
  tokens?: TwitchTokenOptions;
  /** Guards (`@TwitchAuth()`) and the login flow (`TwitchLoginModule`): scopes, redirects, cookies, caching. */
  login?: TwitchLoginOptions;
}
