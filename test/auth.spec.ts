import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchDeviceFlowException } from '../lib/exceptions/twitch-oauth.exception.js';
import {
  TwitchAppCredentialsException,
  TwitchBadRequestException,
  TwitchUnauthorizedException,
} from '../lib/exceptions/twitch.exception.js';
import { TwitchScopes } from '../lib/generated/scopes.js';
import { createTwitchApp, FakeTwitch, flushPrefix, REDIS_URL, type TestApp, uniquePrefix } from './support/app.js';

/** Follows the fake authorize page's auto-approve and returns the `code` of the redirect. */
async function authorize(
  t: TestApp,
  scopes = [TwitchScopes.USER_READ_EMAIL],
  state = 'xyz',
): Promise<{ code: string; state: string }> {
  const url = t.auth.getAuthorizationUrl({ scopes, state }) + '&fake_auto=approve';
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location')!);
  return { code: location.searchParams.get('code')!, state: location.searchParams.get('state')! };
}

describe('TwitchAuthService', () => {
  let fake: FakeTwitch;
  let t: TestApp;
  beforeAll(async () => {
    fake = await FakeTwitch.start({ deviceInterval: 0.05, deviceExpiresIn: 2 });
    t = await createTwitchApp(fake);
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  afterEach(() => fake.clearRequests());

  it('builds the authorization URL with typed scopes, state and force_verify', () => {
    const url = new URL(
      t.auth.getAuthorizationUrl({
        scopes: [TwitchScopes.CHANNEL_READ_SUBSCRIPTIONS, 'chat:read'],
        state: 's1',
        forceVerify: true,
      }),
    );
    expect(url.origin + url.pathname).toBe(`${fake.authUrl}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: fake.clientId,
      redirect_uri: 'http://127.0.0.1:3000/auth/callback',
      response_type: 'code',
      scope: 'channel:read:subscriptions chat:read',
      state: 's1',
      force_verify: 'true',
    });
    const implicit = new URL(t.auth.getAuthorizationUrl({ responseType: 'token' }));
    expect(implicit.searchParams.get('response_type')).toBe('token');
    expect(implicit.searchParams.has('force_verify')).toBe(false);
  });

  it('exchanges an authorization code for user tokens', async () => {
    const { code, state } = await authorize(t);
    expect(state).toBe('xyz');
    const token = await t.auth.exchangeCode(code);
    expect(token.accessToken).toBeTruthy();
    expect(token.refreshToken).toBeTruthy();
    expect(token.scopes).toEqual(['user:read:email']);
    expect(token.expiresAt!.getTime()).toBeGreaterThan(Date.now());
    const [req] = fake.requestsTo('POST', '/oauth2/token');
    expect(req.body).toMatchObject({ grant_type: 'authorization_code', code, client_id: fake.clientId });
    // A code works once.
    await expect(t.auth.exchangeCode(code)).rejects.toBeInstanceOf(TwitchBadRequestException);
  });

  it('gets an app token by client credentials', async () => {
    const token = await t.auth.requestAppToken();
    expect(token.accessToken).toBeTruthy();
    expect(token.expiresIn).toBeGreaterThan(0);
    const v = await t.auth.validateToken(token.accessToken);
    expect(v.clientId).toBe(fake.clientId);
    expect(v.userId).toBeUndefined();
  });

  it('refreshes a user token and returns the rotated refresh token', async () => {
    const issued = fake.issueUserToken({ userId: '141981764', login: 'twitchdev', scopes: ['user:read:email'] });
    const fresh = await t.auth.refreshToken(issued.refreshToken);
    expect(fresh.accessToken).not.toBe(issued.accessToken);
    expect(fresh.refreshToken).not.toBe(issued.refreshToken);
    const [req] = fake.requestsTo('POST', '/oauth2/token');
    expect(req.body).toMatchObject({ grant_type: 'refresh_token', refresh_token: issued.refreshToken });
    // The old refresh token was rotated away.
    await expect(t.auth.refreshToken(issued.refreshToken)).rejects.toBeInstanceOf(TwitchBadRequestException);
    // The new one works.
    await expect(t.auth.refreshToken(fresh.refreshToken)).resolves.toMatchObject({ scopes: ['user:read:email'] });
  });

  it('validates with the OAuth prefix and rejects a dead token', async () => {
    const issued = fake.issueUserToken({ userId: '141981764', login: 'twitchdev', scopes: ['user:read:email'] });
    const v = await t.auth.validateToken(issued.accessToken);
    expect(v).toMatchObject({ clientId: fake.clientId, login: 'twitchdev', userId: '141981764', scopes: ['user:read:email'] });
    expect(fake.requestsTo('GET', '/oauth2/validate')[0].headers.authorization).toBe(`OAuth ${issued.accessToken}`);
    fake.expireToken(issued.accessToken);
    const err = await t.auth.validateToken(issued.accessToken).catch((e) => e);
    expect(err).toBeInstanceOf(TwitchUnauthorizedException);
    expect(err.getStatus()).toBe(401);
    expect(err.message).not.toContain(issued.accessToken);
  });

  it('revokes a token', async () => {
    const issued = fake.issueUserToken({ userId: '141981764', scopes: [] });
    await t.auth.revokeToken(issued.accessToken);
    expect(fake.requestsTo('POST', '/oauth2/revoke')[0].body).toMatchObject({
      client_id: fake.clientId,
      token: issued.accessToken,
    });
    await expect(t.auth.validateToken(issued.accessToken)).rejects.toBeInstanceOf(TwitchUnauthorizedException);
  });

  it('runs the device code flow through pending and slow_down to a token', async () => {
    const device = await t.auth.startDeviceFlow([TwitchScopes.USER_READ_FOLLOWS]);
    expect(device.userCode).toBeTruthy();
    expect(fake.requestsTo('POST', '/oauth2/device')[0].body).toMatchObject({ scopes: 'user:read:follows' });
    // Poll faster than the interval once: the fake answers slow_down, and the client must back off.
    const early = await fetch(`${fake.authUrl}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        client_id: fake.clientId,
        device_code: device.deviceCode,
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        scopes: '',
      }),
    });
    expect(early.status).toBe(400);
    setTimeout(() => fake.approveDevice(device.userCode, { userId: '141981764', login: 'twitchdev' }), 300).unref();
    const token = await t.auth.pollDeviceToken({ ...device, interval: 0.05 });
    expect(token.accessToken).toBeTruthy();
    expect(token.scopes).toEqual(['user:read:follows']);
    const polls = fake.requestsTo('POST', '/oauth2/token').map((r) => r.body as Record<string, string>);
    expect(polls.length).toBeGreaterThan(2);
    expect(polls.every((p) => p.grant_type === 'urn:ietf:params:oauth:grant-type:device_code')).toBe(true);
  });

  it('ends the device code flow on denial and on expiry', async () => {
    const denied = await t.auth.startDeviceFlow([]);
    setTimeout(() => fake.denyDevice(denied.userCode), 100).unref();
    const err = await t.auth.pollDeviceToken(denied).catch((e) => e);
    expect(err).toBeInstanceOf(TwitchDeviceFlowException);
    expect(err.reason).toBe('access_denied');

    const expiring = await t.auth.startDeviceFlow([]);
    const err2 = await t.auth.pollDeviceToken({ ...expiring, expiresIn: 0.3 }).catch((e) => e);
    expect(err2).toBeInstanceOf(TwitchDeviceFlowException);
    expect(err2.reason).toBe('expired_token');
  });

  it('reports wrong client credentials without leaking the secret', async () => {
    const bad = await createTwitchApp(fake, { clientSecret: 'wrong-secret-value' });
    const err = await bad.auth.requestAppToken().catch((e) => e);
    // The app's own credentials: the server's fault, whatever Twitch's 4xx.
    expect(err).toBeInstanceOf(TwitchAppCredentialsException);
    expect(err.getStatus()).toBe(500);
    expect(err.twitchStatus).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(err.getResponse())).not.toContain('wrong-secret-value');
    expect(err.message).not.toContain('wrong-secret-value');
    expect(String(err.cause?.message ?? '')).not.toContain('wrong-secret-value');
    await bad.close();
  });
});

