import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchTokenStore } from '../lib/auth/token-store/twitch-token-store.js';
import { createTwitchApp, FakeTwitch, flushPrefix, REDIS_URL, uniquePrefix } from './support/app.js';

/** Records written before keys carried hash tags: `<prefix>user-token:<id>` and the set `<prefix>user-tokens`. */
describe('Redis token store: records under the key names from before hash tags', () => {
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

  it('are listed, read, moved to their tagged key on first read, and deleted with it', async () => {
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
});
