import type { RedisClientType } from 'redis';
import { type TwitchBucketObservation, type TwitchBucketSettings, TwitchRateLimitStore } from './twitch-rate-limit.store.js';

/**
 * One script does both operations atomically on the bucket's hash, with Redis's own clock so that
 * instances on different machines agree. Mode `take` returns the wait in ms (or -1 while probing);
 * mode `observe` folds in the headers of a response.
 */
const BUCKET_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local key = KEYS[1]
local windowMs = tonumber(ARGV[4])
local reserve = tonumber(ARGV[5])
local ttl = tonumber(ARGV[6])
local s = redis.call('HMGET', key, 'limit', 'tokens', 'ts', 'probe')
local limit = tonumber(s[1])
local tokens = tonumber(s[2])
local ts = tonumber(s[3])
if limit and tokens and ts then
  tokens = math.min(limit, tokens + (now - ts) * limit / windowMs)
end
if ARGV[1] == 'take' then
  if not limit then
    local probe = tonumber(s[4])
    if probe and probe > now then return -1 end
    redis.call('HSET', key, 'probe', now + tonumber(ARGV[7]))
    redis.call('PEXPIRE', key, ttl)
    return 0
  end
  tokens = tokens - tonumber(ARGV[2])
  redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', now)
  redis.call('PEXPIRE', key, ttl)
  local deficit = reserve - tokens
  if deficit <= 0 then return 0 end
  return math.ceil(deficit * windowMs / limit)
end
local remaining = tonumber(ARGV[3])
if tokens == nil or limit == nil then
  tokens = remaining
else
  tokens = math.min(tokens, remaining)
end
redis.call('HSET', key, 'limit', ARGV[2], 'tokens', tostring(tokens), 'ts', now)
redis.call('HDEL', key, 'probe')
redis.call('PEXPIRE', key, ttl)
return 0
`;

/** Token buckets in Redis: every instance of the app draws from the same bucket. */
export class TwitchRedisRateLimitStore extends TwitchRateLimitStore {
  private sha?: string;

  constructor(private readonly redis: RedisClientType<any, any, any, any, any>) {
    super();
  }

  async take(key: string, cost: number, s: TwitchBucketSettings): Promise<number> {
    return Number(await this.run(key, ['take', String(cost), '0', String(s.windowMs), String(s.reserve), String(s.ttlMs), String(s.probeMs)]));
  }

  async observe(key: string, seen: TwitchBucketObservation, s: TwitchBucketSettings): Promise<void> {
    await this.run(key, ['observe', String(seen.limit), String(seen.remaining), String(s.windowMs), String(s.reserve), String(s.ttlMs), '0']);
  }

  private async run(key: string, args: string[]): Promise<unknown> {
    if (!this.sha) this.sha = String(await this.redis.scriptLoad(BUCKET_SCRIPT));
    try {
      return await this.redis.evalSha(this.sha, { keys: [key], arguments: args });
    } catch (err) {
      if (!String((err as Error)?.message).includes('NOSCRIPT')) throw err;
      return this.redis.eval(BUCKET_SCRIPT, { keys: [key], arguments: args });
    }
  }
}
