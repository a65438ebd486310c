import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import KeyvRedis from '@keyv/redis';
import { type Cache, createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import type { TwitchRedisHandle } from '../redis/twitch-redis.provider.js';
import { TWITCH_REDIS, TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import type { TwitchResolvedOptions } from '../twitch-options.js';

/** What is kept of a cached Helix answer. */
export interface TwitchCachedResponse {
  status: number;
  data: unknown;
  /** `Ratelimit-*` headers are not kept: a cached answer costs no points. */
  headers: Record<string, string>;
}

/**
 * The response cache: a cache-manager `Cache` (the module's own, in memory or on the module's Redis,
 * or one you pass as `cache.manager`). A failing store is logged and bypassed; it never fails a call.
 * Identical misses running at the same time share one request.
 */
@Injectable()
export class TwitchCache implements OnApplicationShutdown {
  private readonly logger = new Logger('TwitchCache');
  private readonly cache: Cache;
  private readonly owned: boolean;
  private readonly inflight = new Map<string, Promise<TwitchCachedResponse>>();
  private lastWarn = 0;

  constructor(
    @Inject(TWITCH_RESOLVED_OPTIONS) options: TwitchResolvedOptions,
    @Inject(TWITCH_REDIS) redis: TwitchRedisHandle | null,
  ) {
    if (options.cache.manager) {
      this.cache = options.cache.manager;
      this.owned = false;
    } else {
      // Keyv's default serializer walks every value with a reviver; cached answers are plain JSON, so
      // Redis gets native JSON and memory keeps the objects as they are (the DTO mapper copies them).
      const store = redis
        ? new Keyv({
            store: new KeyvRedis(redis.client as never),
            namespace: `${options.keyPrefix}cache`,
            serialize: (data) => JSON.stringify(data),
            deserialize: (text) => JSON.parse(text),
          })
        : new Keyv({ serialize: undefined, deserialize: undefined });
      this.cache = createCache({ stores: [store] });
      this.owned = !redis;
    }
  }

  /** The cached answer, or undefined on a miss or when the store fails. */
  async get(key: string): Promise<TwitchCachedResponse | undefined> {
    try {
      return ((await this.cache.get<TwitchCachedResponse>(key)) ?? undefined) as TwitchCachedResponse | undefined;
    } catch (err) {
      this.warn('read', err);
      return undefined;
    }
  }

  /** Stores an answer for `ttl` ms; a failing store is logged and ignored. */
  async set(key: string, value: TwitchCachedResponse, ttl: number): Promise<void> {
    try {
      await this.cache.set(key, value, ttl);
    } catch (err) {
      this.warn('write', err);
    }
  }

  /** The request already fetching `key`, if any. */
  pending(key: string): Promise<TwitchCachedResponse> | undefined {
    return this.inflight.get(key);
  }

  /** Registers the request fetching `key`; others asking meanwhile wait for it. */
  track(key: string, fetch: Promise<TwitchCachedResponse>): void {
    this.inflight.set(key, fetch);
    const clear = () => {
      if (this.inflight.get(key) === fetch) this.inflight.delete(key);
    };
    fetch.then(clear, clear);
  }

  async onApplicationShutdown(): Promise<void> {
    // A Redis-backed store shares the module's Redis client, closed by the module itself.
    if (this.owned) await this.cache.disconnect().catch(() => undefined);
  }

  private warn(op: string, err: unknown): void {
    if (Date.now() - this.lastWarn < 10_000) return;
    this.lastWarn = Date.now();
    this.logger.warn(`cache ${op} failed, going to Twitch instead: ${(err as Error)?.message ?? err}`);
  }
}
