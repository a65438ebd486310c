import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchUserTokenService } from '../../lib/auth/twitch-user-token.service.js';
import { TwitchServiceUnavailableException } from '../../lib/exceptions/twitch.exception.js';
import { createTwitchApp, FakeTwitch, type TestApp } from '../support/app.js';
import { hasRedisServer, startPrivateRedis } from '../support/redis.js';

/**
 * A Redis that accepts connections but answers nothing (SIGSTOP): every command the module sends is
 * bounded by `redis.commandTimeoutMs`, the limiter paces in memory, the cache is bypassed, and
 * user-token calls end in a 503.
 */
describe.skipIf(!hasRedisServer())('a stalled Redis', () => {
  let fake: FakeTwitch;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let t: TestApp;
  const USER = '141981764';

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    redis = await startPrivateRedis();
    t = await createTwitchApp(fake, { redis: { url: redis.url, commandTimeoutMs: 200 } });
    const issued = fake.issueUserToken({ userId: USER, login: 'twitchdev', scopes: [] });
    await t.app.get(TwitchUserTokenService).save({
      accessToken: issued.accessToken,
      refreshToken: issued.refreshToken,
      scopes: [],
      tokenType: 'bearer',
    });
    // The app token and the bucket exist before Redis stalls.
    await t.api.users.getUsers({ login: ['twitchdev'] });
    redis.pause();
  });
  afterEach(() => fake.clearRequests());
  afterAll(async () => {
    redis.resume();
    await t.close();
    await redis.stop();
    await fake.close();
  });

  it('an uncached call ends within its timeout, not when Redis wakes up', async () => {
    const started = Date.now();
    const res = await t.api.users.getUsers({ login: ['twitchdev'] }, { timeout: 1_000 });
    expect(res.data[0].login).toBe('twitchdev');
    // One bounded rate-limit command (200 ms), then memory pacing; far from the stall's length.
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a cached call is answered from Twitch with the cache bypassed', async () => {
    const started = Date.now();
    const a = await t.api.streams.getStreams({ first: 1 }, { cacheTtl: 30_000, timeout: 1_000 });
    const b = await t.api.streams.getStreams({ first: 1 }, { cacheTtl: 30_000, timeout: 1_000 });
    expect(b).toEqual(a);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('an abort signal ends the call while Redis does not answer', async () => {
    const c = new AbortController();
    setTimeout(() => c.abort(new Error('gave up')), 100);
    const started = Date.now();
    // A user-token call reads the token store first: that read is where it waits.
    await expect(t.api.users.getUsers({}, { userId: USER, signal: c.signal })).rejects.toThrow('gave up');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('a user-token call during the stall is a 503, not a raw Redis error', async () => {
    const err = await t.api.users.getUsers({}, { userId: USER, timeout: 1_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwitchServiceUnavailableException);
    expect((err as TwitchServiceUnavailableException).getStatus()).toBe(503);
    expect(fake.requestsTo('GET', '/users')).toHaveLength(0);
  });
});
