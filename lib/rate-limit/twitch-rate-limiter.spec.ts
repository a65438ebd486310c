import { setMaxListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readRateLimitHeaders } from '../exceptions/twitch-exception.factory.js';
import { TokenBucket } from '../testing/fake-twitch/token-bucket.js';
import { resolveTwitchOptions } from '../twitch-options.js';
import { TwitchMemoryRateLimitStore } from './memory-rate-limit.store.js';
import { TwitchRateLimiter } from './twitch-rate-limiter.js';

/**
 * The limiter's pacing against a simulated Twitch bucket (the fake Twitch's own `TokenBucket`), on a fake
 * clock: the limiter sleeps with `setTimeout` and reads `Date.now()`, nothing here touches a socket. Several
 * limiters over one store stand for the instances of an app sharing a bucket (the Redis store computes what
 * the memory store does: lib/rate-limit/rate-limit.stores.spec.ts).
 */
describe('TwitchRateLimiter against a simulated Twitch bucket (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'], now: Date.UTC(2026, 0, 1, 12, 0, 0, 123) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const BUCKET = 'rl:client:app';
  // The defaults: rateLimit.windowMs 60 s, a reserve of 2 points.
  const options = resolveTwitchOptions({ clientId: 'client', clientSecret: 'secret' });

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /**
   * Twitch's side: a request takes a point (or is refused with 429) half-way through its `latencyMs`, and its
   * answer's `Ratelimit-*` headers reach the limiter (when one sent it) as the HTTP client passes them on.
   */
  function twitch(capacity: number, refillMs: number, latencyMs = 20) {
    const bucket = new TokenBucket(capacity, refillMs, Date.now());
    const sent: { at: number; status: number }[] = [];
    return {
      sent,
      statuses: () => sent.map((r) => r.status),
      async send(limiter?: TwitchRateLimiter): Promise<number> {
        await sleep(latencyMs / 2);
        const at = Date.now();
        const status = bucket.take(1, at) ? 200 : 429;
        sent.push({ at, status });
        const { limit, remaining, reset } = bucket.snapshot(at);
        await sleep(latencyMs / 2);
        const headers = {
          'ratelimit-limit': String(limit),
          'ratelimit-remaining': String(remaining),
          'ratelimit-reset': String(reset),
        };
        await limiter?.observe(BUCKET, readRateLimitHeaders(headers));
        return status;
      },
    };
  }

  /** Runs `work` to its end, moving the fake clock on as far as needed. */
  async function run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const out = work.finally(() => (done = true));
    while (!done) await vi.advanceTimersByTimeAsync(100);
    return out;
  }

  it('slows down once Twitch reports the bucket empty, though the points went elsewhere', async () => {
    const fake = twitch(10, 5_000);
    const ours = new TwitchRateLimiter(new TwitchMemoryRateLimitStore(() => Date.now()), options);
    const call = async () => {
      await ours.acquire(BUCKET, 'Get Users');
      return fake.send(ours);
    };
    await run(
      (async () => {
        await call(); // 9 left, as far as we know
        for (let i = 0; i < 8; i++) await fake.send(); // another process with the same client ID
        await call(); // Twitch: 0 left
        for (let i = 0; i < 3; i++) await call();
      })(),
    );
    expect(fake.statuses()).toEqual(Array(13).fill(200));
    // After the empty report the next call waited for 3 points (its own and the reserve of 2) at 500 ms each.
    const ourLast = fake.sent.slice(-4).map((r) => r.at);
    expect(ourLast[1] - ourLast[0]).toBeGreaterThanOrEqual(3 * 500);
  });

  it('four instances on one store reach the rate of a bucket that refills in 10 s, without windowMs, and no 429', async () => {
    const capacity = 40;
    const refillMs = 10_000;
    const fake = twitch(capacity, refillMs);
    const store = new TwitchMemoryRateLimitStore(() => Date.now());
    const limiters = Array.from({ length: 4 }, () => new TwitchRateLimiter(store, options));
    const started = Date.now();
    const runMs = 7_000;
    const stop = new AbortController();
    setMaxListeners(64, stop.signal);
    setTimeout(() => stop.abort(new Error('stopped')), runMs);
    // More callers (48) than the bucket holds: most of the first ones queue before any answer has taught the refill.
    const worker = async (limiter: TwitchRateLimiter) => {
      while (!stop.signal.aborted) {
        try {
          await limiter.acquire(BUCKET, 'Get Users', stop.signal);
        } catch (err) {
          if (stop.signal.aborted) return;
          throw err;
        }
        await fake.send(limiter);
      }
    };
    await run(Promise.all(limiters.flatMap((l) => Array.from({ length: 12 }, () => worker(l)))));

    expect(fake.sent.filter((r) => r.status !== 200)).toEqual([]);
    // After the first, full bucket: the refill alone, 4 points/s. A 60 s window would allow 0.67/s.
    const from = started + 2_000;
    const to = started + runMs;
    const paced = fake.sent.filter((r) => r.at >= from && r.at < to).length;
    const rate = paced / ((to - from) / 1000);
    expect(rate).toBeGreaterThan(0.75 * (capacity / (refillMs / 1000)));
    expect(rate).toBeLessThan(1.25 * (capacity / (refillMs / 1000)));
  });
});
