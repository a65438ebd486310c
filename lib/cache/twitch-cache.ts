import { Inject, Injectable, Logger, type OnApplicationShutdown, Optional } from '@nestjs/common';
import KeyvRedis from '@keyv/redis';
import { type Cache, createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import type { TwitchCallContext } from '../http/twitch-call-context.js';
import { serializeTwitchParams } from '../http/twitch-params.serializer.js';
import { type TwitchCallObservation, TwitchTelemetry } from '../observability/twitch-telemetry.js';
import type { TwitchRedisHandle } from '../redis/twitch-redis.provider.js';
import { twitchKey } from '../redis/twitch-redis-key.js';
import { TWITCH_REDIS, TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import type { TwitchResolvedOptions } from '../twitch-options.js';
import { digest } from '../utils/hash.js';
import { TwitchLocalCache } from './twitch-local-cache.js';

/** What is kept of a cached Helix answer. */
export interface TwitchCachedResponse {
  status: number;
  data: unknown;
  /** `Ratelimit-*` headers are not kept: a cached answer costs no points. */
  headers: Record<string, string>;
  /** When the answer expires (epoch ms), so that a copy kept in process never outlives the shared one. */
  expiresAt?: number;
}

/** What of a call a cached answer belongs to: the token's identity. */
export type TwitchCacheCaller = Pick<TwitchCallContext, 'auth' | 'accessToken' | 'userId'>;

/** A longer `<url>?<params>` is replaced by its digest in the key, so that keys stay short. */
const MAX_KEY_TARGET = 400;

/**
 * The cache key of a GET, without the module's key prefix (the cache's store adds it):
 * `GET:<url>?<params, sorted by name>:<identity>`.
 */
export function twitchCacheKey(
  url: string | undefined,
  params: Record<string, unknown> | undefined,
  caller: TwitchCacheCaller,
): string {
  let target = `${url}?${serializeTwitchParams(sortKeys(params))}`;
  if (target.length > MAX_KEY_TARGET) target = digest(target);
  return `GET:${target}:${cacheIdentity(caller)}`;
}

/**
 * How long a call's answer is kept (ms), 0 when it is not cached: only GETs are, for the call's own
 * `cacheTtl` or, when it sets none, the module's `cache.defaultTtl`.
 */
export function twitchCacheTtl(method: string | undefined, requested: number | undefined, defaultTtl: number): number {
  if (method?.toUpperCase() !== 'GET') return 0;
  const ttl = requested ?? defaultTtl;
  return ttl > 0 ? ttl : 0;
}

/**
 * Whose answer a cached entry is. A token given by the caller is its own identity (a digest of it),
 * whatever `userId` says: an answer is only served to the token it was fetched for, or to calls made
 * with the same user's stored token (`{ userId }` alone).
 */
function cacheIdentity(caller: TwitchCacheCaller): string {
  if (caller.accessToken) return `${caller.auth === 'jwt' ? 'jwt' : 'token'}:${digest(caller.accessToken)}`;
  if (caller.userId && caller.auth !== 'app') return `user:${caller.userId}`;
  return 'app';
}

function sortKeys(params: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!params) return params;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(params).sort()) sorted[key] = params[key];
  return sorted;
}

/** How long the shared tier is skipped after it failed (ms). */
const FAILING_MS = 5_000;

/**
 * The response cache, in two tiers:
 * - local: a bounded, least-recently-used map in this process (`cache.localMaxEntries`);
 * - shared: the module's Redis (through cache-manager and `@keyv/redis`) when `redis` is set, or the
 *   cache-manager `Cache` passed as `cache.manager`.
 * Without Redis the local tier is the cache. With the module's Redis, the local tier keeps what this
 * process wrote or read, each copy until the Redis entry itself expires, so a hot answer costs one
 * Redis read per process. A `cache.manager` is used alone: the app may change or clear it.
 * A failing store is logged and bypassed for a few seconds; it never fails a call. (Identical misses
 * running at the same time share one request: see the pipeline's cache step.)
 */
