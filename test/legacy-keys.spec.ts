import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchTokenStore } from '../lib/auth/token-store/twitch-token-store.js';
import { TwitchRedisConduitCoordinator } from '../lib/eventsub/conduit/twitch-conduit-coordinator.js';
import type { TwitchEventSubResolvedOptions } from '../lib/eventsub/twitch-eventsub.options.js';
import { TwitchEventSubRuntimeSubscriptions } from '../lib/eventsub/twitch-eventsub-runtime.store.js';
import type { TwitchRedisClient } from '../lib/redis/twitch-redis.provider.js';
import { TwitchRedisKvStore } from '../lib/store/twitch-kv.store.js';
import { resolveTwitchOptions } from '../lib/twitch-options.js';
import { createTwitchApp, FakeTwitch, flushPrefix, REDIS_URL, uniquePrefix } from './support/app.js';

/** State written before keys carried hash tags (`<prefix>user-token:<id>` …) that is read after an upgrade. */
describe('state under the key names from before hash tags', () => {
  let fake: FakeTwitch;
  let redis: ReturnType<typeof createClient>;
  beforeAll(async () => {
    fake = await FakeTwitch.start();
    redis = createClient({ url: REDIS_URL() });
    await redis.connect();
  });
  afterAll(async () => {
    await redis?.close();
    await fake?.close();
  });

  const record = (userId: string, accessToken: string) =>
    JSON.stringify({ userId, login: `u${userId}`, accessToken, refreshToken: `r-${accessToken}`, scopes: [] });

  it('user tokens are listed, read, moved to their tagged key on first read, and deleted with it', async () => {
    const keyPrefix = uniquePrefix();
    await redis.set(`${keyPrefix}user-token:1001`, record('1001', 'old-a'));
    await redis.set(`${keyPrefix}user-token:1002`, record('1002', 'old-b'));
    await redis.sAdd(`${keyPrefix}user-tokens`, ['1001', '1002']);
    const t = await createTwitchApp(fake, { redis: { url: REDIS_URL() }, keyPrefix, tokens: { validateOnStartup: false } });
    try {
      const store = t.app.get(TwitchTokenStore);
      expect(await store.userIds()).toEqual(['1001', '1002']);
      expect(await store.get('1001')).toMatchObject({ userId: '1001', accessToken: 'old-a' });
      expect(await redis.exists(`${keyPrefix}user-token:1001`)).toBe(0);
      expect(await redis.exists(`${keyPrefix}{user-token:1001}`)).toBe(1);
      expect(await redis.sMembers(`${keyPrefix}user-tokens`)).toEqual(['1002']);
      expect(await store.userIds()).toEqual(['1001', '1002']);
      // A record written since under the new key wins over the old one.
      await store.set({ userId: '1002', login: 'u1002', accessToken: 'new-b', refreshToken: 'r', scopes: [] });
      expect(await store.get('1002')).toMatchObject({ accessToken: 'new-b' });
      await store.delete('1002');
      expect(await redis.exists(`${keyPrefix}user-token:1002`)).toBe(0);
      expect(await store.get('1002')).toBeUndefined();
      expect(await store.userIds()).toEqual(['1001']);
    } finally {
      await t.close();
      await flushPrefix(keyPrefix);
    }
  });

  it('a conduit id is read and copied to its tagged key', async () => {
    const keyPrefix = uniquePrefix();
    await redis.set(`${keyPrefix}eventsub:conduit:main:id`, 'conduit-1');
    const client = redis as unknown as TwitchRedisClient;
    try {
      const c = new TwitchRedisConduitCoordinator(
        client,
        `${keyPrefix}{eventsub:conduit:main}:`,
        `${keyPrefix}eventsub:conduit:main:`,
      );
      expect(await c.conduitId()).toBe('conduit-1');
      expect(await redis.get(`${keyPrefix}{eventsub:conduit:main}:id`)).toBe('conduit-1');
      await c.setConduitId('conduit-2');
      expect(await c.conduitId()).toBe('conduit-2');
    } finally {
      await flushPrefix(keyPrefix);
    }
  });

  it('runtime EventSub subscriptions are listed until the list is next changed under its tagged key', async () => {
    const keyPrefix = uniquePrefix();
    const w = (key: string) => ({
      type: 'stream.online',
      version: '1',
      condition: { broadcaster_user_id: key },
      key,
      source: 'subscribe()',
    });
    await redis.set(`${keyPrefix}eventsub:runtime`, JSON.stringify([w('1')]), { PX: 60_000 });
    try {
      const runtime = new TwitchEventSubRuntimeSubscriptions(
        new TwitchRedisKvStore(redis as unknown as TwitchRedisClient),
        resolveTwitchOptions({ clientId: 'x', keyPrefix }),
        { redisTimeoutMs: 1_000 } as TwitchEventSubResolvedOptions,
      );
      expect((await runtime.list()).map((x) => x.key)).toEqual(['1']);
      await runtime.add(w('2'));
      expect((await runtime.list()).map((x) => x.key)).toEqual(['1', '2']);
      expect(JSON.parse(String(await redis.get(`${keyPrefix}{eventsub:runtime}`))).map((x: { key: string }) => x.key)).toEqual([
        '1',
        '2',
      ]);
      await runtime.remove(w('1'));
      await runtime.remove(w('2'));
      expect(await runtime.list()).toEqual([]);
    } finally {
      await flushPrefix(keyPrefix);
    }
  });
});
