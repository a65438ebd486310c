import {
  deficitOf,
  learnWindowMs,
  type TwitchBucketGrant,
  type TwitchBucketObservation,
  type TwitchBucketSettings,
  TwitchRateLimitStore,
  waitForPoints,
} from './twitch-rate-limit.store.js';

interface Bucket {
  limit?: number;
  tokens: number;
  ts: number;
  /** Points refilled since the bucket was created: the clock of the waiters' tickets. */
  filled: number;
  /** Refill time learnt from `Ratelimit-Reset` (ms). */
  windowMs?: number;
  probeUntil: number;
  /** Answers came without `Ratelimit-*` headers: not paced until one has them. */
  bare: boolean;
  touched: number;
}

/** Token buckets in this process's memory: right for a single instance. */
export class TwitchMemoryRateLimitStore extends TwitchRateLimitStore {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  take(key: string, cost: number, s: TwitchBucketSettings, maxWaitMs: number): Promise<TwitchBucketGrant> {
    return Promise.resolve(this.takeSync(key, cost, s, maxWaitMs));
  }

  observe(key: string, seen: TwitchBucketObservation, s: TwitchBucketSettings): Promise<void> {
    const now = this.now();
    const b = this.bucket(key, now, s);
    b.probeUntil = 0;
    if (seen.answered === false) return Promise.resolve();
    if (seen.limit === undefined || seen.remaining === undefined) {
      if (b.limit === undefined) b.bare = true;
      return Promise.resolve();
    }
    this.refill(b, now, s);
    b.tokens = b.limit === undefined ? seen.remaining : Math.min(b.tokens, seen.remaining);
    b.windowMs = learnWindowMs(b.windowMs ?? s.windowMs, seen, s);
    b.limit = seen.limit;
    b.bare = false;
    return Promise.resolve();
  }

  takeSync(key: string, cost: number, s: TwitchBucketSettings, maxWaitMs: number): TwitchBucketGrant {
    const now = this.now();
    const b = this.bucket(key, now, s);
    if (b.limit === undefined) {
      if (b.bare) return { status: 'taken', waitMs: 0 };
      if (b.probeUntil > now) return { status: 'pending', waitMs: 0 };
      b.probeUntil = now + s.probeMs;
      return { status: 'probe', waitMs: 0 };
    }
    this.refill(b, now, s);
    const windowMs = b.windowMs ?? s.windowMs;
    const waitMs = waitForPoints(b.tokens - cost, b.limit, windowMs, s.reserve);
    if (waitMs > maxWaitMs) return { status: 'refused', waitMs };
    b.tokens -= cost;
    if (waitMs === 0) return { status: 'taken', waitMs };
    return { status: 'taken', waitMs, ticket: b.filled + deficitOf(b.tokens, b.limit, s.reserve) };
  }

  override due(key: string, ticket: number, s: TwitchBucketSettings): Promise<number | undefined> {
    const b = this.buckets.get(key);
    if (!b || b.limit === undefined) return Promise.resolve(0);
    this.refill(b, this.now(), s);
    const left = ticket - b.filled;
    return Promise.resolve(left <= 0 ? 0 : Math.ceil((left * (b.windowMs ?? s.windowMs)) / b.limit));
  }

  private refill(b: Bucket, now: number, s: TwitchBucketSettings): void {
    const elapsed = Math.max(0, now - b.ts);
    if (b.limit !== undefined) {
      const tokens = Math.min(b.limit, b.tokens + (elapsed * b.limit) / (b.windowMs ?? s.windowMs));
      if (tokens > b.tokens) b.filled += tokens - b.tokens;
      b.tokens = tokens;
    }
    b.ts = now;
  }

  private bucket(key: string, now: number, s: TwitchBucketSettings): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      this.sweep(now, s.ttlMs);
      b = { tokens: 0, ts: now, filled: 0, probeUntil: 0, bare: false, touched: now };
      this.buckets.set(key, b);
    }
    b.touched = now;
    return b;
  }

  /** Forgets buckets idle for longer than their TTL (user buckets come and go). */
  private sweep(now: number, ttlMs: number): void {
    if (now - this.lastSweep < ttlMs) return;
    this.lastSweep = now;
    for (const [key, b] of this.buckets) if (now - b.touched > ttlMs) this.buckets.delete(key);
  }
}
