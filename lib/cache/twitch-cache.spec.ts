import { Logger } from '@nestjs/common';
import { createCache } from 'cache-manager';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TwitchCacheOptions } from '../interfaces/twitch-module-options.interface.js';
import type { TwitchTelemetry } from '../observability/twitch-telemetry.js';
import { resolveTwitchOptions } from '../twitch-options.js';
import { digest } from '../utils/hash.js';
import { TwitchCache, type TwitchCachedResponse, twitchCacheKey, twitchCacheTtl } from './twitch-cache.js';

const url = 'https://api.twitch.tv/helix/users';
const app = { auth: 'app' } as const;
const token = 'k3y2yf4c9mbqcpifvg0hnx0ll2eoge';

describe('twitchCacheKey', () => {
  it('is GET:<url>?<params sorted by name>:<identity>, without the key prefix', () => {
    const key = twitchCacheKey(url, { login: ['twitchdev', 'bob'], first: 5 }, app);
    expect(key).toBe(`GET:${url}?first=5&login=twitchdev&login=bob:app`);
    expect(twitchCacheKey(url, { first: 5, login: ['twitchdev', 'bob'] }, app)).toBe(key);
    expect(twitchCacheKey(url, { login: ['twitchdev', 'bob'], first: 6 }, app)).not.toBe(key);
    expect(twitchCacheKey(`${url}x`, { login: ['twitchdev', 'bob'], first: 5 }, app)).not.toBe(key);
  });

  it('leaves out params without a value, and writes dates as RFC3339', () => {
    expect(twitchCacheKey(url, undefined, app)).toBe(`GET:${url}?:app`);
    expect(twitchCacheKey(url, { after: undefined, before: null, id: [] }, app)).toBe(`GET:${url}?:app`);
    const startedAt = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(twitchCacheKey(url, { started_at: startedAt }, app)).toBe(`GET:${url}?started_at=2026-01-02T03%3A04%3A05.000Z:app`);
  });

  it("names whose answer it is: the app, the user of a stored token, or a digest of the caller's token", () => {
    const key = (caller: Parameters<typeof twitchCacheKey>[2]) => twitchCacheKey(url, { id: '1' }, caller);
    expect(key(app)).toBe(`GET:${url}?id=1:app`);
    expect(key({ auth: 'either' })).toBe(`GET:${url}?id=1:app`);
    expect(key({ auth: 'user', userId: '141981764' })).toBe(`GET:${url}?id=1:user:141981764`);
    expect(key({ auth: 'either', userId: '141981764' })).toBe(`GET:${url}?id=1:user:141981764`);
    // A call that must use the app token is the app's answer, whoever it is made for.
    expect(key({ auth: 'app', userId: '141981764' })).toBe(`GET:${url}?id=1:app`);
    // A caller's token is its own identity, whatever userId says.
    expect(key({ auth: 'user', accessToken: token, userId: '141981764' })).toBe(`GET:${url}?id=1:token:${digest(token)}`);
    expect(key({ auth: 'jwt', accessToken: token })).toBe(`GET:${url}?id=1:jwt:${digest(token)}`);
    expect(key({ auth: 'user', accessToken: `${token}2` })).not.toBe(key({ auth: 'user', accessToken: token }));
  });

  it('holds no token, and replaces a long <url>?<params> by its digest', () => {
    const ids = Array.from({ length: 100 }, (_, i) => String(141981764 + i));
    const key = twitchCacheKey(url, { id: ids }, { auth: 'user', accessToken: token });
    expect(key).toBe(`GET:${digest(`${url}?${ids.map((id) => `id=${id}`).join('&')}`)}:token:${digest(token)}`);
    expect(key).not.toContain(token);
    expect(key).not.toContain(ids[0]);
    expect(twitchCacheKey(url, { id: ids.slice(1) }, { auth: 'user', accessToken: token })).not.toBe(key);
    // Up to 400 characters the target is kept as it is.
    const id = 'x'.repeat(400 - `${url}?id=`.length);
    expect(twitchCacheKey(url, { id }, app)).toBe(`GET:${url}?id=${id}:app`);
    expect(twitchCacheKey(url, { id: `${id}x` }, app)).toBe(`GET:${digest(`${url}?id=${id}x`)}:app`);
  });
});

describe('twitchCacheTtl', () => {
  it('caches a GET for its own cacheTtl, else for cache.defaultTtl; nothing else is cached', () => {
    expect(twitchCacheTtl('GET', 30_000, 0)).toBe(30_000);
    expect(twitchCacheTtl('get', 30_000, 5_000)).toBe(30_000);
    expect(twitchCacheTtl('GET', undefined, 5_000)).toBe(5_000);
    expect(twitchCacheTtl('GET', undefined, 0)).toBe(0);
    expect(twitchCacheTtl('POST', 30_000, 5_000)).toBe(0);
    expect(twitchCacheTtl('DELETE', undefined, 5_000)).toBe(0);
    expect(twitchCacheTtl(undefined, 30_000, 5_000)).toBe(0);
    expect(twitchCacheTtl('GET', -1, 5_000)).toBe(0);
  });

  it('a call that sets cacheTtl 0 is not cached, whatever cache.defaultTtl is', () => {
    expect(twitchCacheTtl('GET', 0, 5_000)).toBe(0);
  });
});

