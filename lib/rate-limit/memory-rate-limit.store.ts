import { type TwitchBucketObservation, type TwitchBucketSettings, TwitchRateLimitStore } from './twitch-rate-limit.store.js';

interface Bucket {
  limit?: number;
  tokens: number;
  ts: number;
  probeUntil: number;
  touched: number;
}

/** Token buckets in this process's memory: right for a single instance. */
export class TwitchMemoryRateLimitStore extends TwitchRateLimitStore {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  take(key: string, cost: number, s: TwitchBucketSettings): Promise<number> {
    return Promise.resolve(this.takeSync(key, cost, s));
  }

  observe(key: string, seen: TwitchBucketObservation, s: TwitchBucketSettings): Promise<void> {
    const now = this.now();
    const b = this.bucket(key, now, s);
    this.refill(b, now, s);
    b.tokens = b.limit === undefined ? seen.remaining : Math.min(b.tokens, seen.remaining);
    b.limit = seen.limit;
    b.ts = now;
    b.probeUntil = 0;
    return Promise.resolve();
  }

  takeSync(key: string, cost: number, s: TwitchBucketSettings): number {
    const now = this.now();
    const b = this.bucket(key, now, s);
    if (b.limit === undefined) {
      if (b.probeUntil > now) return -1;
      b.probeUntil = now + s.probeMs;
      return 0;
    }
    this.refill(b, now, s);
    b.tokens -= cost;
    const deficit = s.reserve - b.tokens;
    return deficit <= 0 ? 0 : Math.ceil((deficit * s.windowMs) / b.limit);
  }

  private refill(b: Bucket, now: number, s: TwitchBucketSettings): void {
    if (b.limit !== undefined) b.tokens = Math.min(b.limit, b.tokens + ((now - b.ts) * b.limit) / s.windowMs);
    b.ts = now;
  }

  private bucket(key: string, now: number, s: TwitchBucketSettings): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      this.sweep(now, s.ttlMs);
      b = { tokens: 0, ts: now, probeUntil: 0, touched: now };
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
