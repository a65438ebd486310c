import type { TwitchIdentity } from '../auth/guards/twitch-identity.js';

/** Options accepted by every `TwitchApiService` method as its last argument. */
export interface TwitchRequestOptions {
  /**
   * Access token to send instead of the managed app access token: a user access token, or a signed
   * Extension JWT for Extension endpoints. Never logged, never part of a cache key.
   */
  accessToken?: string;
  /**
   * Twitch user ID the token belongs to, when known. It names the user's rate-limit bucket and the
   * identity in cache keys without hashing the token.
   */
  userId?: string;
  /**
   * Call as the user `@TwitchAuth()` authenticated: the identity given by `@TwitchUser()`. A bearer
   * caller's own token is sent (with their rate-limit bucket); for a session, the user's stored tokens
   * are used and refreshed as with `userId`. Not together with `accessToken`.
   */
  user?: TwitchIdentity;
  /**
   * Serve this GET from the cache when a fresh answer is there, and keep the answer this long (ms).
   * `0` skips the cache, whatever `cache.defaultTtl` is.
   */
  cacheTtl?: number;
  /** Aborts the request (and any wait for the rate limiter). */
  signal?: AbortSignal;
  /** Per-request timeout in ms; defaults to the module's `timeout`. */
  timeout?: number;
}
