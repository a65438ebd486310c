/**
 * A continuously refilled token bucket, the model Twitch documents for Helix rate limits.
 * Internal to the fake.
 */

/** The three `Ratelimit-*` values of a response. */
export interface RateLimitSnapshot {
  /** `Ratelimit-Limit`: the bucket's capacity. */
  limit: number;
  /** `Ratelimit-Remaining`: whole points left. */
  remaining: number;
  /** `Ratelimit-Reset`: epoch seconds (rounded up) at which the bucket is full again. */
  reset: number;
}

/** A bucket of `capacity` points refilled at `capacity / refillMs` points per millisecond. */
export class TokenBucket {
  private points: number;
  private updatedAt: number;

  constructor(
    readonly capacity: number,
    readonly refillMs: number,
    now: number = Date.now(),
  ) {
    this.points = capacity;
    this.updatedAt = now;
  }

  /** Take `cost` points if available. Returns whether they were taken. */
  take(cost = 1, now: number = Date.now()): boolean {
    this.refill(now);
    if (this.points < cost) return false;
    this.points -= cost;
    return true;
  }

  /** Current header values, after refilling up to `now`. */
  snapshot(now: number = Date.now()): RateLimitSnapshot {
    this.refill(now);
    const missing = this.capacity - this.points;
    const msToFull = missing <= 0 ? 0 : (missing * this.refillMs) / this.capacity;
    return {
      limit: this.capacity,
      remaining: Math.max(0, Math.floor(this.points)),
      reset: Math.ceil((now + msToFull) / 1000),
    };
  }

  private refill(now: number): void {
    const elapsed = now - this.updatedAt;
    if (elapsed > 0) {
      this.points =
        this.refillMs <= 0 ? this.capacity : Math.min(this.capacity, this.points + (elapsed * this.capacity) / this.refillMs);
    }
    this.updatedAt = Math.max(this.updatedAt, now);
  }
}
