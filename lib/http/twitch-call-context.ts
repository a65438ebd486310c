import type { TwitchAuthKind } from '../api/twitch-endpoint.interface.js';
import type { TwitchCallObservation } from '../observability/twitch-telemetry.js';
import type { TwitchAnswerKind } from './twitch-answer.js';

export interface TwitchCallInit {
  /** `helix` calls get the token, rate-limit and cache steps; `oauth` calls go straight to id.twitch.tv. */
  kind: 'helix' | 'oauth';
  /** How the call is named in errors and logs: `GET /streams (Get Streams)`. */
  label: string;
  auth: TwitchAuthKind;
  /** Token given by the caller. */
  accessToken?: string;
  /** User whose stored token to use (or whose bucket an explicit token belongs to). */
  userId?: string;
  /** Scope alternatives the endpoint needs (for a clear missing-scope error). */
  scopes?: readonly (readonly string[])[];
  cacheTtl?: number;
  /** May be sent again after a 5xx or a network error. */
  idempotent?: boolean;
  /** What a successful answer must hold (from the endpoint's catalog entry); unchecked when absent. */
  answer?: TwitchAnswerKind;
}

/**
 * Everything the pipeline knows about one call, carried on the axios config as `twitch`.
 * A class (not a plain object) so axios keeps the same instance across retries instead of copying it.
 */
export class TwitchCallContext {
  readonly kind: 'helix' | 'oauth';
  readonly label: string;
  readonly auth: TwitchAuthKind;
  readonly accessToken?: string;
  readonly userId?: string;
  readonly scopes: readonly (readonly string[])[];
  /** The call's own `cacheTtl` (ms); undefined: the module's `cache.defaultTtl` applies. */
  readonly cacheTtl?: number;
  readonly idempotent: boolean;
  readonly answer?: TwitchAnswerKind;

  /** Retries after a 5xx or network error so far. */
  attempt = 0;
  /** Retries after a 429 from an empty bucket so far. */
  rateLimitRetries = 0;
  /** Time spent waiting for the rate-limit bucket and after 429s so far (ms), at most `rateLimit.maxWaitMs`. */
  rateLimitWaitedMs = 0;
  /** The token was already renewed once after a 401. */
  tokenRenewed = false;
  /** Where the token sent on this attempt came from. */
  tokenSource?: 'app' | 'user' | 'caller';
  /** The token sent on this attempt (never logged). */
  token?: string;
  /** Rate-limit bucket of this call. */
  bucket?: string;
  /** This request is the one shared fetch behind identical cacheable GETs (it skips the cache lookup). */
  sharedFetch = false;
  /** The answer comes from the cache or from the shared fetch (this request sends nothing itself). */
  fromCache = false;
  /** The last attempt failed before reaching Twitch (no connection): its rate-limit point was not spent. */
  unsent = false;
  /** What the telemetry and the debug line record of this call. */
  observed?: TwitchCallObservation;

  private readonly init: TwitchCallInit;

  constructor(init: TwitchCallInit) {
    this.init = init;
    this.kind = init.kind;
    this.label = init.label;
    this.auth = init.auth;
    this.accessToken = init.accessToken;
    this.userId = init.userId;
    this.scopes = init.scopes ?? [];
    this.cacheTtl = init.cacheTtl;
    this.idempotent = init.idempotent ?? false;
    this.answer = init.answer;
  }

  /** A fresh context for the shared fetch of this call's cacheable GET. */
  forSharedFetch(): TwitchCallContext {
    const ctx = new TwitchCallContext(this.init);
    ctx.sharedFetch = true;
    ctx.bucket = this.bucket;
    return ctx;
  }
}

declare module 'axios' {
  interface AxiosRequestConfig {
    /** The module's per-call state; present on every request the module sends. */
    twitch?: TwitchCallContext;
  }
}
