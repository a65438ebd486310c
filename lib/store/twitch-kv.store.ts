import type { TwitchRedisClient } from '../redis/twitch-redis.provider.js';

/**
 * Small shared key-value state with expiry: login `state` values, sessions, cached token
 * validations and locks. In memory for one instance, in Redis when the module has Redis.
 */
export abstract class TwitchKvStore {
  abstract get(key: string): Promise<string | undefined>;
  /** Sets a value that expires after `ttlMs`. */
  abstract set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets only if absent; true when this call set it (a lock). */
  abstract setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Reads and deletes in one step (one-time values). */
  abstract take(key: string): Promise<string | undefined>;
  abstract delete(key: string): Promise<void>;
  /** Deletes only if the value is still `value` (releasing one's own lock). */
  abstract deleteIf(key: string, value: string): Promise<void>;
}

export class TwitchMemoryKvStore extends TwitchKvStore {
  private readonly map = new Map<string, { value: string; expiresAt: number }>();

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.live(key)?.value);
  }
  set(key: string, value: string, ttlMs: number): Promise<void> {
    this.sweep();
    this.map.set(key, { value, expiresAt: Date.now() + ttlMs });
    return Promise.resolve();
  }
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key)) return Promise.resolve(false);
    this.sweep();
    this.map.set(key, { value, expiresAt: Date.now() + ttlMs });
    return Promise.resolve(true);
  }
  take(key: string): Promise<string | undefined> {
    const e = this.live(key);
    this.map.delete(key);
    return Promise.resolve(e?.value);
  }
  delete(key: string): Promise<void> {
    this.map.delete(key);
    return Promise.resolve();
  }
  deleteIf(key: string, value: string): Promise<void> {
    if (this.live(key)?.value === value) this.map.delete(key);
    return Promise.resolve();
  }

  private live(key: string) {
    const e = this.map.get(key);
    if (e && e.expiresAt <= Date.now()) {
      this.map.delete(key);
      return undefined;
    }
    return e;
  }

  private lastSweep = 0;
  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [k, e] of this.map) if (e.expiresAt <= now) this.map.delete(k);
  }
}

const DELETE_IF = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class TwitchRedisKvStore extends TwitchKvStore {
  constructor(private readonly redis: TwitchRedisClient) {
    super();
  }
  async get(key: string): Promise<string | undefined> {
    const v = await this.redis.get(key);
    return v === null || v === undefined ? undefined : String(v);
  }
  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(key, value, { PX: Math.max(1, Math.ceil(ttlMs)) });
  }
  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(key, value, { NX: true, PX: Math.max(1, Math.ceil(ttlMs)) })) !== null;
  }
  async take(key: string): Promise<string | undefined> {
    const v = await this.redis.getDel(key);
    return v === null || v === undefined ? undefined : String(v);
  }
  async delete(key: string): Promise<void> {
    await this.redis.del(key);
  }
  async deleteIf(key: string, value: string): Promise<void> {
    await this.redis.eval(DELETE_IF, { keys: [key], arguments: [value] });
  }
}
