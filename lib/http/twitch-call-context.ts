import type { TwitchAuthKind } from '../api/twitch-endpoint.interface.js';
import type { TwitchCachedResponse } from '../cache/twitch-cache.js';

/**
 * Everything the pipeline knows about one call, carried on the axios config as `twitch`.
 * A class (not a plain object) so axios keeps the same instance across retries instead of copying it.
 */
export class TwitchCallContext {
  /** Retries after a 5xx or network error so far. */
  attempt = 0;
  /** Retries after a 429 from an empty bucket so far. */
  rateLimitRetries = 0;
  /** The app token was already renewed once after a 401. */
  tokenRenewed = false;
  /** The managed app token sent with this call, if any. */
  appToken?: string;
  /** Rate-limit bucket of this call. */
  bucket?: string;
  /** Cache key when this GET is cacheable. */
  cacheKey?: string;
  /** Settles the shared promise other identical misses wait on. */
  settle?: { resolve(value: TwitchCachedResponse): void; reject(reason: unknown): void };
  /** The answer came from the cache (or from an identical request in flight). */
  fromCache = false;

  constructor(
    /** `helix` calls get the token, rate-limit and cache steps; `oauth` calls go straight to id.twitch.tv. */
    readonly kind: 'helix' | 'oauth',
    /** How the call is named in errors and logs: `GET /streams (Get Streams)`. */
    readonly label: string,
    readonly auth: TwitchAuthKind,
    readonly accessToken?: string,
    readonly userId?: string,
    readonly cacheTtl = 0,
    /** May be sent again after a 5xx or a network error. */
    readonly idempotent = false,
  ) {}
}

declare module 'axios' {
  interface AxiosRequestConfig {
    /** The module's per-call state; present on every request the module sends. */
    twitch?: TwitchCallContext;
  }
}
