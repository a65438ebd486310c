import 'reflect-metadata';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchAuth } from '../lib/auth/decorators/twitch-auth.decorator.js';
import { TwitchUser } from '../lib/auth/decorators/twitch-user.decorator.js';
import { TWITCH_MODULE_MISSING } from '../lib/auth/guards/twitch-auth.guard.js';
import { type TwitchIdentity, twitchIdentity } from '../lib/auth/guards/twitch-identity.js';
import { TwitchApiService } from '../lib/api/twitch-api.service.js';
import { TwitchUserTokenService } from '../lib/auth/twitch-user-token.service.js';
import { TwitchModule } from '../lib/twitch.module.js';
import type { TwitchLoginOptions } from '../lib/interfaces/twitch-login-options.interface.js';
import { FakeTwitch, flushPrefix, uniquePrefix } from './support/app.js';
import { sharedRedis } from './support/prefixes.js';
import { createHttpApp, type Platform } from './support/http-app.js';

const TWITCHDEV = { userId: '141981764', login: 'twitchdev' };
/** Get Followed Channels' answer (the fake serves it as given). */
const FOLLOWED = {
  total: 1,
  data: [
    {
      broadcaster_id: '527115020',
      broadcaster_login: 'twitchgaming',
      broadcaster_name: 'TwitchGaming',
      followed_at: '2022-05-24T22:22:08Z',
    },
  ],
  pagination: {},
};

@Controller('me')
class MeController {
  /** No scope needed; shows what @TwitchUser() gives and that the token is there but not serialised. */
  @Get()
  @TwitchAuth()
  me(@TwitchUser() user: TwitchIdentity) {
    return { user, hasToken: typeof user.accessToken === 'string' && user.accessToken.length > 0 };
  }

  @Get('login')
  @TwitchAuth()
  login(@TwitchUser('login') login: string) {
    return { login };
  }

  @Get('two-scopes')
  @TwitchAuth('user:read:follows', 'user:read:subscriptions')
  twoScopes() {
    return { ok: true };
  }
}

/** Class-level scope, overridden by method-level `@TwitchAuth`. */
@Controller('scoped')
@TwitchAuth('user:read:email')
class ScopedController {
  @Get('class')
  fromClass(@TwitchUser('userId') userId: string) {
    return { route: 'class', userId };
  }

  @Get('method')
  @TwitchAuth('user:read:follows')
  fromMethod() {
    return { route: 'method' };
  }

  @Get('open')
  @TwitchAuth()
  open() {
    return { route: 'open' };
  }
}

/** Not guarded: @TwitchUser() is undefined. */
@Controller('public')
class PublicController {
  @Get()
  open(@TwitchUser() user?: TwitchIdentity) {
    return { user: user ?? null };
  }
}

/** Calls Twitch as the authenticated user, the way the README shows. */
@Controller('as-user')
class AsUserController {
  constructor(private readonly twitch: TwitchApiService) {}

  @Get('follows')
  @TwitchAuth('user:read:follows')
  follows(@TwitchUser() user: TwitchIdentity) {
    return this.twitch.channels.getFollowedChannels({ userId: user.userId }, { user });
  }

  /** `{ userId }` alone means "the user's stored tokens", which a bearer caller does not have. */
  @Get('by-id')
  @TwitchAuth('user:read:follows')
  byId(@TwitchUser('userId') userId: string) {
    return this.twitch.channels.getFollowedChannels({ userId }, { userId });
  }
}

function createApp(
  platform: Platform,
  fake: FakeTwitch,
  keyPrefix: string,
  login: TwitchLoginOptions = {},
): Promise<INestApplication> {
  return createHttpApp(platform, fake, {
    keyPrefix,
    login,
    controllers: [MeController, ScopedController, PublicController, AsUserController],
  });
}

/** Every key and value under a prefix. */
async function dumpPrefix(prefix: string): Promise<string> {
  const client = await sharedRedis();
  let out = '';
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    for (const key of keys) {
      const type = await client.type(key);
      out += `${key}=${type === 'string' ? await client.get(key) : JSON.stringify(await client.hGetAll(key))}\n`;
    }
  }
  return out;
}

