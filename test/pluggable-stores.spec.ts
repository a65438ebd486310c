import 'reflect-metadata';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchMemoryTokenStore, TwitchTokenStore } from '../lib/auth/token-store/twitch-token-store.js';
import { TwitchMemoryRateLimitStore } from '../lib/rate-limit/memory-rate-limit.store.js';
import type { TwitchBucketGrant, TwitchBucketSettings } from '../lib/rate-limit/twitch-rate-limit.store.js';
import { TwitchRateLimitStore } from '../lib/rate-limit/twitch-rate-limit.store.js';
import { TwitchKvStore, TwitchMemoryKvStore } from '../lib/store/twitch-kv.store.js';
import { resolveTwitchOptions } from '../lib/twitch-options.js';
import { createTwitchApp, FakeTwitch, flushPrefix, REDIS_URL, uniquePrefix } from './support/app.js';

/** A memory rate-limit store that counts the points taken through it. */
class CountingRateLimitStore extends TwitchMemoryRateLimitStore {
  taken = 0;
  override take(key: string, cost: number, settings: TwitchBucketSettings, maxWaitMs: number): Promise<TwitchBucketGrant> {
    this.taken += cost;
    return super.take(key, cost, settings, maxWaitMs);
  }
}

/** A memory key-value store that records the keys written to it. */
class RecordingKvStore extends TwitchMemoryKvStore {
  readonly written: string[] = [];
  override set(key: string, value: string, ttlMs: number): Promise<void> {
    this.written.push(key);
    return super.set(key, value, ttlMs);
  }
}

describe('pluggable stores as options', () => {
  let fake: FakeTwitch;
  const keyPrefix = uniquePrefix();
  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterAll(async () => {
    await fake.close();
    await flushPrefix(keyPrefix);
  });

  it('rateLimit.store: the module paces through the given store, even with Redis', async () => {
    const store = new CountingRateLimitStore();
    const t = await createTwitchApp(fake, { rateLimit: { store }, redis: { url: REDIS_URL() }, keyPrefix });
    try {
      expect(t.app.get(TwitchRateLimitStore)).toBe(store);
      await t.api.users.getUsers({ login: ['twitchdev'] });
      await t.api.users.getUsers({ login: ['twitchdev'] });
      expect(store.taken).toBe(2);
    } finally {
      await t.close();
    }
  });

  it('stateStore: the module keeps its shared state in the given store, not in Redis', async () => {
    const store = new RecordingKvStore();
    const prefix = `${keyPrefix}kv:`;
    const t = await createTwitchApp(fake, { stateStore: store, redis: { url: REDIS_URL() }, keyPrefix: prefix });
    try {
      expect(t.app.get(TwitchKvStore)).toBe(store);
      await t.api.users.getUsers({ login: ['twitchdev'] }); // fetches the app token, which is shared state
      expect(store.written.some((k) => k.startsWith(`${prefix}{app-token:`))).toBe(true);
      const redis = createClient({ url: REDIS_URL() });
      await redis.connect();
      try {
        const inRedis: string[] = [];
        for await (const keys of redis.scanIterator({ MATCH: `${prefix}*app-token*`, COUNT: 500 })) inRedis.push(...keys);
        expect(inRedis).toEqual([]);
      } finally {
        await redis.close();
      }
    } finally {
      await t.close();
    }
  });

  it('tokens.store: the given store is the one injected', async () => {
    const store = new TwitchMemoryTokenStore();
    const t = await createTwitchApp(fake, { tokens: { store } });
    try {
      expect(t.app.get(TwitchTokenStore)).toBe(store);
    } finally {
      await t.close();
    }
  });

  it.each([
    ['rateLimit.store', { rateLimit: { store: {} } }, 'must be a TwitchRateLimitStore (take, observe) (got an object)'],
    [
      'stateStore',
      { stateStore: 'redis://x' },
      'must be a TwitchKvStore (get, set, setIfAbsent, take, delete, deleteIf) (got a string)',
    ],
    ['tokens.store', { tokens: { store: null } }, 'must be a TwitchTokenStore (get, set, delete, userIds) (got null)'],
  ])('refuses a %s that is not a store, naming the option', (option, bad, expected) => {
    expect(() => resolveTwitchOptions({ clientId: 'id', ...(bad as object) })).toThrow(`option "${option}" ${expected}`);
  });
});
