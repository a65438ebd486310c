import 'reflect-metadata';
import { CACHE_MANAGER, CacheModule } from '@nestjs/cache-manager';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Cache, KeyvAdapter } from 'cache-manager';
import { redisStore } from 'cache-manager-redis-yet';
import { Keyv } from 'keyv';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchApiService } from '../lib/api/twitch-api.service.js';
import { TwitchModule } from '../lib/twitch.module.js';
import { createTwitchApp, FakeTwitch, flushPrefix, REDIS_URL, uniquePrefix } from './support/app.js';

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
        await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 150 });
        await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 150 });
        expect(fake.requestsTo('GET', '/users')).toHaveLength(1);
        await new Promise((r) => setTimeout(r, 300));
        await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 150 });
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

  it('coalesces concurrent identical misses into one request', async () => {
    const t = await createTwitchApp(fake);
    fake.inject({ method: 'GET', path: '/streams', delayMs: 100 });
    const results = await Promise.all(Array.from({ length: 10 }, () => t.api.streams.getStreams({ first: 7 }, { cacheTtl: 10_000 })));
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

  it('keeps going when the module’s Redis goes away', async () => {
    const keyPrefix = uniquePrefix();
    const client = createClient({ url: REDIS_URL(), disableOfflineQueue: true });
    client.on('error', () => undefined);
    await client.connect();
    const t = await createTwitchApp(fake, { redis: { client: client as never }, keyPrefix });
    await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 10_000 });
    await client.close(); // Redis gone: cache, rate limiter and token sharing must fall back
    const again = await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 10_000 });
    expect(again.data[0].login).toBe('twitchdev');
    expect(fake.requestsTo('GET', '/users')).toHaveLength(2);
    await t.close();
    await flushPrefix(keyPrefix);
  });

  it('works with cache-manager-redis-yet through KeyvAdapter and @nestjs/cache-manager, and shuts down cleanly', async () => {
    const keyPrefix = uniquePrefix();
    const before = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    @Module({
      imports: [
        CacheModule.registerAsync({
          isGlobal: true,
          useFactory: async () => ({
            stores: [new Keyv({ store: new KeyvAdapter(await redisStore({ url: REDIS_URL() })), namespace: keyPrefix })],
          }),
        }),
        TwitchModule.forRootAsync({
          inject: [CACHE_MANAGER],
          useFactory: (cache: Cache) => ({
            clientId: fake.clientId,
            clientSecret: fake.clientSecret,
            helixUrl: fake.helixUrl,
            authUrl: fake.authUrl,
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
    await redis.close();
    await app.get<Cache>(CACHE_MANAGER).disconnect();
    await app.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length).toBeLessThanOrEqual(before);
    await flushPrefix(keyPrefix);
  });
});