@Injectable()
export class TwitchCache implements OnApplicationShutdown {
  private readonly logger = new Logger('TwitchCache');
  private readonly shared?: Cache;
  private readonly local?: TwitchLocalCache;
  /** An answer's key in the shared tier: `<keyPrefix>cache:<key>` in a `cache.manager`, `<keyPrefix>{cache:<key>}` in Redis. */
  private readonly redisKey: (key: string) => string;
  /** After a store failure the shared tier is skipped until then (epoch ms). */
  private failingUntil = 0;
  private lastWarn = 0;

  constructor(
    @Inject(TWITCH_RESOLVED_OPTIONS) options: TwitchResolvedOptions,
    @Inject(TWITCH_REDIS) redis: TwitchRedisHandle | null,
    @Optional() private readonly telemetry?: TwitchTelemetry,
  ) {
    if (options.cache.manager) {
      this.shared = options.cache.manager;
      this.redisKey = (key) => `${options.keyPrefix}cache:${key}`;
      return;
    }
    this.local = new TwitchLocalCache(options.cache.localMaxEntries);
    this.redisKey = (key) => key;
    if (redis) {
      // Keyv's default serializer walks every value with a reviver; cached answers are plain JSON.
      // No namespace: the key is the module's own (`twitchKey`), with its hash tag, as written.
      this.redisKey = (key) => twitchKey(options.keyPrefix, `cache:${key}`);
      const store = new Keyv({
        store: new KeyvRedis(redis.client as never, { namespace: '', keyPrefixSeparator: '' }),
        namespace: '',
        useKeyPrefix: false,
        serialize: (data) => JSON.stringify(data),
        deserialize: (text) => JSON.parse(text),
      });
      this.shared = createCache({ stores: [store] });
    }
  }

  /** The cached answer, or undefined on a miss or when the store fails. */
  get(key: string): Promise<TwitchCachedResponse | undefined> {
    return this.lookup(key);
  }

  /** `get`, recorded as a local-tier hit, a hit or a miss (`twitch.cache.lookups`) for the pipeline's `call`. */
  async lookup(key: string, call?: TwitchCallObservation): Promise<TwitchCachedResponse | undefined> {
    const near = this.local?.get(key);
    if (near) {
      this.telemetry?.cacheLookup('local_hit', call);
      return near;
    }
    if (!this.shared || this.failing) {
      this.telemetry?.cacheLookup('miss', call);
      return undefined;
    }
    let found: TwitchCachedResponse | undefined;
    try {
      found = (await this.shared.get<TwitchCachedResponse>(this.redisKey(key))) ?? undefined;
      if (found?.expiresAt && this.local) this.local.set(key, found, found.expiresAt);
    } catch (err) {
      this.warn('read', err);
    }
    this.telemetry?.cacheLookup(found ? 'hit' : 'miss', call);
    return found;
  }

  /** Stores an answer for `ttl` ms; a failing store is logged and ignored. */
  async set(key: string, value: TwitchCachedResponse, ttl: number): Promise<void> {
    value.expiresAt = Date.now() + ttl;
    this.local?.set(key, value, value.expiresAt);
    if (!this.shared || this.failing) return;
    try {
      await this.shared.set(this.redisKey(key), value, ttl);
    } catch (err) {
      this.warn('write', err);
    }
  }

  /** The shared store is never closed here: the module's Redis client is closed by the module, a `cache.manager` by its owner. */
  onApplicationShutdown(): void {
    this.local?.clear();
  }

  private get failing(): boolean {
    return this.failingUntil > Date.now();
  }

  /** A failing store (down, or slower than `redis.commandTimeoutMs`) is skipped for a few seconds. */
  private warn(op: string, err: unknown): void {
    this.failingUntil = Date.now() + FAILING_MS;
    if (Date.now() - this.lastWarn < 10_000) return;
    this.lastWarn = Date.now();
    this.logger.warn(`cache ${op} failed, going to Twitch instead: ${(err as Error)?.message ?? err}`);
  }
}
