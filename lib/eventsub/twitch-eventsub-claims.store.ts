import { Logger } from '@nestjs/common';
import type { TwitchRedisClient } from '../redis/twitch-redis.provider.js';
import { twitchKey } from '../redis/twitch-redis-key.js';
import { withDeadline } from '../utils/deadline.js';

/** Outcome of claiming a message id. `local` = Redis did not answer in time; only this instance knows. */
export type TwitchEventSubClaim = 'claimed' | 'duplicate';

/**
 * Who handles a message: the first instance to claim its id. In memory for one instance, in Redis
 * (`SET key 1 NX PX ttl`, atomic) when the module has Redis.
 */
export abstract class TwitchEventSubClaimsStore {
  abstract claim(messageId: string, ttlMs: number): Promise<TwitchEventSubClaim>;
}

/** Claims in this process's memory, swept as they expire. */
export class TwitchEventSubMemoryClaims extends TwitchEventSubClaimsStore {
  private readonly claims = new Map<string, number>();
  private lastSweep = Date.now();

  claim(messageId: string, ttlMs: number): Promise<TwitchEventSubClaim> {
    return Promise.resolve(this.claimSync(messageId, ttlMs));
  }

  claimSync(messageId: string, ttlMs: number): TwitchEventSubClaim {
    const now = Date.now();
    this.sweep(now);
    const until = this.claims.get(messageId);
    if (until !== undefined && until > now) return 'duplicate';
    this.claims.set(messageId, now + ttlMs);
    return 'claimed';
  }

  /** Remembers a claim taken elsewhere (in Redis) so that this instance still knows it if Redis goes away. */
  remember(messageId: string, ttlMs: number): void {
    this.claims.set(messageId, Date.now() + ttlMs);
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    for (const [id, until] of this.claims) if (until <= now) this.claims.delete(id);
  }
}

/**
 * Claims in Redis, shared by every instance. Every command is bounded by `timeoutMs`: when Redis fails
 * or is too slow, the claim falls back to this instance's memory (logged, at most every 10 s), so
 * notifications keep flowing; during that time another instance may handle the same message too.
 * Every claim is also kept in memory, so a retry reaching this instance is still recognised while Redis
 * is away.
 */
export class TwitchEventSubRedisClaims extends TwitchEventSubClaimsStore {
  private readonly logger = new Logger('TwitchEventSub');
  private readonly local = new TwitchEventSubMemoryClaims();
  private lastWarning = 0;

  constructor(
    private readonly redis: TwitchRedisClient,
    private readonly keyPrefix: string,
    private readonly timeoutMs: number,
  ) {
    super();
  }

  async claim(messageId: string, ttlMs: number): Promise<TwitchEventSubClaim> {
    if (this.local.claimSync(messageId, ttlMs) === 'duplicate') return 'duplicate';
    try {
      const set = this.redis.set(twitchKey(this.keyPrefix, `eventsub:msg:${messageId}`), '1', { NX: true, PX: ttlMs });
      const answer = await withDeadline(set, this.timeoutMs, () => new Error(`no answer within ${this.timeoutMs} ms`));
      return answer === null ? 'duplicate' : 'claimed';
    } catch (error) {
      const now = Date.now();
      if (now - this.lastWarning > 10_000) {
        this.lastWarning = now;
        this.logger.warn(
          `Redis unavailable for EventSub message claims (${(error as Error).message}): claiming in this instance only; ` +
            'another instance may handle the same message until Redis answers again',
        );
      }
      return 'claimed';
    }
  }
}
