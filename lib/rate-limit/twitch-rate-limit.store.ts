/** Settings of a bucket, the same for every call on it. */
export interface TwitchBucketSettings {
  /** Time in ms in which an empty bucket refills completely. */
  windowMs: number;
  /** Points kept unused as a safety margin. */
  reserve: number;
  /** How long an idle bucket's state is kept (ms). */
  ttlMs: number;
  /** How long the first request on an unknown bucket may stay alone before another may go (ms). */
  probeMs: number;
}

/** What a response told about a bucket. */
export interface TwitchBucketObservation {
  /** `Ratelimit-Limit`. */
  limit: number;
  /** `Ratelimit-Remaining`. */
  remaining: number;
}

/**
 * Where token buckets live. The module ships an in-memory store (one process) and a Redis store
 * (every instance shares each bucket); provide your own by overriding this class in DI.
 *
 * A bucket holds `limit` points refilled continuously over `windowMs`. Takers may drive it below
 * zero: each one gets the moment at which its point will have been refilled, so concurrent callers
 * are spread out one by one instead of being released in batches.
 */
export abstract class TwitchRateLimitStore {
  /**
   * Takes `cost` points. Resolves to how many ms the caller must wait before sending (0 = now),
   * or -1 while the bucket's size is still unknown and another request is probing it (ask again soon).
   */
  abstract take(key: string, cost: number, settings: TwitchBucketSettings): Promise<number>;

  /** Corrects a bucket from Twitch's `Ratelimit-*` headers. Never raises the point count above what is known. */
  abstract observe(key: string, seen: TwitchBucketObservation, settings: TwitchBucketSettings): Promise<void>;
}
