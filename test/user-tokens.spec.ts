import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchTokenDecryptionError } from '../lib/auth/token-store/twitch-token-cipher.js';
import { TwitchTokenStore } from '../lib/auth/token-store/twitch-token-store.js';
import { TwitchUserTokenService, type TwitchTokenInvalidEvent } from '../lib/auth/twitch-user-token.service.js';
import { TwitchLoginRequiredException, TwitchMissingScopeException } from '../lib/exceptions/twitch-oauth.exception.js';
import { TwitchServiceUnavailableException } from '../lib/exceptions/twitch.exception.js';
import { createTwitchApp, FakeTwitch, flushPrefix, REDIS_URL, type TestApp, uniquePrefix } from './support/app.js';

const USER = { userId: '141981764', login: 'twitchdev' };

async function login(t: TestApp, fake: FakeTwitch, scopes: string[] = ['user:read:follows']) {
  const issued = fake.issueUserToken({ ...USER, scopes });
  const stored = await t.app.get(TwitchUserTokenService).save({
    accessToken: issued.accessToken,
    refreshToken: issued.refreshToken,
    scopes: scopes as never,
    tokenType: 'bearer',
  });
  return { issued, stored };
}

const refreshes = (fake: FakeTwitch) =>
  fake.requestsTo('POST', '/oauth2/token').filter((r) => (r.body as Record<string, string>).grant_type === 'refresh_token');