describe.each<Platform>(['express', 'fastify'])('@TwitchAuth / @TwitchUser on %s', (platform) => {
  let fake: FakeTwitch;
  let app: INestApplication;
  let keyPrefix: string;
  const http = () => request(app.getHttpServer());
  const validations = () => fake.requestsTo('GET', '/oauth2/validate').length;

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    keyPrefix = uniquePrefix();
    app = await createApp(platform, fake, keyPrefix);
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await flushPrefix(keyPrefix);
  });
  afterEach(() => {
    fake.clearRequests();
    fake.clearFaults();
  });

  it('answers 401 without a token or session, and validates nothing', async () => {
    const res = await http().get('/me').expect(401);
    expect(res.body).toMatchObject({ statusCode: 401, reason: 'no_credentials' });
    expect(res.body.message).toMatch(/Bearer/);
    expect(validations()).toBe(0);
  });

  it('answers 401 for an Authorization header that is not Bearer', async () => {
    const res = await http().get('/me').set('Authorization', 'Basic dXNlcjpwYXNz').expect(401);
    expect(res.body).toMatchObject({ reason: 'malformed_authorization' });
    expect(validations()).toBe(0);
  });

  it('answers 401 for an invalid token and caches that answer briefly', async () => {
    const res = await http().get('/me').set('Authorization', 'Bearer notarealtoken123').expect(401);
    expect(res.body).toMatchObject({
      statusCode: 401,
      reason: 'invalid_token',
      message: expect.stringMatching(/invalid, expired or revoked/),
    });
    expect(validations()).toBe(1);
    await http().get('/me').set('Authorization', 'Bearer notarealtoken123').expect(401);
    expect(validations()).toBe(1);
  });

  it('answers 401 for an expired token', async () => {
    const issued = fake.issueUserToken({ ...TWITCHDEV, scopes: [] });
    fake.expireToken(issued.accessToken);
    const res = await http().get('/me').set('Authorization', `Bearer ${issued.accessToken}`).expect(401);
    expect(res.body.reason).toBe('invalid_token');
  });

  it('answers 200 with the @TwitchUser identity for a valid bearer token, and caches the validation', async () => {
    const issued = fake.issueUserToken({ ...TWITCHDEV, scopes: ['user:read:email'] });
    const res = await http().get('/me').set('Authorization', `Bearer ${issued.accessToken}`).expect(200);
    expect(res.body.user).toMatchObject({ ...TWITCHDEV, scopes: ['user:read:email'], source: 'bearer' });
    expect(new Date(res.body.user.expiresAt).getTime()).toBeGreaterThan(Date.now() + 3_600_000);
    // The handler can use the token; serialising the identity leaves it out.
    expect(res.body.hasToken).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain(issued.accessToken);
    expect(validations()).toBe(1);

    const again = await http().get('/me/login').set('Authorization', `Bearer ${issued.accessToken}`).expect(200);
    expect(again.body).toEqual({ login: 'twitchdev' });
    expect(validations()).toBe(1);
    // Twitch saw the token with the OAuth prefix.
    expect(fake.requestsTo('GET', '/oauth2/validate')[0].headers.authorization).toBe(`OAuth ${issued.accessToken}`);
    // Cached under a digest: the token appears in no Redis key or value.
    const dump = await dumpPrefix(keyPrefix);
    expect(dump).toContain(`${keyPrefix}{auth:validation:`);
    expect(dump).not.toContain(issued.accessToken);
  });

  it('answers 403 naming every missing scope', async () => {
    const issued = fake.issueUserToken({ ...TWITCHDEV, scopes: ['user:read:follows'] });
    const res = await http().get('/me/two-scopes').set('Authorization', `Bearer ${issued.accessToken}`).expect(403);
    expect(res.body).toMatchObject({ statusCode: 403, missingScopes: ['user:read:subscriptions'] });
    expect(res.body.message).toContain('user:read:subscriptions');
    expect(res.body.message).not.toContain('user:read:follows');

    const none = fake.issueUserToken({ ...TWITCHDEV, scopes: [] });
    const res2 = await http().get('/me/two-scopes').set('Authorization', `Bearer ${none.accessToken}`).expect(403);
    expect(res2.body.missingScopes).toEqual(['user:read:follows', 'user:read:subscriptions']);

    const both = fake.issueUserToken({ ...TWITCHDEV, scopes: ['user:read:subscriptions', 'user:read:follows'] });
    await http().get('/me/two-scopes').set('Authorization', `Bearer ${both.accessToken}`).expect(200, { ok: true });
  });

  it('applies class-level scopes, and a method-level @TwitchAuth wins over them', async () => {
    const email = fake.issueUserToken({ ...TWITCHDEV, scopes: ['user:read:email'] }).accessToken;
    const follows = fake.issueUserToken({ ...TWITCHDEV, scopes: ['user:read:follows'] }).accessToken;
    const none = fake.issueUserToken({ ...TWITCHDEV, scopes: [] }).accessToken;

    await http()
      .get('/scoped/class')
      .set('Authorization', `Bearer ${email}`)
      .expect(200, { route: 'class', userId: TWITCHDEV.userId });
    const cls = await http().get('/scoped/class').set('Authorization', `Bearer ${follows}`).expect(403);
    expect(cls.body.missingScopes).toEqual(['user:read:email']);

    // The method's scope replaces the class's: follows is enough, email is not needed.
    await http().get('/scoped/method').set('Authorization', `Bearer ${follows}`).expect(200, { route: 'method' });
    const m = await http().get('/scoped/method').set('Authorization', `Bearer ${email}`).expect(403);
    expect(m.body.missingScopes).toEqual(['user:read:follows']);

    // A method-level @TwitchAuth() without scopes needs none, despite the class.
    await http().get('/scoped/open').set('Authorization', `Bearer ${none}`).expect(200, { route: 'open' });
    await http().get('/scoped/open').expect(401);
  });

  it('refuses app access tokens and tokens of other applications', async () => {
    const appToken = fake.issueAppToken();
    const res = await http().get('/me').set('Authorization', `Bearer ${appToken}`).expect(401);
    expect(res.body.reason).toBe('not_user_token');

    const foreign = fake.issueUserToken({ ...TWITCHDEV, scopes: [], clientId: 'someone-elses-app' });
    const res2 = await http().get('/me').set('Authorization', `Bearer ${foreign.accessToken}`).expect(401);
    expect(res2.body).toMatchObject({ reason: 'foreign_client', message: expect.stringMatching(/another application/) });
  });

  it('answers 503 when Twitch cannot validate, and does not cache that', async () => {
    const issued = fake.issueUserToken({ ...TWITCHDEV, scopes: [] });
    fake.inject({ method: 'GET', path: '/oauth2/validate', status: 503 });
    const res = await http().get('/me').set('Authorization', `Bearer ${issued.accessToken}`);
    expect(res.status).toBeGreaterThanOrEqual(502);
    expect(res.status).toBeLessThanOrEqual(503);
    expect(JSON.stringify(res.body)).not.toContain(issued.accessToken);
    await http().get('/me').set('Authorization', `Bearer ${issued.accessToken}`).expect(200);
    expect(validations()).toBe(2);
  });

  it('calls Twitch as a bearer-authenticated user with { user } from @TwitchUser(), sending their own token', async () => {
    const issued = fake.issueUserToken({ ...TWITCHDEV, scopes: ['user:read:follows'] });
    fake.respondWith('GET', '/channels/followed', 200, FOLLOWED);
    const res = await http().get('/as-user/follows').set('Authorization', `Bearer ${issued.accessToken}`).expect(200);
    expect(res.body).toMatchObject({ total: 1, data: [{ broadcasterLogin: 'twitchgaming' }] });
    const sent = fake.requestsTo('GET', '/channels/followed');
    expect(sent).toHaveLength(1);
    expect(sent[0].query).toMatchObject({ user_id: [TWITCHDEV.userId] });
    expect(sent[0].headers.authorization).toBe(`Bearer ${issued.accessToken}`);
    expect(sent[0].headers['client-id']).toBe(fake.clientId);
    // Neither an app token nor a stored user token was involved.
    expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(0);
    // The user's rate-limit bucket, named by user ID (never by the token).
    const dump = await dumpPrefix(keyPrefix);
    expect(dump).toContain(`user:${TWITCHDEV.userId}`);
    expect(dump).not.toContain(issued.accessToken);
  });

  it('says how to call as a bearer user when { userId } finds no stored tokens', async () => {
    const issued = fake.issueUserToken({ ...TWITCHDEV, scopes: ['user:read:follows'] });
    const res = await http().get('/as-user/by-id').set('Authorization', `Bearer ${issued.accessToken}`).expect(401);
    expect(res.body.message).toContain('has no stored tokens');
    expect(res.body.message).toContain('{ user } from @TwitchUser()');
    expect(fake.requestsTo('GET', '/channels/followed')).toHaveLength(0);
  });

  it('leaves @TwitchUser() undefined on routes without @TwitchAuth()', async () => {
    await http().get('/public').expect(200, { user: null });
  });
});

