/**
 * Sane ranges for what Twitch reports and for what the limiter learns from it. A header outside them
 * (a proxy, an edge error page, a bug) is clamped, so one bad answer cannot block a bucket.
 */
export const TWITCH_RATE_LIMIT_BOUNDS = {
  /** Largest `Ratelimit-Limit` taken as it is (points); the smallest is 1. */
  maxLimit: 100_000,
  /** Furthest `Ratelimit-Reset` taken as it is, from now (ms). Twitch refills a bucket within a minute. */
  maxResetMs: 300_000,
  /** Shortest refill time learnt from `Ratelimit-Reset` (ms). */
  minWindowMs: 1_000,
  /** Longest refill time learnt from `Ratelimit-Reset` (ms). */
  maxWindowMs: 300_000,
} as const;

/** Settings of a bucket, the same for every call on it. */
export interface TwitchBucketSettings {
  /** Time in ms in which an empty bucket refills completely, until the bucket's own is learnt from `Ratelimit-Reset`. */
  windowMs: number;
  /** Points kept unused as a safety margin (at most half the bucket). */
  reserve: number;
  /** How long an idle bucket's state is kept (ms). */
  ttlMs: number;
  /** How long the first request on an unknown bucket may stay alone if its outcome is never reported (ms). */
  probeMs: number;
  /** Bounds of the refill time learnt from `Ratelimit-Reset` (ms). */
  minWindowMs: number;
  maxWindowMs: number;
}

/**
 * What a response told about a bucket, already clamped to sane ranges. Without `limit` and `remaining`
 * the answer carried no `Ratelimit-*` headers (or `answered` is false: no answer came at all).
 */
export interface TwitchBucketObservation {
  /** `Ratelimit-Limit`: from 1 to {@link TWITCH_RATE_LIMIT_BOUNDS}.maxLimit. */
  limit?: number;
  /** `Ratelimit-Remaining`: from 0 to `limit`. */
  remaining?: number;
  /** Time in ms until the bucket is full again, from `Ratelimit-Reset`; absent when unknown or out of range. */
  fullInMs?: number;
  /** An answer came (false: network failure, timeout or abort). @default true */
  answered?: boolean;
}

/**
 * The outcome of {@link TwitchRateLimitStore.take}:
 * - `taken`: the points are the caller's; send after `waitMs` ms.
 * - `probe`: the bucket is unknown; this request goes now, alone, and its outcome must be reported with `observe`.
 * - `pending`: another request is probing the unknown bucket; ask again soon. Nothing was taken.
 * - `refused`: the points would only be there in `waitMs` ms, more than the caller may wait. Nothing was taken.
 */
export interface TwitchBucketGrant {
  status: 'taken' | 'probe' | 'pending' | 'refused';
  /** ms to wait before sending (`taken`), or the wait that was refused (`refused`); 0 otherwise. */
  waitMs: number;
  /**
   * With a `taken` wait: the bucket's refill count (points refilled since it was created) at which the
   * caller may go. {@link TwitchRateLimitStore.due} turns it into the wait left at the bucket's current rate.
   */
  ticket?: number;
}

/**
 * Where token buckets live. The module ships an in-memory store (one process) and a Redis store
 * (every instance shares each bucket); give your own as the `rateLimit.store` option.
 *
 * A bucket holds `limit` points refilled continuously, completely in its refill time: learnt from
 * `Ratelimit-Reset` (time until full, for the points missing), `windowMs` until then. Takers may drive
 * it below zero: each one gets the moment at which its point will have been refilled, so concurrent
 * callers are spread out one by one instead of being released in batches. A bucket whose answers
 * carry no `Ratelimit-*` headers is not paced until an answer with them arrives.
 */
export abstract class TwitchRateLimitStore {
  /**
   * Takes `cost` points unless the caller would have to wait more than `maxWaitMs` ms for them
   * (then nothing is taken: a refused call costs nothing).
   */
  abstract take(key: string, cost: number, settings: TwitchBucketSettings, maxWaitMs: number): Promise<TwitchBucketGrant>;

  /**
   * Folds in the outcome of a request: Twitch's `Ratelimit-*` headers correct the bucket (never raising the
   * point count above what is known) and teach its refill time; any outcome ends a probe.
   */
  abstract observe(key: string, seen: TwitchBucketObservation, settings: TwitchBucketSettings): Promise<void>;

  /**
   * The ms still to wait for a `ticket` from `take`, at the refill rate known now (a waiter re-asks during
   * long waits, so waits handed out before the bucket's refill time was learnt shrink once it is).
   * Resolves to undefined when the store cannot tell: the caller keeps its first wait.
   */
  due(key: string, ticket: number, settings: TwitchBucketSettings): Promise<number | undefined> {
    void key;
    void ticket;
    void settings;
    return Promise.resolve(undefined);
  }
}

/**
 * The refill time a bucket is believed to have after an observation: Twitch's time until full for the
 * points missing gives one estimate, weighted by the share of the bucket missing (a nearly full bucket
 * says little, since `Ratelimit-Reset` has whole seconds). The Redis script computes the same.
 */
export function learnWindowMs(prior: number, seen: TwitchBucketObservation, s: TwitchBucketSettings): number {
  const { limit, remaining, fullInMs } = seen;
  if (limit === undefined || remaining === undefined || fullInMs === undefined || fullInMs <= 0) return prior;
  const missing = limit - remaining;
  if (missing < 1) return prior;
  const estimate = Math.min(s.maxWindowMs, Math.max(s.minWindowMs, (limit * fullInMs) / missing));
  return prior + (missing / limit) * (estimate - prior);
}

/** The wait in ms before `tokens` (after taking) are back above the reserve. The Redis script computes the same. */
export function waitForPoints(tokens: number, limit: number, windowMs: number, reserve: number): number {
  const deficit = deficitOf(tokens, limit, reserve);
  return deficit <= 0 ? 0 : Math.ceil((deficit * windowMs) / limit);
}

/** Points to be refilled before `tokens` (after taking) are back above the reserve (at most half the bucket). */
export function deficitOf(tokens: number, limit: number, reserve: number): number {
  return Math.min(reserve, Math.floor(limit / 2)) - tokens;
}
