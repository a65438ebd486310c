import { createHash } from 'node:crypto';
import type { RedisClientType } from 'redis';
import {
  type TwitchBucketGrant,
  type TwitchBucketObservation,
  type TwitchBucketSettings,
  TwitchRateLimitStore,
} from './twitch-rate-limit.store.js';

/**
 * One script does both operations atomically on the bucket's hash, with Redis's own clock so that
 * instances on different machines agree (a reset time arrives as a duration, never as a clock reading).
 * The arithmetic is the memory store's (`learnWindowMs`, `waitForPoints`).
 *
 * ARGV: mode, windowMs, reserve, ttlMs, then for `take`: cost, maxWaitMs, probeMs; for `observe`:
 * answered (1/0), limit, remaining, fullInMs ('' when absent), minWindowMs, maxWindowMs; for `due`: ticket.
 * `take` returns {status, waitMs, ticket?} (the ticket as a string: Redis would truncate a Lua number);
 * `due` the ms still to wait. `filled` counts the points refilled since the bucket was created.
 */
const BUCKET_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local key = KEYS[1]
local ttl = tonumber(ARGV[4])
local s = redis.call('HMGET', key, 'limit', 'tokens', 'ts', 'probe', 'win', 'bare', 'filled')
local limit = tonumber(s[1])
local tokens = tonumber(s[2])
local ts = tonumber(s[3])
local win = tonumber(s[5]) or tonumber(ARGV[2])
local filled = tonumber(s[7]) or 0
if limit and tokens and ts then
  local refilled = math.min(limit, tokens + math.max(0, now - ts) * limit / win)
  if refilled > tokens then filled = filled + refilled - tokens end
  tokens = refilled
end
if ARGV[1] == 'due' then
  if not limit then return 0 end
  local left = tonumber(ARGV[5]) - filled
  if left <= 0 then return 0 end
  return math.ceil(left * win / limit)
end
if ARGV[1] == 'take' then
  if not limit then
    redis.call('PEXPIRE', key, ttl)
    if s[6] then return {'taken', 0} end
    local probe = tonumber(s[4])
    if probe and probe > now then return {'pending', 0} end
    redis.call('HSET', key, 'probe', now + tonumber(ARGV[7]))
    redis.call('PEXPIRE', key, ttl)
    return {'probe', 0}
  end
  local after = tokens - tonumber(ARGV[5])
  local deficit = math.min(tonumber(ARGV[3]), math.floor(limit / 2)) - after
  local wait = 0
  if deficit > 0 then wait = math.ceil(deficit * win / limit) end
  if wait > tonumber(ARGV[6]) then return {'refused', wait} end
  redis.call('HSET', key, 'tokens', tostring(after), 'ts', now, 'filled', tostring(filled))
  redis.call('PEXPIRE', key, ttl)
  if wait == 0 then return {'taken', 0} end
  return {'taken', wait, tostring(filled + deficit)}
end
redis.call('HDEL', key, 'probe')
if ARGV[5] == '0' then return 0 end
local seenLimit = tonumber(ARGV[6])
local remaining = tonumber(ARGV[7])
if not seenLimit or not remaining then
  if not limit then
    redis.call('HSET', key, 'bare', '1')
    redis.call('PEXPIRE', key, ttl)
  end
  return 0
end
if tokens == nil or limit == nil then
  tokens = remaining
else
  tokens = math.min(tokens, remaining)
end
local full = tonumber(ARGV[8])
local missing = seenLimit - remaining
if full and full > 0 and missing >= 1 then
  local estimate = math.min(tonumber(ARGV[10]), math.max(tonumber(ARGV[9]), seenLimit * full / missing))
  win = win + (missing / seenLimit) * (estimate - win)
end
redis.call('HSET', key, 'limit', tostring(seenLimit), 'tokens', tostring(tokens), 'ts', now,
  'win', tostring(win), 'filled', tostring(filled))
redis.call('HDEL', key, 'bare')
redis.call('PEXPIRE', key, ttl)
return 0
`;

const opt = (n: number | undefined): string => (n === undefined ? '' : String(n));

/** Token buckets in Redis: every instance of the app draws from the same bucket. */
export class TwitchRedisRateLimitStore extends TwitchRateLimitStore {
  private sha?: string;

  constructor(private readonly redis: RedisClientType<any, any, any, any, any>) {
    super();
  }

  async take(key: string, cost: number, s: TwitchBucketSettings, maxWaitMs: number): Promise<TwitchBucketGrant> {
    const wait = Number.isFinite(maxWaitMs) ? String(Math.max(0, Math.floor(maxWaitMs))) : '1e308';
    const out = (await this.run(key, ['take', ...common(s), String(cost), wait, String(s.probeMs)])) as [string, number, string?];
    const grant: TwitchBucketGrant = { status: out[0] as TwitchBucketGrant['status'], waitMs: Number(out[1]) };
    if (out[2] !== undefined) grant.ticket = Number(out[2]);
    return grant;
  }

  override async due(key: string, ticket: number, s: TwitchBucketSettings): Promise<number | undefined> {
    return Number(await this.run(key, ['due', ...common(s), String(ticket)]));
  }

  async observe(key: string, seen: TwitchBucketObservation, s: TwitchBucketSettings): Promise<void> {
    const answered = seen.answered === false ? '0' : '1';
    await this.run(key, [
      'observe',
      ...common(s),
      answered,
      opt(seen.limit),
      opt(seen.remaining),
      opt(seen.fullInMs),
      String(s.minWindowMs),
      String(s.maxWindowMs),
    ]);
  }

  /**
   * The script runs by its SHA once loaded. On a Redis Cluster each node has its own script cache: a node
   * that does not know it yet answers NOSCRIPT, and `EVAL` (routed by the bucket's key) loads it there.
   */
  private async run(key: string, args: string[]): Promise<unknown> {
    if (!this.sha) this.sha = sha1(BUCKET_SCRIPT);
    try {
      return await this.redis.evalSha(this.sha, { keys: [key], arguments: args });
    } catch (err) {
      if (!String((err as Error)?.message).includes('NOSCRIPT')) throw err;
      return this.redis.eval(BUCKET_SCRIPT, { keys: [key], arguments: args });
    }
  }
}

function common(s: TwitchBucketSettings): string[] {
  return [String(s.windowMs), String(s.reserve), String(s.ttlMs)];
}

/** What Redis names a script by (`SCRIPT LOAD` answers it). */
function sha1(script: string): string {
  return createHash('sha1').update(script).digest('hex');
}