describe('TwitchCache', () => {
  let now: number;
  const answer = (data: unknown): TwitchCachedResponse => ({ status: 200, data, headers: {} });
  const telemetry = () => ({ cacheLookup: vi.fn() });
  const results = (t: ReturnType<typeof telemetry>) => t.cacheLookup.mock.calls.map(([result]) => result);
  const make = (cache: TwitchCacheOptions, t = telemetry()) =>
    new TwitchCache(resolveTwitchOptions({ clientId: 'x', keyPrefix: 'p:', cache }), null, t as unknown as TwitchTelemetry);

  beforeEach(() => {
    now = Date.UTC(2026, 0, 1);
    vi.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => vi.restoreAllMocks());

  describe('without Redis or cache.manager: the local tier is the cache', () => {
    it('answers a key until the TTL it was stored with has passed', async () => {
      const t = telemetry();
      const cache = make({}, t);
      await cache.set('k', answer([1]), 1_000);
      expect(await cache.get('k')).toEqual({ ...answer([1]), expiresAt: now + 1_000 });
      now += 999;
      expect((await cache.lookup('k'))?.data).toEqual([1]);
      now += 1;
      expect(await cache.lookup('k')).toBeUndefined();
      expect(await cache.lookup('other')).toBeUndefined();
      expect(results(t)).toEqual(['local_hit', 'local_hit', 'miss', 'miss']);
    });

    it('holds at most cache.localMaxEntries answers; 0 keeps none', async () => {
      const two = make({ localMaxEntries: 2 });
      for (const k of ['a', 'b', 'c']) await two.set(k, answer(k), 1_000);
      expect(await two.get('a')).toBeUndefined();
      expect((await two.get('c'))?.data).toBe('c');
      const none = make({ localMaxEntries: 0 });
      await none.set('a', answer('a'), 1_000);
      expect(await none.get('a')).toBeUndefined();
    });

    it('forgets everything at shutdown', async () => {
      const cache = make({});
      await cache.set('k', answer(1), 1_000);
      cache.onApplicationShutdown();
      expect(await cache.get('k')).toBeUndefined();
    });
  });

  describe('with cache.manager', () => {
    it('stores under <keyPrefix>cache:<key> for the TTL, and keeps no copy of its own', async () => {
      const manager = createCache();
      const set = vi.spyOn(manager, 'set');
      const t = telemetry();
      const cache = make({ manager }, t);
      await cache.set('GET:u?:app', answer([1]), 1_000);
      expect(set).toHaveBeenCalledWith('p:cache:GET:u?:app', { ...answer([1]), expiresAt: now + 1_000 }, 1_000);
      expect((await cache.lookup('GET:u?:app'))?.data).toEqual([1]);
      // The app owns the manager: what it clears is gone for the module too.
      await manager.clear();
      expect(await cache.lookup('GET:u?:app')).toBeUndefined();
      expect(results(t)).toEqual(['hit', 'miss']);
    });

    it('an entry expires with the TTL given to the manager', async () => {
      const cache = make({ manager: createCache() });
      await cache.set('k', answer(1), 1_000);
      now += 999;
      expect(await cache.get('k')).toBeDefined();
      now += 2;
      expect(await cache.get('k')).toBeUndefined();
    });

    it('bypasses a failing store for 5 s and logs it at most every 10 s, never failing a call', async () => {
      const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      let down = true;
      const stored = new Map<string, unknown>();
      const manager = createCache();
      const get = vi.spyOn(manager, 'get').mockImplementation(async (key: string) => {
        if (down) throw new Error('store down');
        return stored.get(key) as never;
      });
      const set = vi.spyOn(manager, 'set').mockImplementation(async (key: string, value: unknown) => {
        if (down) throw new Error('store down');
        stored.set(key, value);
        return value as never;
      });
      const t = telemetry();
      const cache = make({ manager }, t);

      expect(await cache.lookup('k')).toBeUndefined();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toContain('store down');
      // Skipped while failing: neither read nor written.
      down = false;
      now += 4_999;
      expect(await cache.lookup('k')).toBeUndefined();
      await cache.set('k', answer(1), 60_000);
      expect(get).toHaveBeenCalledTimes(1);
      expect(set).not.toHaveBeenCalled();
      // Then used again.
      now += 1;
      await cache.set('k', answer(2), 60_000);
      expect((await cache.lookup('k'))?.data).toBe(2);
      expect(results(t)).toEqual(['miss', 'miss', 'hit']);
      // A failing write is bypassed too; within 10 s of the last warning it is not logged again.
      down = true;
      await expect(cache.set('k', answer(3), 60_000)).resolves.toBeUndefined();
      now += 4_999;
      expect(await cache.lookup('k')).toBeUndefined();
      expect(get).toHaveBeenCalledTimes(2);
      expect(warn).toHaveBeenCalledTimes(1);
      // 10 s after the first warning, the next failure is logged.
      now += 1;
      expect(await cache.lookup('k')).toBeUndefined();
      expect(get).toHaveBeenCalledTimes(3);
      expect(warn).toHaveBeenCalledTimes(2);
    });
  });
});