describe('managed app token', () => {
  let fake: FakeTwitch;
  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterAll(() => fake.close());

  it('is fetched once for concurrent callers and reused', async () => {
    const t = await createTwitchApp(fake);
    fake.clearRequests();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => t.auth.getAppToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(await t.auth.getAppToken()).toBe(tokens[0]);
    expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(1);
    await t.close();
  });

  it('is shared through Redis by two module instances', async () => {
    const keyPrefix = uniquePrefix();
    const a = await createTwitchApp(fake, { redis: { url: REDIS_URL() }, keyPrefix });
    const b = await createTwitchApp(fake, { redis: { url: REDIS_URL() }, keyPrefix });
    fake.clearRequests();
    const [ta, tb] = await Promise.all([a.auth.getAppToken(), b.auth.getAppToken()]);
    expect(ta).toBe(tb);
    expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(1);
    // Both call Helix with it.
    await Promise.all([a.api.users.getUsers({ login: ['twitchdev'] }), b.api.users.getUsers({ login: ['twitchdev'] })]);
    const auths = fake.requestsTo('GET', '/users').map((r) => r.headers.authorization);
    expect(auths).toEqual([`Bearer ${ta}`, `Bearer ${ta}`]);
    await a.close();
    await b.close();
    await flushPrefix(keyPrefix);
  });

  it('is renewed after Twitch refuses it with a 401, once', async () => {
    const t = await createTwitchApp(fake);
    const first = await t.auth.getAppToken();
    fake.expireToken(first);
    fake.clearRequests();
    const users = await t.api.users.getUsers({ login: ['twitchdev'] });
    expect(users.data).toHaveLength(1);
    const calls = fake.requestsTo('GET', '/users');
    expect(calls).toHaveLength(2);
    expect(calls[0].headers.authorization).toBe(`Bearer ${first}`);
    expect(calls[1].headers.authorization).not.toBe(`Bearer ${first}`);
    expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(1);
    await t.close();
  });

  it('is renewed before it expires', async () => {
    const short = await FakeTwitch.start({ appTokenTtlSeconds: 2 });
    const t = await createTwitchApp(short);
    const first = await t.auth.getAppToken();
    // Renewal starts in the last tenth of the token's life: after 1.85 s of 2 s.
    await new Promise((r) => setTimeout(r, 1_900));
    const second = await t.auth.getAppToken();
    expect(second).not.toBe(first);
    expect(short.requestsTo('POST', '/oauth2/token')).toHaveLength(2);
    await t.close();
    await short.close();
  });
});
