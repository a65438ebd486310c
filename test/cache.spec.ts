import 'reflect-metadata';
import { CACHE_MANAGER, CacheModule } from '@nestjs/cache-manager';
import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Cache, KeyvAdapter } from 'cache-manager';
import { type RedisStore, redisStore } from 'cache-manager-redis-yet';
import { Keyv } from 'keyv';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchApiService } from '../lib/api/twitch-api.service.js';
import { TwitchModule } from '../lib/twitch.module.js';
import { createTwitchApp, FakeTwitch, flushPrefix, REDIS_URL, uniquePrefix } from './support/app.js';
import { hasRedisServer, startPrivateRedis } from './support/redis.js';

describe('response cache', () => {
  let fake: FakeTwitch;
  beforeAll(async () => {
    fake = await FakeTwitch.start({ seed: { streams: 30 } });
  });
  afterAll(() => fake.close());
  afterEach(() => {
    fake.clearRequests();
    fake.clearFaults();
  });

  for (const store of ['memory', 'redis'] as const) {
    describe(`on ${store}`, () => {
      const keyPrefix = uniquePrefix();
      const options = () => (store === 'redis' ? { redis: { url: REDIS_URL() }, keyPrefix } : { keyPrefix });
      afterAll(() => flushPrefix(keyPrefix));

      it('answers a repeated GET with a TTL from the cache', async () => {
        const t = await createTwitchApp(fake, options());
        const a = await t.api.streams.getStreams({ first: 5, gameId: ['509658'] }, { cacheTtl: 30_000 });
        const b = await t.api.streams.getStreams({ gameId: ['509658'], first: 5 }, { cacheTtl: 30_000 });
        expect(b).toEqual(a);
        expect(b.data[0].startedAt).toBeInstanceOf(Date);
        expect(fake.requestsTo('GET', '/streams')).toHaveLength(1);
        // Without a TTL the call goes to Twitch.
        await t.api.streams.getStreams({ first: 5, gameId: ['509658'] });
        expect(fake.requestsTo('GET', '/streams')).toHaveLength(2);
        // Other params are another key.
        await t.api.streams.getStreams({ first: 6, gameId: ['509658'] }, { cacheTtl: 30_000 });
        expect(fake.requestsTo('GET', '/streams')).toHaveLength(3);
        await t.close();
      });

      it('expires entries after their TTL', async () => {
        const t = await createTwitchApp(fake, options());
        // A TTL long enough for the second call to land inside it even on a loaded machine.
        await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 600 });
        await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 600 });
        expect(fake.requestsTo('GET', '/users')).toHaveLength(1);
        await new Promise((r) => setTimeout(r, 700));
        await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 600 });
        expect(fake.requestsTo('GET', '/users')).toHaveLength(2);
        await t.close();
      });
    });
  }

  it('never gives one token’s answer to another token, and keeps tokens out of keys', async () => {
    const keyPrefix = uniquePrefix();
    const t = await createTwitchApp(fake, { redis: { url: REDIS_URL() }, keyPrefix });
    const alice = fake.issueUserToken({ userId: '141981764', login: 'twitchdev', scopes: [] });
    fake.addUser({ id: '555', login: 'bob' });
    const bob = fake.issueUserToken({ userId: '555', login: 'bob', scopes: [] });
    const a = await t.api.users.getUsers({}, { accessToken: alice.accessToken, cacheTtl: 30_000 });
    const b = await t.api.users.getUsers({}, { accessToken: bob.accessToken, cacheTtl: 30_000 });
    expect(a.data[0].login).toBe('twitchdev');
    expect(b.data[0].login).toBe('bob');
    expect(fake.requestsTo('GET', '/users')).toHaveLength(2);
    const redis = createClient({ url: REDIS_URL() });
    await redis.connect();
    const keys = await redis.keys(`*${keyPrefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).not.toContain(alice.accessToken);
      expect(key).not.toContain(bob.accessToken);
      expect(key).not.toContain(await t.auth.getAppToken());
    }
    await redis.close();
    await t.close();
    await flushPrefix(keyPrefix);
  });

  it('names Redis entries with the key prefix once: <prefix>{cache:GET:<url>?<params>:<identity>}', async () => {
    const keyPrefix = uniquePrefix();
    const t = await createTwitchApp(fake, { redis: { url: REDIS_URL() }, keyPrefix });
    await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
    const redis = createClient({ url: REDIS_URL() });
    await redis.connect();
    const keys = await redis.keys(`${keyPrefix}{cache:*`);
    await redis.close();
    expect(keys).toHaveLength(1);
    expect(keys[0].startsWith(`${keyPrefix}{cache:GET:${fake.helixUrl}/users?login=twitchdev:app`)).toBe(true);
    expect(keys[0].split(keyPrefix)).toHaveLength(2);
    await t.close();
    await flushPrefix(keyPrefix);
  });

  describe('local tier', () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const cacheKeys = async (keyPrefix: string) => {
      const redis = createClient({ url: REDIS_URL() });
      await redis.connect();
      const keys = await redis.keys(`${keyPrefix}{cache:*`);
      await redis.close();
      return keys;
    };

    it('a second instance reads an answer from Redis once, then answers it from its own memory', async () => {
      const keyPrefix = uniquePrefix();
      const opts = { redis: { url: REDIS_URL() }, keyPrefix };
      const a = await createTwitchApp(fake, opts);
      const b = await createTwitchApp(fake, opts);
      const first = await a.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
      expect(await cacheKeys(keyPrefix)).toHaveLength(1);
      const fromRedis = await b.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
      expect(fromRedis).toEqual(first);
      expect(fake.requestsTo('GET', '/users')).toHaveLength(1);
      // With the Redis entry gone, b still holds the copy it read; a third instance has to ask Twitch.
      await flushPrefix(`${keyPrefix}{cache:`);
      expect(await cacheKeys(keyPrefix)).toHaveLength(0);
      const local = await b.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
      expect(local).toEqual(first);
      expect(fake.requestsTo('GET', '/users')).toHaveLength(1);
      const c = await createTwitchApp(fake, opts);
      await c.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
      expect(fake.requestsTo('GET', '/users')).toHaveLength(2);
      await Promise.all([a.close(), b.close(), c.close()]);
      await flushPrefix(keyPrefix);
    });

    it('keeps a copy read from Redis only until the Redis entry expires, not a full TTL from the read', async () => {
      const keyPrefix = uniquePrefix();
      const opts = { redis: { url: REDIS_URL() }, keyPrefix };
      const a = await createTwitchApp(fake, opts);
      const b = await createTwitchApp(fake, opts);
      await a.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 1_500 });
      await sleep(500);
      await b.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 1_500 }); // from Redis
      expect(fake.requestsTo('GET', '/users')).toHaveLength(1);
      // 1.6 s after a stored it: the entry has expired everywhere, although b read it only 1.1 s ago.
      await sleep(1_100);
      await b.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 1_500 });
      expect(fake.requestsTo('GET', '/users')).toHaveLength(2);
      await Promise.all([a.close(), b.close()]);
      await flushPrefix(keyPrefix);
    });

    it('holds at most cache.localMaxEntries answers, dropping the least recently used', async () => {
      const t = await createTwitchApp(fake, { cache: { localMaxEntries: 2 } });
      const get = (login: string) => t.api.users.getUsers({ login: [login] }, { cacheTtl: 30_000 });
      fake.addUser({ id: '9001', login: 'third' });
      await get('twitchdev');
      await get('twitchgaming');
      await get('twitchdev'); // hit: twitchdev is now the most recently used
      expect(fake.requestsTo('GET', '/users')).toHaveLength(2);
      await get('third'); // evicts twitchgaming
      await get('twitchdev');
      await get('third');
      expect(fake.requestsTo('GET', '/users')).toHaveLength(3);
      await get('twitchgaming');
      expect(fake.requestsTo('GET', '/users')).toHaveLength(4);
      await t.close();
    });

    it('localMaxEntries 0 without Redis caches nothing', async () => {
      const t = await createTwitchApp(fake, { cache: { localMaxEntries: 0 } });
      await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
      await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
      expect(fake.requestsTo('GET', '/users')).toHaveLength(2);
      await t.close();
    });
  });

  it('coalesces concurrent identical misses into one request', async () => {
    const t = await createTwitchApp(fake);
    fake.inject({ method: 'GET', path: '/streams', delayMs: 100 });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => t.api.streams.getStreams({ first: 7 }, { cacheTtl: 10_000 })),
    );
    expect(fake.requestsTo('GET', '/streams')).toHaveLength(1);
    for (const r of results) expect(r.data).toHaveLength(7);
    await t.close();
  });

  it('bypasses a broken cache store without failing the call', async () => {
    const broken = {
      get: async () => {
        throw new Error('store down');
      },
      set: async () => {
        throw new Error('store down');
      },
    } as unknown as Cache;
    const t = await createTwitchApp(fake, { cache: { manager: broken } });
    const a = await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 10_000 });
    const b = await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 10_000 });
    expect(a.data[0].login).toBe('twitchdev');
    expect(b.data[0].login).toBe('twitchdev');
    expect(fake.requestsTo('GET', '/users')).toHaveLength(2);
    await t.close();
  });

  it.skipIf(!hasRedisServer())('keeps going when the module’s Redis goes away', async () => {
    const redis = await startPrivateRedis();
    const t = await createTwitchApp(fake, { redis: { url: redis.url } });
    await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 10_000 });
    await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 10_000 });
    expect(fake.requestsTo('GET', '/users')).toHaveLength(1);
    await redis.stop(); // Redis gone: the rate limiter paces in memory, Redis reads and writes are bypassed
    // What this process already holds is still answered from its local tier.
    const again = await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 10_000 });
    expect(again.data[0].login).toBe('twitchdev');
    expect(fake.requestsTo('GET', '/users')).toHaveLength(1);
    // A new call goes to Twitch; the failed Redis write does not fail it, and the local tier keeps it.
    const other = await t.api.users.getUsers({ login: ['twitchgaming'] }, { cacheTtl: 10_000 });
    expect(other.data[0].login).toBe('twitchgaming');
    expect(fake.requestsTo('GET', '/users')).toHaveLength(2);
    await t.api.users.getUsers({ login: ['twitchgaming'] }, { cacheTtl: 10_000 });
    expect(fake.requestsTo('GET', '/users')).toHaveLength(2);
    await t.close();
  });

  it('works with cache-manager-redis-yet through KeyvAdapter and @nestjs/cache-manager, and shuts down cleanly', async () => {
    const keyPrefix = uniquePrefix();
    const clientName = `yet-${keyPrefix.replace(/[^a-z0-9]/gi, '')}`;
    const YET_STORE = Symbol('YET_STORE');

    /** The store's own Redis client is the app's to close: cache-manager's disconnect() does not reach it. */
    @Injectable()
    class YetStoreCloser implements OnApplicationShutdown {
      constructor(@Inject(YET_STORE) private readonly store: RedisStore) {}
      async onApplicationShutdown() {
        await this.store.client.quit();
      }
    }
    @Global()
    @Module({
      providers: [{ provide: YET_STORE, useFactory: () => redisStore({ url: REDIS_URL(), name: clientName }) }, YetStoreCloser],
      exports: [YET_STORE],
    })
    class YetStoreModule {}

    @Module({
      imports: [
        YetStoreModule,
        CacheModule.registerAsync({
          isGlobal: true,
          inject: [YET_STORE],
          useFactory: (store: RedisStore) => ({ stores: [new Keyv({ store: new KeyvAdapter(store), namespace: keyPrefix })] }),
        }),
        TwitchModule.forRootAsync({
          inject: [CACHE_MANAGER],
          useFactory: (cache: Cache) => ({
            ...fake.moduleOptions(),
            keyPrefix,
            cache: { manager: cache },
          }),
        }),
      ],
    })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    const api = app.get(TwitchApiService);
    await api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
    const cached = await api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
    expect(cached.data[0].login).toBe('twitchdev');
    expect(fake.requestsTo('GET', '/users')).toHaveLength(1);
    const redis = createClient({ url: REDIS_URL() });
    await redis.connect();
    expect((await redis.keys(`${keyPrefix}*`)).length).toBeGreaterThan(0);
    expect(String(await redis.sendCommand(['CLIENT', 'LIST']))).toContain(`name=${clientName}`);
    await app.close();
    await expect
      .poll(async () => String(await redis.sendCommand(['CLIENT', 'LIST'])), { timeout: 2_000 })
      .not.toContain(`name=${clientName}`);
    await redis.close();
    await flushPrefix(keyPrefix);
  });
});
