import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TwitchRedisClient, TwitchRedisHandle } from '../redis/twitch-redis.provider.js';
import { TWITCH_REDIS, TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import { callBudgetMs, type TwitchResolvedOptions } from '../twitch-options.js';
import { TWITCH_EXTENSION_RESOLVED_OPTIONS } from './twitch-extension.constants.js';
import { TwitchExtensionPubSubLimitException } from '../exceptions/twitch-extension.exception.js';
import type { TwitchExtensionResolvedOptions } from './twitch-extension-options.js';
import { twitchKey } from '../redis/twitch-redis-key.js';

/** A taken slot: call `release()` once the message's answer came back (or the call failed). */
export interface TwitchExtensionPubSubSlot {
  release(): Promise<void>;
}

/**
 * Takes a slot if fewer than `limit` are taken: a slot counts while its message is in flight (at
 * most `hold` ms, in case the instance dies) and for `after` ms once it was released. Returns 0 when
 * taken, else the ms until the earliest slot frees up. Redis's clock, so every instance agrees.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
  return 0
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(first[2]) - now)
`;
const RELEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[2])
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
end
return 0
`;

/**
 * Paces Send Extension PubSub Message per channel: at most `pubsub.limit` messages in any
 * `pubsub.windowMs` reach Twitch for one channel, counted by every instance together (a sorted set
 * per channel in Redis, one script per step; in memory without Redis, or while Redis is away).
 *
 * A message keeps its slot while it is in flight and for `windowMs + marginMs` after its answer came
 * back, so that however long requests take to reach Twitch, Twitch never sees more than `limit` in a
 * window. Waiting callers poll for a slot, and fail with `TwitchExtensionPubSubLimitException` when
 * none frees up within `pubsub.maxWaitMs`.
 */
@Injectable()
export class TwitchExtensionPubSubPacer {
  private readonly logger = new Logger('TwitchExtensionPubSub');
  private readonly redis?: TwitchRedisClient;
  private readonly memory = new Map<string, Map<string, number>>();
  private readonly holdMs: number;
  private readonly afterMs: number;
  private readonly pollMs: number;
  private redisDownUntil = 0;
  private seq = 0;

  constructor(
    @Inject(TWITCH_EXTENSION_RESOLVED_OPTIONS) private readonly options: TwitchExtensionResolvedOptions,
    @Inject(TWITCH_RESOLVED_OPTIONS) twitchOptions: TwitchResolvedOptions,
    @Optional() @Inject(TWITCH_REDIS) redis: TwitchRedisHandle | null,
  ) {
    this.redis = redis?.client;
    const { windowMs, marginMs } = options.pubsub;
    this.afterMs = windowMs + marginMs;
    this.holdMs = callBudgetMs(twitchOptions) + this.afterMs;
    this.pollMs = Math.max(5, Math.min(250, Math.floor(windowMs / 20)));
  }

  /** Waits for a slot of `channel` (a broadcaster ID, or `all` for global broadcasts). */
  async acquire(channel: string, signal?: AbortSignal): Promise<TwitchExtensionPubSubSlot> {
    if (!this.options.pubsub.enabled) return { release: () => Promise.resolve() };
    const key = twitchKey(this.options.keyPrefix, `ext:${this.options.extensionId}:pubsub:${channel}`);
    const member = [process.pid, Date.now().toString(36), (++this.seq).toString(36), Math.random().toString(36).slice(2, 8)].join(
      ':',
    );
    const deadline = Date.now() + this.options.pubsub.maxWaitMs;
    for (;;) {
      signal?.throwIfAborted();
      const { wait, store } = await this.tryTake(key, member);
      if (wait === 0) return { release: () => this.release(store, key, member) };
      if (Date.now() + Math.min(wait, this.pollMs) > deadline) {
        throw new TwitchExtensionPubSubLimitException(channel, Math.max(1, Math.ceil(wait / 1000)));
      }
      try {
        await sleep(Math.min(wait, this.pollMs), undefined, signal ? { signal } : undefined);
      } catch (err) {
        throw signal?.aborted ? signal.reason : err;
      }
    }
  }

  private async tryTake(key: string, member: string): Promise<{ wait: number; store: 'redis' | 'memory' }> {
    if (this.redis && Date.now() >= this.redisDownUntil) {
      try {
        const args = [String(this.options.pubsub.limit), String(this.holdMs), member];
        const wait = Number(await this.redis.eval(ACQUIRE, { keys: [key], arguments: args }));
        return { wait, store: 'redis' };
      } catch (err) {
        this.redisDownUntil = Date.now() + 5_000;
        this.logger.warn(`Redis unavailable, pacing extension PubSub messages in memory for now: ${(err as Error).message}`);
      }
    }
    return { wait: this.takeInMemory(key, member), store: 'memory' };
  }

  private takeInMemory(key: string, member: string): number {
    const now = Date.now();
    let slots = this.memory.get(key);
    if (!slots) this.memory.set(key, (slots = new Map()));
    let earliest = Infinity;
    for (const [m, until] of slots) {
      if (until <= now) slots.delete(m);
      else earliest = Math.min(earliest, until);
    }
    if (slots.size < this.options.pubsub.limit) {
      slots.set(member, now + this.holdMs);
      return 0;
    }
    return Math.max(1, earliest - now);
  }

  private async release(store: 'redis' | 'memory', key: string, member: string): Promise<void> {
    if (store === 'memory') {
      const slots = this.memory.get(key);
      if (slots?.has(member)) slots.set(member, Date.now() + this.afterMs);
      for (const [k, s] of this.memory) if (s.size === 0) this.memory.delete(k);
      return;
    }
    try {
      await this.redis!.eval(RELEASE, { keys: [key], arguments: [String(this.afterMs), member] });
    } catch {
      // The slot then counts until its hold ends: later, never sooner.
    }
  }
}
