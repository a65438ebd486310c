import { Inject, Injectable, Logger } from '@nestjs/common';
import { TwitchRateLimitException, type TwitchRateLimitState } from '../exceptions/twitch.exception.js';
import { TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import type { TwitchResolvedOptions } from '../twitch-options.js';
import { sleep } from '../utils/sleep.js';
import { TwitchMemoryRateLimitStore } from './memory-rate-limit.store.js';
import {
  TWITCH_RATE_LIMIT_BOUNDS,
  type TwitchBucketGrant,
  type TwitchBucketObservation,
  type TwitchBucketSettings,
  TwitchRateLimitStore,
} from './twitch-rate-limit.store.js';

/** How often a request asks again while another one probes a new bucket (ms). */
const PROBE_POLL_MS = 10;
/** How often a request waiting for its point asks whether the bucket now refills faster (ms). */
const RECHECK_MS = 1_000;

/**
 * Paces requests per Twitch bucket. Each request takes a point and waits for the moment its point
 * is refilled; every answer corrects the bucket from its `Ratelimit-*` headers and ends a probe. A
 * request that would wait longer than it may fails at once and costs nothing. If the store fails
 * (Redis down), the limiter keeps pacing with an in-memory bucket and says so once.
 */
@Injectable()
export class TwitchRateLimiter {
  private readonly logger = new Logger('TwitchRateLimiter');
  private readonly settings: TwitchBucketSettings;
  private readonly fallback = new TwitchMemoryRateLimitStore();
  /** Buckets whose probe this process sent and has not yet reported. */
  private readonly probing = new Set<string>();
  private failingUntil = 0;

  constructor(
    private readonly store: TwitchRateLimitStore,
    @Inject(TWITCH_RESOLVED_OPTIONS) private readonly options: TwitchResolvedOptions,
  ) {
    const { windowMs, reserve } = options.rateLimit;
    const { minWindowMs, maxWindowMs } = TWITCH_RATE_LIMIT_BOUNDS;
    this.settings = {
      windowMs,
      reserve,
      ttlMs: Math.max(windowMs, maxWindowMs) * 2,
      probeMs: options.timeout,
      minWindowMs,
      maxWindowMs,
    };
  }

  get enabled(): boolean {
    return this.options.rateLimit.enabled;
  }

  /**
   * Waits until a request on `bucket` may be sent, at most `budgetMs` ms (default `rateLimit.maxWaitMs`);
   * a longer wait fails at once with `TwitchRateLimitException` and takes nothing. Resolves to the ms waited.
   */
  async acquire(
    bucket: string,
    endpoint: string,
    signal?: AbortSignal,
    budgetMs: number = this.options.rateLimit.maxWaitMs,
  ): Promise<number> {
    const started = Date.now();
    for (;;) {
      const left = Math.max(0, budgetMs - (Date.now() - started));
      const { grant, from } = await this.take(bucket, left);
      if (grant.status === 'probe') {
        this.probing.add(bucket);
        return Date.now() - started;
      }
      if (grant.status === 'taken') {
        await this.waitForTurn(from, bucket, grant, signal);
        return Date.now() - started;
      }
      if (grant.status === 'refused') {
        throw new TwitchRateLimitException(
          `${endpoint}: the rate-limit bucket would need a wait of ${grant.waitMs} ms, more than the ${left} ms left of ` +
            `rateLimit.maxWaitMs (${this.options.rateLimit.maxWaitMs} ms)`,
          { endpoint },
          Math.ceil(grant.waitMs / 1000),
        );
      }
      if (left < PROBE_POLL_MS) {
        throw new TwitchRateLimitException(
          `${endpoint}: the first request on a new rate-limit bucket had no answer within rateLimit.maxWaitMs ` +
            `(${this.options.rateLimit.maxWaitMs} ms)`,
          { endpoint },
          1,
        );
      }
      await sleep(PROBE_POLL_MS, signal);
    }
  }

  /**
   * Folds the outcome of a request on `bucket` into it: the (clamped) `Ratelimit-*` headers of its answer,
   * or `answered: false` when no answer came. Any outcome ends the bucket's probe.
   */
  async observe(bucket: string, state: TwitchRateLimitState | undefined, answered = true): Promise<void> {
    const seen = toObservation(state, answered);
    const probe = this.probing.delete(bucket);
    // Without headers only a probe has something to report.
    if (seen.limit === undefined && !probe) return;
    try {
      await (this.failing ? this.fallback : this.store).observe(bucket, seen, this.settings);
    } catch (err) {
      this.fail(err);
      await this.fallback.observe(bucket, seen, this.settings);
    }
  }

  /**
   * Sleeps until the granted point is there. A long wait re-asks the store now and then: when the bucket's
   * refill time was learnt after the wait was handed out, the turn comes sooner (never later).
   */
  private async waitForTurn(
    from: TwitchRateLimitStore,
    bucket: string,
    grant: TwitchBucketGrant,
    signal?: AbortSignal,
  ): Promise<void> {
    let wait = grant.waitMs;
    while (wait > 0) {
      const step = Math.min(wait, RECHECK_MS);
      await sleep(step, signal);
      wait -= step;
      // A ticket means something only to the store that issued it.
      if (wait <= 0 || grant.ticket === undefined || (from === this.store && this.failing)) continue;
      // The answer may not take longer than the wait itself (a stalled Redis): then it is simply the turn.
      const asked = Date.now();
      const stop = new AbortController();
      const due = from.due(bucket, grant.ticket, this.settings).catch((err) => {
        this.fail(err);
        return undefined;
      });
      const timer = sleep(wait, signal ? AbortSignal.any([signal, stop.signal]) : stop.signal).then(() => 0);
      let left: number | undefined;
      try {
        left = await Promise.race([due, timer]);
      } finally {
        stop.abort();
      }
      wait -= Date.now() - asked;
      if (left !== undefined && Number.isFinite(left)) wait = Math.min(wait, Math.max(0, left));
    }
  }

  private async take(bucket: string, maxWaitMs: number): Promise<{ grant: TwitchBucketGrant; from: TwitchRateLimitStore }> {
    const fallback = async () => ({ grant: await this.fallback.take(bucket, 1, this.settings, maxWaitMs), from: this.fallback });
    if (this.failing) return fallback();
    try {
      return { grant: await this.store.take(bucket, 1, this.settings, maxWaitMs), from: this.store };
    } catch (err) {
      this.fail(err);
      return fallback();
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

/**
 * The store's view of an answer's headers, clamped again (a custom caller may pass anything). A reset at
 * or beyond the furthest accepted one teaches nothing about the refill time.
 */
function toObservation(state: TwitchRateLimitState | undefined, answered: boolean): TwitchBucketObservation {
  if (!answered) return { answered: false };
  const { maxLimit, maxResetMs } = TWITCH_RATE_LIMIT_BOUNDS;
  const seenLimit = state?.limit ?? NaN;
  const seenRemaining = state?.remaining ?? NaN;
  if (!Number.isFinite(seenLimit) || !Number.isFinite(seenRemaining)) return {};
  const limit = Math.min(maxLimit, Math.max(1, Math.floor(seenLimit)));
  const remaining = Math.min(limit, Math.max(0, Math.floor(seenRemaining)));
  const fullInMs = state?.reset ? state.reset.getTime() - Date.now() : NaN;
  return { limit, remaining, ...(fullInMs > 0 && fullInMs < maxResetMs ? { fullInMs } : {}) };
}