describe('validation cache TTL', () => {
  let fake: FakeTwitch;
  let app: INestApplication;
  const keyPrefix = uniquePrefix();
  beforeAll(async () => {
    fake = await FakeTwitch.start();
    app = await createApp('express', fake, keyPrefix, { validationCacheTtlMs: 600 });
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await flushPrefix(keyPrefix);
  });

  it('asks Twitch again once login.validationCacheTtlMs has passed, and then sees a revoked token', async () => {
    const issued = fake.issueUserToken({ ...TWITCHDEV, scopes: [] });
    const http = () => request(app.getHttpServer());
    await http().get('/me').set('Authorization', `Bearer ${issued.accessToken}`).expect(200);
    fake.revokeToken(issued.accessToken);
    // Within the TTL the cached answer stands.
    await http().get('/me').set('Authorization', `Bearer ${issued.accessToken}`).expect(200);
    expect(fake.requestsTo('GET', '/oauth2/validate')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 700));
    await http().get('/me').set('Authorization', `Bearer ${issued.accessToken}`).expect(401);
    expect(fake.requestsTo('GET', '/oauth2/validate')).toHaveLength(2);
  });
});

describe('{ user } request option', () => {
  let fake: FakeTwitch;
  let app: INestApplication;
  const keyPrefix = uniquePrefix();
  beforeAll(async () => {
    fake = await FakeTwitch.start();
    app = await createApp('express', fake, keyPrefix);
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await flushPrefix(keyPrefix);
  });

  it('uses the stored (refreshable) tokens for a session identity', async () => {
    const issued = fake.issueUserToken({ ...TWITCHDEV, scopes: ['user:read:follows'] });
    await app.get(TwitchUserTokenService).save(issued);
    const user = twitchIdentity({ ...TWITCHDEV, scopes: ['user:read:follows'] }, 'session', 'a-copy-of-an-older-token');
    fake.clearRequests();
    fake.respondWith('GET', '/channels/followed', 200, FOLLOWED);
    await app.get(TwitchApiService).channels.getFollowedChannels({ userId: TWITCHDEV.userId }, { user });
    expect(fake.requestsTo('GET', '/channels/followed')[0].headers.authorization).toBe(`Bearer ${issued.accessToken}`);
  });

  it('refuses a user that is not an identity, or given with accessToken or another userId, and sends nothing', async () => {
    const api = app.get(TwitchApiService);
    const user = twitchIdentity({ ...TWITCHDEV, scopes: [] }, 'bearer', 'tok');
    const params = { userId: TWITCHDEV.userId };
    fake.clearRequests();
    await expect(api.channels.getFollowedChannels(params, { user: {} as TwitchIdentity })).rejects.toThrow(
      'options.user must be the TwitchIdentity of @TwitchUser()',
    );
    await expect(api.channels.getFollowedChannels(params, { user: { ...user } })).rejects.toThrow(
      'options.user has no access token',
    );
    await expect(api.channels.getFollowedChannels(params, { user, accessToken: 'other' })).rejects.toThrow(
      'give options.user or options.accessToken, not both',
    );
    await expect(api.channels.getFollowedChannels(params, { user, userId: '1' })).rejects.toThrow('name different users');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('@TwitchAuth() without TwitchModule', () => {
  it('fails the bootstrap saying what to import', async () => {
    @Module({ controllers: [MeController] })
    class NoTwitchModule {}
    await expect(NestFactory.create(NoTwitchModule, { logger: false, abortOnError: false })).rejects.toThrow(
      TWITCH_MODULE_MISSING,
    );
  });

  it('fails the same way when TwitchModule is registered, not globally, in another module', async () => {
    @Module({ imports: [TwitchModule.forRoot({ clientId: 'id', clientSecret: 'secret' })] })
    class TwitchHolder {}
    @Module({ controllers: [MeController] })
    class FeatureModule {}
    @Module({ imports: [TwitchHolder, FeatureModule] })
    class RootModule {}
    await expect(NestFactory.create(RootModule, { logger: false, abortOnError: false })).rejects.toThrow(
      /cannot see TwitchModule.*isGlobal: true/,
    );
  });
});