describe('calling Helix as a user', () => {
  let fake: FakeTwitch;
  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterAll(() => fake.close());
  afterEach(() => {
    fake.clearRequests();
    fake.clearFaults();
  });

  for (const where of ['memory', 'redis'] as const) {
    describe(`with tokens in ${where}`, () => {
      const keyPrefix = uniquePrefix();
      const opts = () => (where === 'redis' ? { redis: { url: REDIS_URL() }, keyPrefix } : { keyPrefix });
      afterAll(() => flushPrefix(keyPrefix));

      it('saves tokens with the identity Twitch reports and uses them for { userId }', async () => {
        const t = await createTwitchApp(fake, opts());
        const { issued, stored } = await login(t, fake);
        expect(stored).toMatchObject({ userId: USER.userId, login: USER.login, scopes: ['user:read:follows'] });
        expect(await t.app.get(TwitchTokenStore).userIds()).toContain(USER.userId);
        fake.clearRequests();
        const me = await t.api.users.getUsers({}, { userId: USER.userId });
        expect(me.data[0].login).toBe('twitchdev');
        expect(fake.requestsTo('GET', '/users')[0].headers.authorization).toBe(`Bearer ${issued.accessToken}`);
        await t.close();
      });

      it('refreshes once on a 401, retries once, and stores the rotated refresh token first', async () => {
        const t = await createTwitchApp(fake, opts());
        const { issued } = await login(t, fake);
        fake.expireToken(issued.accessToken);
        fake.clearRequests();
        const me = await t.api.users.getUsers({}, { userId: USER.userId });
        expect(me.data[0].id).toBe(USER.userId);
        expect(refreshes(fake)).toHaveLength(1);
        const calls = fake.requestsTo('GET', '/users');
        expect(calls.map((c) => c.status)).toEqual([401, 200]);
        const stored = await t.app.get(TwitchTokenStore).get(USER.userId);
        expect(stored!.accessToken).not.toBe(issued.accessToken);
        expect(stored!.refreshToken).not.toBe(issued.refreshToken);
        expect(calls[1].headers.authorization).toBe(`Bearer ${stored!.accessToken}`);
        await t.close();
      });
    });
  }

  it('a refresh Twitch rejects marks the user as needing to log in, drops the tokens and reports it', async () => {
    const t = await createTwitchApp(fake);
    const { issued } = await login(t, fake);
    const events: TwitchTokenInvalidEvent[] = [];
    t.app.get(TwitchUserTokenService).onTokenInvalid((e) => events.push(e));
    await t.auth.refreshToken(issued.refreshToken); // rotates the stored refresh token away at Twitch
    fake.expireToken(issued.accessToken);
    const err = await t.api.users.getUsers({}, { userId: USER.userId }).catch((e) => e);
    expect(err).toBeInstanceOf(TwitchLoginRequiredException);
    expect(err.getStatus()).toBe(401);
    expect(err.reason).toBe('refresh_rejected');
    const stored = await t.app.get(TwitchTokenStore).get(USER.userId);
    expect(stored).toMatchObject({ needsLogin: true, accessToken: '', refreshToken: '' });
    expect(events).toEqual([{ userId: USER.userId, login: USER.login, reason: 'refresh_rejected' }]);
    // Later calls fail at once, without asking Twitch.
    fake.clearRequests();
    await expect(t.api.users.getUsers({}, { userId: USER.userId })).rejects.toBeInstanceOf(TwitchLoginRequiredException);
    expect(fake.requests).toHaveLength(0);
    await t.close();
  });

  it('a network failure during refresh keeps the tokens', async () => {
    const t = await createTwitchApp(fake, { retry: { maxRetries: 0 } });
    const { issued } = await login(t, fake);
    fake.expireToken(issued.accessToken);
    fake.inject({ method: 'POST', path: '/oauth2/token', drop: true });
    const err = await t.api.users.getUsers({}, { userId: USER.userId }).catch((e) => e);
    expect(err).toBeInstanceOf(TwitchServiceUnavailableException);
    const stored = await t.app.get(TwitchTokenStore).get(USER.userId);
    expect(stored).toMatchObject({ accessToken: issued.accessToken, refreshToken: issued.refreshToken });
    expect(stored!.needsLogin).toBeFalsy();
    // Twitch is back: the next call refreshes and succeeds.
    await expect(t.api.users.getUsers({}, { userId: USER.userId })).resolves.toBeDefined();
    await t.close();
  });

  it('tells a missing scope apart, naming the scopes the endpoint needs', async () => {
    const t = await createTwitchApp(fake);
    await login(t, fake, ['user:read:follows']);
    fake.clearRequests();
    const err = await t.api.channels
      .modifyChannelInformation({ broadcasterId: USER.userId, title: 'x' }, { userId: USER.userId })
      .catch((e) => e);
    expect(err).toBeInstanceOf(TwitchMissingScopeException);
    expect(err.getStatus()).toBe(403);
    expect(err.requiredScopes).toEqual([['channel:manage:broadcast']]);
    expect(err.message).toContain('channel:manage:broadcast');
    // No refresh is attempted for a missing scope.
    expect(refreshes(fake)).toHaveLength(0);
    await t.close();
  });

  it('two instances on one Redis racing a refresh for the same user: exactly one refresh reaches Twitch', async () => {
    const keyPrefix = uniquePrefix();
    const a = await createTwitchApp(fake, { redis: { url: REDIS_URL() }, keyPrefix });
    const b = await createTwitchApp(fake, { redis: { url: REDIS_URL() }, keyPrefix });
    const { issued } = await login(a, fake);
    fake.expireToken(issued.accessToken);
    fake.inject({ method: 'POST', path: '/oauth2/token', delayMs: 150 }); // widen the race window
    fake.clearRequests();
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => a.api.users.getUsers({}, { userId: USER.userId })),
      ...Array.from({ length: 5 }, () => b.api.users.getUsers({}, { userId: USER.userId })),
    ]);
    expect(results.every((r) => r.data[0].id === USER.userId)).toBe(true);
    expect(refreshes(fake)).toHaveLength(1);
    await a.close();
    await b.close();
    await flushPrefix(keyPrefix);
  });
});

