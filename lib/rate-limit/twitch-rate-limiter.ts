import { Inject, Injectable, Logger } from '@nestjs/common';
import { TwitchRateLimitException } from '../exceptions/twitch.exception.js';
import { TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import type { TwitchResolvedOptions } from '../twitch-options.js';
import { sleep } from '../utils/sleep.js';
import { TwitchMemoryRateLimitStore } from './memory-rate-limit.store.js';
import { type TwitchBucketSettings, TwitchRateLimitStore } from './twitch-rate-limit.store.js';

/**
 * Paces requests per Twitch bucket. Each request takes a point and waits for the moment its point
 * is refilled; every response corrects the bucket from its `Ratelimit-*` headers. If the store
 * fails (Redis down), the limiter keeps pacing with an in-memory bucket and says so once.
 */
@Injectable()
export class TwitchRateLimiter {
  private readonly logger = new Logger('TwitchRateLimiter');
  private readonly settings: TwitchBucketSettings;
  private readonly fallback = new TwitchMemoryRateLimitStore();
  private failingUntil = 0;

  constructor(
    private readonly store: TwitchRateLimitStore,
    @Inject(TWITCH_RESOLVED_OPTIONS) private readonly options: TwitchResolvedOptions,
  ) {
    const { windowMs, reserve } = options.rateLimit;
    this.settings = { windowMs, reserve, ttlMs: Math.max(windowMs * 2, 120_000), probeMs: options.timeout };
  }

  get enabled(): boolean {
    return this.options.rateLimit.enabled;
  }

  /** Waits until a request on `bucket` may be sent. */
  async acquire(bucket: string, endpoint: string, signal?: AbortSignal): Promise<void> {
    const started = Date.now();
    for (;;) {
      const wait = await this.take(bucket);
      if (wait === 0) return;
      const delay = wait < 0 ? 10 : wait;
      if (Date.now() - started + delay > this.options.rateLimit.maxWaitMs) {
        throw new TwitchRateLimitException(
          `${endpoint}: the rate-limit bucket would need a wait of ${delay} ms, more than rateLimit.maxWaitMs`,
          { endpoint },
          Math.ceil(delay / 1000),
        );
      }
      await sleep(delay, signal);
      if (wait > 0) return;
    }
  }

  /** Folds a response's `Ratelimit-Limit` and `Ratelimit-Remaining` into the bucket. */
  async observe(bucket: string, limit: number | undefined, remaining: number | undefined): Promise<void> {
    if (limit === undefined || remaining === undefined) return;
    try {
      await (this.failing ? this.fallback : this.store).observe(bucket, { limit, remaining }, this.settings);
    } catch (err) {
      this.fail(err);
      await this.fallback.observe(bucket, { limit, remaining }, this.settings);
    }
  }

  private async take(bucket: string): Promise<number> {
    if (this.failing) return this.fallback.take(bucket, 1, this.settings);
    try {
      return await this.store.take(bucket, 1, this.settings);
    } catch (err) {
      this.fail(err);
      return this.fallback.take(bucket, 1, this.settings);
    }
  }

  private get failing(): boolean {
    return this.failingUntil > Date.now();
  }

  private fail(err: unknown): void {
    if (this.failing) return;
    this.failingUntil = Date.now() + 30_000;
    this.logger.warn(`rate-limit store failed (${(err as Error)?.message}); pacing in memory for 30 s`);
  }
}
