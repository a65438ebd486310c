import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TwitchRedisClient, TwitchRedisHandle } from '../redis/twitch-redis.provider.js';
import { TWITCH_REDIS, TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import { callBudgetMs, type TwitchResolvedOptions } from '../twitch-options.js';
import { TWITCH_CHAT_RESOLVED_OPTIONS, type TwitchChatWindow } from './twitch-chat.constants.js';
import { TwitchChatRateLimitException } from '../exceptions/twitch-chat.exception.js';
import type { TwitchChatResolvedOptions } from './twitch-chat-options.js';

/** One window a send takes a place in. */
export interface TwitchChatLimitSlot {
  /** Name reported when the limit is used up. */
  name: string;
  /** Key suffix (after `<keyPrefix>chat:<bot>:`). */
  key: string;
  window: TwitchChatWindow;
}

/** A place taken in every window: `release()` once the answer came back (or the call failed). */
export interface TwitchChatLimitTicket {
  release(): Promise<void>;
}

/**
 * Takes a place in every window (KEYS[1..n]) or none: a place counts while its send is in flight (at most
 * ARGV[2] ms) and, once released, for the window plus the margin. With a recipient (whispers), KEYS[n+1]
 * holds the recipients of the day: a new one beyond the limit is refused. Redis's clock, so every
 * instance agrees. ARGV: member, hold, n, the n limits, the n `after` times, then recipient, its limit and
 * window. Returns {0,0} taken, {2, ms} refused (recipients), {2+i, ms} window i full: room in at least ms.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local member = ARGV[1]
local hold = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local wait = 0
local full = 0
for i = 1, n do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  local limit = tonumber(ARGV[3 + i])
  local count = redis.call('ZCARD', KEYS[i])
  if count >= limit then
    local at = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
    -- A place still in flight frees up at the earliest a window (plus margin) from now.
    local w = math.min(tonumber(at[2]) - now, tonumber(ARGV[3 + n + i]))
    if w > wait then wait = w; full = i end
  end
end
local recipient = ARGV[4 + 2 * n]
if recipient and recipient ~= '' then
  local u = KEYS[n + 1]
  local day = tonumber(ARGV[6 + 2 * n])
  redis.call('ZREMRANGEBYSCORE', u, '-inf', now - day)
  if not redis.call('ZSCORE', u, recipient) and redis.call('ZCARD', u) >= tonumber(ARGV[5 + 2 * n]) then
    local first = redis.call('ZRANGE', u, 0, 0, 'WITHSCORES')
    return {2, math.max(1, tonumber(first[2]) + day - now)}
  end
end
if wait > 0 then return {2 + full, math.max(1, wait)} end
for i = 1, n do
  redis.call('ZADD', KEYS[i], now + hold, member)
  if redis.call('PTTL', KEYS[i]) < hold then redis.call('PEXPIRE', KEYS[i], hold) end
end
if recipient and recipient ~= '' then
  local u = KEYS[n + 1]
  redis.call('ZADD', u, 'NX', now, recipient)
  redis.call('PEXPIRE', u, tonumber(ARGV[6 + 2 * n]))
end
return {0, 0}
`;
/** Moves the place of ARGV[1] in each KEYS[i] to now + ARGV[1 + i]. */
const RELEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS do
  if redis.call('ZSCORE', KEYS[i], ARGV[1]) then
    local after = tonumber(ARGV[1 + i])
    redis.call('ZADD', KEYS[i], 'XX', now + after, ARGV[1])
    if redis.call('PTTL', KEYS[i]) < after then redis.call('PEXPIRE', KEYS[i], after) end
  end
end
return 0
`;

type Taken = { code: number; wait: number; store: 'redis' | 'memory' };

/**
 * Twitch's chat limits, kept by every instance together: a sorted set per window in Redis (the module's
 * Redis handle; in memory without Redis, or while Redis is away). A send waits for room in all of its
 * windows (polling), and fails with `TwitchChatRateLimitException` when the room would come later than
 * `limits.maxWaitMs`. A place counts from the moment it is taken until `windowMs + marginMs` after the
 * answer, so that however long requests take to reach Twitch, Twitch never sees more than the limit.
 */
@Injectable()
export class TwitchChatLimiter {
  private readonly logger = new Logger('TwitchChat');
  private readonly redis?: TwitchRedisClient;
  private readonly memory = new Map<string, Map<string, number>>();
  private readonly recipients = new Map<string, Map<string, number>>();
  private readonly budgetMs: number;
  private redisDownUntil = 0;
  private seq = 0;

  constructor(
    @Inject(TWITCH_CHAT_RESOLVED_OPTIONS) private readonly options: TwitchChatResolvedOptions,
    @Inject(TWITCH_RESOLVED_OPTIONS) twitchOptions: TwitchResolvedOptions,
    @Optional() @Inject(TWITCH_REDIS) redis: TwitchRedisHandle | null,
  ) {
    this.redis = redis?.client;
    this.budgetMs = callBudgetMs(twitchOptions);
  }

  /**
   * Waits for a place in every slot. `recipient` (whispers) is checked against `whisperRecipientsPerDay`
   * and refused at once when it would be one too many.
   */
  async acquire(
    endpoint: string,
    slots: TwitchChatLimitSlot[],
    opts: { recipient?: string; signal?: AbortSignal } = {},
  ): Promise<TwitchChatLimitTicket> {
    if (!this.options.limits.enabled || slots.length === 0) return { release: () => Promise.resolve() };
    const base = `${this.options.keyPrefix}chat:${this.options.botUserId}:`;
    const keys = slots.map((s) => base + s.key);
    const member = [process.pid, Date.now().toString(36), (++this.seq).toString(36), Math.random().toString(36).slice(2, 8)].join(
      ':',
    );
    const pollMs = Math.max(5, Math.min(250, Math.floor(Math.min(...slots.map((s) => s.window.windowMs)) / 20)));
    const deadline = Date.now() + this.options.limits.maxWaitMs;
    // A place counts at most this long if its answer never comes back (the instance died).
    const hold = this.budgetMs + Math.max(...slots.map((s) => s.window.windowMs)) + this.options.limits.marginMs;
    for (;;) {
      opts.signal?.throwIfAborted();
      const taken = await this.tryTake(keys, slots, member, base, hold, opts.recipient);
      if (taken.code === 0) return { release: () => this.release(taken.store, keys, slots, member) };
      const name = taken.code === 2 ? 'whisperRecipientsPerDay' : (slots[taken.code - 3]?.name ?? 'chat');
      if (taken.code === 2 || Date.now() + taken.wait > deadline) {
        throw new TwitchChatRateLimitException(endpoint, name, Math.max(1, Math.ceil(taken.wait / 1000)));
      }
      try {
        await sleep(Math.min(taken.wait, pollMs), undefined, opts.signal ? { signal: opts.signal } : undefined);
      } catch (err) {
        throw opts.signal?.aborted ? opts.signal.reason : err;
      }
    }
  }

  private async tryTake(
    keys: string[],
    slots: TwitchChatLimitSlot[],
    member: string,
    base: string,
    hold: number,
    recipient?: string,
  ): Promise<Taken> {
    const day = this.options.limits.whisperRecipientsPerDay;
    if (this.redis && Date.now() >= this.redisDownUntil) {
      try {
        const args = [
          member,
          String(hold),
          String(slots.length),
          ...slots.map((s) => String(s.window.limit)),
          ...slots.map((s) => String(s.window.windowMs + this.options.limits.marginMs)),
        ];
        const allKeys = [...keys];
        if (recipient) {
          args.push(recipient, String(day.limit), String(day.windowMs));
          allKeys.push(`${base}whisper-recipients`);
        }
        const [code, wait] = (await this.redis.eval(ACQUIRE, { keys: allKeys, arguments: args })) as [number, number];
        return { code: Number(code), wait: Number(wait), store: 'redis' };
      } catch (err) {
        this.redisDownUntil = Date.now() + 5_000;
        this.logger.warn(`Redis unavailable, keeping chat limits in memory for now: ${(err as Error).message}`);
      }
    }
    return { ...this.takeInMemory(keys, slots, member, hold, recipient), store: 'memory' };
  }

  private takeInMemory(
    keys: string[],
    slots: TwitchChatLimitSlot[],
    member: string,
    hold: number,
    recipient?: string,
  ): { code: number; wait: number } {
    const now = Date.now();
    let wait = 0;
    let full = 0;
    keys.forEach((key, i) => {
      let places = this.memory.get(key);
      if (!places) this.memory.set(key, (places = new Map()));
      for (const [m, until] of places) if (until <= now) places.delete(m);
      const limit = slots[i].window.limit;
      if (places.size >= limit) {
        const sorted = [...places.values()].sort((a, b) => a - b);
        const w = Math.min(sorted[places.size - limit] - now, slots[i].window.windowMs + this.options.limits.marginMs);
        if (w > wait) {
          wait = w;
          full = i + 1;
        }
      }
    });
    if (recipient) {
      const day = this.options.limits.whisperRecipientsPerDay;
      for (const [r, at] of this.recipients) if (at.get('at')! <= now - day.windowMs) this.recipients.delete(r);
      if (!this.recipients.has(recipient) && this.recipients.size >= day.limit) {
        const first = Math.min(...[...this.recipients.values()].map((m) => m.get('at')!));
        return { code: 2, wait: Math.max(1, first + day.windowMs - now) };
      }
    }
    if (wait > 0) return { code: 2 + full, wait: Math.max(1, wait) };
    for (const key of keys) this.memory.get(key)!.set(member, now + hold);
    if (recipient && !this.recipients.has(recipient)) this.recipients.set(recipient, new Map([['at', now]]));
    return { code: 0, wait: 0 };
  }

  private async release(store: 'redis' | 'memory', keys: string[], slots: TwitchChatLimitSlot[], member: string): Promise<void> {
    const after = slots.map((s) => s.window.windowMs + this.options.limits.marginMs);
    if (store === 'memory') {
      const now = Date.now();
      keys.forEach((key, i) => {
        const places = this.memory.get(key);
        if (places?.has(member)) places.set(member, now + after[i]);
      });
      return;
    }
    try {
      await this.redis!.eval(RELEASE, { keys, arguments: [member, ...after.map(String)] });
    } catch {
      // The place then counts until its hold ends: later, never sooner.
    }
  }
}