describe('tokens at rest', () => {
  let fake: FakeTwitch;
  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterAll(() => fake.close());

  it('are encrypted with AES-256-GCM in Redis, and a wrong or missing key is a clear error', async () => {
    const keyPrefix = uniquePrefix();
    const key = randomBytes(32).toString('hex');
    const t = await createTwitchApp(fake, { redis: { url: REDIS_URL() }, keyPrefix, tokens: { encryptionKey: key } });
    const { issued } = await login(t, fake);
    const redis = createClient({ url: REDIS_URL() });
    await redis.connect();
    const raw = String(await redis.get(`${keyPrefix}{user-token:${USER.userId}}`));
    expect(raw.startsWith('enc1:')).toBe(true);
    expect(raw).not.toContain(issued.accessToken);
    expect(raw).not.toContain(issued.refreshToken);
    expect(raw).not.toContain(USER.login);
    await redis.close();
    expect((await t.app.get(TwitchTokenStore).get(USER.userId))!.accessToken).toBe(issued.accessToken);
    await t.close();

    const wrong = await createTwitchApp(fake, {
      redis: { url: REDIS_URL() },
      keyPrefix,
      tokens: { encryptionKey: randomBytes(32).toString('base64'), validateOnStartup: false },
    });
    const err = await wrong.app
      .get(TwitchTokenStore)
      .get(USER.userId)
      .catch((e) => e);
    expect(err).toBeInstanceOf(TwitchTokenDecryptionError);
    expect(err.message).toContain('tokens.encryptionKey');
    await wrong.close();

    const none = await createTwitchApp(fake, { redis: { url: REDIS_URL() }, keyPrefix, tokens: { validateOnStartup: false } });
    await expect(none.app.get(TwitchTokenStore).get(USER.userId)).rejects.toThrow('no tokens.encryptionKey');
    await none.close();
    await flushPrefix(keyPrefix);
  });

  it('rejects a malformed key at bootstrap, naming the option', async () => {
    await expect(createTwitchApp(fake, { tokens: { encryptionKey: 'short' } })).rejects.toThrow('tokens.encryptionKey');
  });
});

describe('validation Twitch requires (startup and hourly)', () => {
  let fake: FakeTwitch;
  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterAll(() => fake.close());

  const validations = () => fake.requestsTo('GET', '/oauth2/validate').length;
  const settle = async () => {
    let last = -1;
    while (last !== validations()) {
      last = validations();
      await new Promise((r) => setTimeout(r, 150));
    }
  };

  it('validates stored tokens at startup once across instances, and drops dead ones with an event', async () => {
    const keyPrefix = uniquePrefix();
    const seed = await createTwitchApp(fake, { redis: { url: REDIS_URL() }, keyPrefix, tokens: { validateOnStartup: false } });
    const { issued } = await login(seed, fake);
    await seed.close();
    fake.clearRequests();

    const opts = { redis: { url: REDIS_URL() }, keyPrefix, tokens: { validateIntervalMs: 1_000 } };
    const a = await createTwitchApp(fake, opts);
    const b = await createTwitchApp(fake, opts);
    await settle();
    expect(validations()).toBe(1); // at startup, by one of the two instances
    expect((await a.app.get(TwitchTokenStore).get(USER.userId))!.validatedAt).toBeGreaterThan(Date.now() - 5_000);

    // The token dies for good (its refresh token rotated away): the next round drops it and says so.
    const events: TwitchTokenInvalidEvent[] = [];
    a.app.get(TwitchUserTokenService).onTokenInvalid((e) => events.push(e));
    b.app.get(TwitchUserTokenService).onTokenInvalid((e) => events.push(e));
    await a.auth.refreshToken(issued.refreshToken);
    fake.expireToken(issued.accessToken);
    fake.clearRequests();
    await new Promise((r) => setTimeout(r, 1_200));
    const result = await a.app.get(TwitchUserTokenService).validateAll();
    await settle();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ userId: USER.userId, reason: 'refresh_rejected' });
    expect(result.dropped + result.validated).toBeLessThanOrEqual(1);
    expect(await a.app.get(TwitchTokenStore).get(USER.userId)).toMatchObject({ needsLogin: true, accessToken: '' });
    await a.close();
    await b.close();
    await flushPrefix(keyPrefix);
  });
});
