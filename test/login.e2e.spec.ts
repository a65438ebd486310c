import 'reflect-metadata';
import { Controller, ForbiddenException, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchTokenStore } from '../lib/auth/token-store/twitch-token-store.js';
import { TwitchAuth } from '../lib/auth/decorators/twitch-auth.decorator.js';
import { TwitchUser } from '../lib/auth/decorators/twitch-user.decorator.js';
import type { TwitchIdentity } from '../lib/auth/guards/twitch-identity.js';
import { TwitchLoginModule } from '../lib/auth/login/twitch-login.module.js';
import type { TwitchLoginOptions } from '../lib/interfaces/twitch-login-options.interface.js';
import { TwitchModule } from '../lib/twitch.module.js';
import { TwitchOptionsError } from '../lib/twitch-options.js';
import { FakeTwitch, flushPrefix, uniquePrefix } from './support/app.js';
import { createHttpApp, type Platform } from './support/http-app.js';

const REDIRECT_URI = 'http://127.0.0.1:3000/auth/twitch/callback';
const TWITCHDEV = '141981764';
const TWITCHGAMING = '527115020';
const SCOPES = ['user:read:follows', 'user:read:email'];

@Controller('me')
class MeController {
  @Get()
  @TwitchAuth('user:read:follows')
  me(@TwitchUser() user: TwitchIdentity) {
    return user;
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
    redirectUri: REDIRECT_URI,
    login: { scopes: SCOPES as TwitchLoginOptions['scopes'], successRedirect: '/welcome', ...login },
    imports: [TwitchLoginModule.forRoot({ path: 'auth/twitch' })],
    controllers: [MeController],
  });
}

/** `name=value` pairs of a response's Set-Cookie headers (attributes dropped). */
function setCookies(res: request.Response): Record<string, { value: string; raw: string }> {
  const raw = res.headers['set-cookie'] as unknown as string[] | string | undefined;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const out: Record<string, { value: string; raw: string }> = {};
  for (const c of list) {
    const [pair] = c.split(';');
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = { value: decodeURIComponent(pair.slice(eq + 1)), raw: c };
  }
  return out;
}

/** The path and query of the callback URL Twitch redirected to. */
function callbackPath(location: string): string {
  const url = new URL(location);
  expect(url.origin + url.pathname).toBe(REDIRECT_URI);
  return url.pathname + url.search;
}

describe.each<Platform>(['express', 'fastify'])('TwitchLoginModule on %s', (platform) => {
  let fake: FakeTwitch;
  let app: INestApplication;
  let store: TwitchTokenStore;
  let keyPrefix: string;
  const http = () => request(app.getHttpServer());

  /** GET /auth/twitch/login: the authorize URL and the state cookie. */
  async function startLogin(query = ''): Promise<{ authorizeUrl: URL; state: string; stateCookie: string }> {
    const res = await http().get(`/auth/twitch/login${query}`).expect(302);
    const authorizeUrl = new URL(res.headers.location);
    const cookie = setCookies(res).twitch_session_state;
    expect(cookie).toBeDefined();
    return { authorizeUrl, state: authorizeUrl.searchParams.get('state')!, stateCookie: `twitch_session_state=${cookie.value}` };
  }

  /** Lets the fake's consent screen decide (approve as `login`, or deny); returns the callback path. */
  async function consent(authorizeUrl: URL, decision: 'approve' | 'deny' = 'approve', login = 'twitchdev'): Promise<string> {
    const res = await fetch(`${authorizeUrl}&fake_auto=${decision}&login=${login}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    return callbackPath(res.headers.get('location')!);
  }

  /** A whole login; returns the session cookie (`name=value`) and the callback path used. */
  async function logIn(
    login = 'twitchdev',
    query = '',
  ): Promise<{ session: string; callback: string; stateCookie: string; location: string }> {
    const { authorizeUrl, stateCookie } = await startLogin(query);
    const callback = await consent(authorizeUrl, 'approve', login);
    const res = await http().get(callback).set('Cookie', stateCookie).expect(302);
    const session = setCookies(res).twitch_session;
    expect(session?.value).toBeTruthy();
    return { session: `twitch_session=${session.value}`, callback, stateCookie, location: res.headers.location };
  }

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    keyPrefix = uniquePrefix();
    app = await createApp(platform, fake, keyPrefix);
    store = app.get(TwitchTokenStore);
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await flushPrefix(keyPrefix);
  });
  afterEach(async () => {
    fake.clearRequests();
    fake.clearFaults();
    await store.delete(TWITCHDEV);
    await store.delete(TWITCHGAMING);
  });

  it('redirects to the authorize URL with the scopes, the redirect URI and a one-time state bound to a cookie', async () => {
    const res = await http().get('/auth/twitch/login').expect(302);
    const url = new URL(res.headers.location);
    expect(url.origin + url.pathname).toBe(`${fake.authUrl}/authorize`);
    expect(url.searchParams.get('client_id')).toBe(fake.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('scope')).toBe('user:read:follows user:read:email');
    const state = url.searchParams.get('state')!;
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = setCookies(res).twitch_session_state;
    expect(cookie.value).toBe(state);
    expect(cookie.raw).toMatch(/HttpOnly/);
    expect(cookie.raw).toMatch(/SameSite=Lax/);
    expect(cookie.raw).toMatch(/Path=\//);
    expect(cookie.raw).not.toMatch(/Secure/);
    expect(res.headers['cache-control']).toBe('no-store');
    // Each login gets its own state.
    const second = await startLogin();
    expect(second.state).not.toBe(state);
  });

  it('logs in: the callback exchanges the code, stores the tokens, sets the session cookie and redirects', async () => {
    const { authorizeUrl, stateCookie } = await startLogin();
    const callback = await consent(authorizeUrl);
    const res = await http().get(callback).set('Cookie', stateCookie).expect(302);
    expect(res.headers.location).toBe('/welcome');
    const cookies = setCookies(res);
    expect(cookies.twitch_session.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookies.twitch_session.raw).toMatch(/HttpOnly/);
    expect(cookies.twitch_session.raw).toMatch(/SameSite=Lax/);
    expect(cookies.twitch_session.raw).toMatch(/Path=\//);
    expect(cookies.twitch_session.raw).toMatch(/Max-Age=604800/);
    // The state cookie is cleared.
    expect(cookies.twitch_session_state.raw).toMatch(/Max-Age=0/);

    const stored = await store.get(TWITCHDEV);
    expect(stored).toMatchObject({ userId: TWITCHDEV, login: 'twitchdev', scopes: SCOPES });
    expect(stored!.accessToken).toBeTruthy();
    expect(stored!.refreshToken).toBeTruthy();
    expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(1);

    // The session opens the protected route, without asking Twitch again (validated at login).
    fake.clearRequests();
    const me = await http().get('/me').set('Cookie', `twitch_session=${cookies.twitch_session.value}`).expect(200);
    expect(me.body).toMatchObject({ userId: TWITCHDEV, login: 'twitchdev', source: 'session', scopes: SCOPES });
    expect(me.body.accessToken).toBeUndefined();
    expect(fake.requestsTo('GET', '/oauth2/validate')).toHaveLength(0);
  });

  it('sends the user back to returnTo, and refuses a returnTo that leaves the site', async () => {
    const { location } = await logIn('twitchdev', '?returnTo=%2Fme%3Ftab%3Dfollows');
    expect(location).toBe('/me?tab=follows');
    for (const bad of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'me']) {
      const res = await http()
        .get(`/auth/twitch/login?returnTo=${encodeURIComponent(bad)}`)
        .expect(400);
      expect(res.body).toMatchObject({ reason: 'invalid_return_to' });
      expect(setCookies(res).twitch_session_state).toBeUndefined();
    }
  });

  it('refuses a replayed state with 400 and stores nothing', async () => {
    const { callback, stateCookie } = await logIn('twitchdev');
    const before = await store.get(TWITCHDEV);
    fake.clearRequests();
    // The very same callback again.
    const res = await http().get(callback).set('Cookie', stateCookie).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, reason: 'invalid_state', message: expect.stringMatching(/already used/) });
    expect(setCookies(res).twitch_session).toBeUndefined();
    expect(await store.get(TWITCHDEV)).toEqual(before);
    // A fresh code for another user with the used state: still refused, nothing stored.
    const state = new URL(callback, 'http://x').searchParams.get('state')!;
    const url = new URL(`${fake.authUrl}/authorize`);
    url.search = new URLSearchParams({
      client_id: fake.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'user:read:follows',
      state,
    }).toString();
    const replay = await consent(url, 'approve', 'twitchgaming');
    await http().get(replay).set('Cookie', stateCookie).expect(400);
    expect(await store.get(TWITCHGAMING)).toBeUndefined();
    expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(0);
  });

  it('refuses a callback without state with 400 and stores nothing', async () => {
    const url = new URL(`${fake.authUrl}/authorize`);
    url.search = new URLSearchParams({
      client_id: fake.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'user:read:follows',
    }).toString();
    const callback = await consent(url);
    expect(callback).not.toContain('state=');
    const res = await http().get(callback).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, reason: 'missing_state' });
    expect(setCookies(res).twitch_session).toBeUndefined();
    expect(await store.get(TWITCHDEV)).toBeUndefined();
    expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(0);
  });

  it('refuses a foreign (never issued) state with 400 and stores nothing', async () => {
    const url = new URL(`${fake.authUrl}/authorize`);
    url.search = new URLSearchParams({
      client_id: fake.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'user:read:follows',
      state: 'made-up-state',
    }).toString();
    const callback = await consent(url);
    // Even with a cookie that matches it: the state was never issued.
    const res = await http().get(callback).set('Cookie', 'twitch_session_state=made-up-state').expect(400);
    expect(res.body).toMatchObject({ reason: 'invalid_state' });
    // And without the cookie.
    const res2 = await http().get(callback).expect(400);
    expect(res2.body).toMatchObject({ reason: 'state_mismatch' });
    expect(await store.get(TWITCHDEV)).toBeUndefined();
    expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(0);
  });

  it('refuses a state issued to another browser with 400 and stores nothing (login CSRF)', async () => {
    const attacker = await startLogin();
    const victim = await startLogin();
    const callback = await consent(attacker.authorizeUrl, 'approve', 'twitchgaming');
    const res = await http().get(callback).set('Cookie', victim.stateCookie).expect(400);
    expect(res.body).toMatchObject({ reason: 'state_mismatch', message: expect.stringMatching(/not issued to this browser/) });
    expect(setCookies(res).twitch_session).toBeUndefined();
    expect(await store.get(TWITCHGAMING)).toBeUndefined();
    expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(0);
  });

  it("turns Twitch's error=access_denied into 403 with Twitch's description, and stores nothing", async () => {
    const { authorizeUrl, stateCookie } = await startLogin();
    const callback = await consent(authorizeUrl, 'deny');
    expect(callback).toContain('error=access_denied');
    const res = await http().get(callback).set('Cookie', stateCookie).expect(403);
    expect(res.body).toMatchObject({ statusCode: 403, reason: 'access_denied' });
    expect(res.body.message).toContain('The user denied you access');
    expect(setCookies(res).twitch_session).toBeUndefined();
    expect(setCookies(res).twitch_session_state.raw).toMatch(/Max-Age=0/);
    expect(await store.get(TWITCHDEV)).toBeUndefined();
    expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(0);
    // The state is spent: it cannot be used for a login afterwards.
    const state = authorizeUrl.searchParams.get('state')!;
    const url = new URL(`${fake.authUrl}/authorize`);
    url.search = new URLSearchParams({
      client_id: fake.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: '',
      state,
    }).toString();
    await http()
      .get(await consent(url))
      .set('Cookie', stateCookie)
      .expect(400);
    expect(await store.get(TWITCHDEV)).toBeUndefined();
  });

  it('refuses a callback with a valid state but no code, or a code Twitch refuses, and stores nothing', async () => {
    const first = await startLogin();
    const res = await http().get(`/auth/twitch/callback?state=${first.state}`).set('Cookie', first.stateCookie).expect(400);
    expect(res.body.reason).toBe('missing_code');
    const second = await startLogin();
    const res2 = await http()
      .get(`/auth/twitch/callback?state=${second.state}&code=bogus`)
      .set('Cookie', second.stateCookie)
      .expect(400);
    expect(res2.body).toMatchObject({
      reason: 'code_rejected',
      message: expect.stringMatching(/Twitch refused the authorization code/),
    });
    expect(setCookies(res2).twitch_session).toBeUndefined();
    expect(await store.get(TWITCHDEV)).toBeUndefined();
  });

  it('logs out: revokes the token at Twitch, removes it from the store, clears the cookie; the cookie stops working', async () => {
    const { session } = await logIn();
    const token = (await store.get(TWITCHDEV))!.accessToken;
    await http().get('/me').set('Cookie', session).expect(200);
    // The same token used as a bearer token: its validation is now cached.
    await http().get('/me').set('Authorization', `Bearer ${token}`).expect(200);

    // As a browser's logout form posts it.
    const res = await http().post('/auth/twitch/logout').set('Cookie', session).type('form').send('').expect(303);
    expect(res.headers.location).toBe('/');
    expect(setCookies(res).twitch_session.raw).toMatch(/Max-Age=0/);
    const revokes = fake.requestsTo('POST', '/oauth2/revoke');
    expect(revokes).toHaveLength(1);
    expect(revokes[0].body).toMatchObject({ client_id: fake.clientId, token });
    expect(fake.tokenInfo(token)).toBeUndefined();
    expect(await store.get(TWITCHDEV)).toBeUndefined();

    const after = await http().get('/me').set('Cookie', session).expect(401);
    expect(after.body.reason).toBe('session_expired');
    // Logout dropped the cached validation: the revoked token no longer passes as a bearer token.
    const bearer = await http().get('/me').set('Authorization', `Bearer ${token}`).expect(401);
    expect(bearer.body.reason).toBe('invalid_token');
    // Logging out again is harmless.
    await http().post('/auth/twitch/logout').set('Cookie', session).expect(303);
    await http().post('/auth/twitch/logout').expect(303);
    expect(fake.requestsTo('POST', '/oauth2/revoke')).toHaveLength(1);
  });

  it('ends every session of a user whose tokens were removed, with 401 login_required', async () => {
    const a = await logIn();
    await store.delete(TWITCHDEV);
    const res = await http().get('/me').set('Cookie', a.session).expect(401);
    expect(res.body.reason).toBe('login_required');
  });

  it('answers 401 for a made-up session cookie', async () => {
    const res = await http().get('/me').set('Cookie', 'twitch_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').expect(401);
    expect(res.body.reason).toBe('session_expired');
  });

  it('revalidates a session token after login.revalidateAfterMs and refreshes it when Twitch refuses it', async () => {
    const { session } = await logIn();
    const stored = (await store.get(TWITCHDEV))!;
    // Validated long ago, and Twitch has expired the token meanwhile.
    await store.set({ ...stored, validatedAt: Date.now() - 2 * 3_600_000 });
    fake.expireToken(stored.accessToken);
    fake.clearRequests();
    const me = await http().get('/me').set('Cookie', session).expect(200);
    expect(me.body.login).toBe('twitchdev');
    expect(fake.requestsTo('GET', '/oauth2/validate')).toHaveLength(1);
    const refreshes = fake.requestsTo('POST', '/oauth2/token');
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0].body).toMatchObject({ grant_type: 'refresh_token' });
    const fresh = (await store.get(TWITCHDEV))!;
    expect(fresh.accessToken).not.toBe(stored.accessToken);
    expect(fresh.refreshToken).not.toBe(stored.refreshToken);
  });

  it('refreshes a session token past its expiry, and answers 401 login_required when the refresh is refused', async () => {
    const { session } = await logIn();
    const stored = (await store.get(TWITCHDEV))!;
    await store.set({ ...stored, expiresAt: Date.now() - 1_000 });
    fake.clearRequests();
    await http().get('/me').set('Cookie', session).expect(200);
    expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(1);
    expect(fake.requestsTo('GET', '/oauth2/validate')).toHaveLength(0);

    const now = (await store.get(TWITCHDEV))!;
    await store.set({ ...now, expiresAt: Date.now() - 1_000, refreshToken: 'refused-refresh-token' });
    const res = await http().get('/me').set('Cookie', session).expect(401);
    expect(res.body.reason).toBe('login_required');
    expect((await store.get(TWITCHDEV))!.needsLogin).toBe(true);
  });

  it('prefers the Authorization header over the session cookie', async () => {
    const { session } = await logIn();
    const res = await http().get('/me').set('Cookie', session).set('Authorization', 'Bearer not-valid-at-all').expect(401);
    expect(res.body.reason).toBe('invalid_token');
  });

  it('answers 403 to a session whose token lacks the route scope', async () => {
    const { session } = await logIn();
    const stored = (await store.get(TWITCHDEV))!;
    await store.set({ ...stored, scopes: ['user:read:email'] });
    const res = await http().get('/me').set('Cookie', session).expect(403);
    expect(res.body.missingScopes).toEqual(['user:read:follows']);
  });
});

describe('TwitchLoginModule options', () => {
  let fake: FakeTwitch;
  const prefixes: string[] = [];
  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterAll(async () => {
    await fake?.close();
    for (const p of prefixes) await flushPrefix(p);
  });
  const prefix = () => {
    const p = uniquePrefix();
    prefixes.push(p);
    return p;
  };

  it.each<Platform>(['express', 'fastify'])(
    'lets onLogin refuse a user on %s: tokens revoked and removed, no session',
    async (platform) => {
      const seen: TwitchIdentity[] = [];
      const app = await createApp(platform, fake, prefix(), {
        onLogin: (identity) => {
          seen.push(identity);
          if (identity.login !== 'twitchdev') throw new ForbiddenException(`${identity.login} may not use this app`);
        },
      });
      try {
        const store = app.get(TwitchTokenStore);
        const start = await request(app.getHttpServer()).get('/auth/twitch/login').expect(302);
        const stateCookie = `twitch_session_state=${new URL(start.headers.location).searchParams.get('state')}`;
        const consentRes = await fetch(`${start.headers.location}&fake_auto=approve&login=twitchgaming`, { redirect: 'manual' });
        const callback = callbackPath(consentRes.headers.get('location')!);
        fake.clearRequests();
        const res = await request(app.getHttpServer()).get(callback).set('Cookie', stateCookie).expect(403);
        expect(res.body.message).toBe('twitchgaming may not use this app');
        expect(setCookies(res).twitch_session).toBeUndefined();
        expect(seen.map((s) => s.login)).toEqual(['twitchgaming']);
        expect(await store.get(TWITCHGAMING)).toBeUndefined();
        expect(fake.requestsTo('POST', '/oauth2/revoke')).toHaveLength(1);
      } finally {
        await app.close();
      }
    },
  );

  it('sets Secure cookies with secureCookie: true, and uses the configured cookie name', async () => {
    const app = await createApp('express', fake, prefix(), { secureCookie: true, cookieName: 'sid' });
    try {
      const res = await request(app.getHttpServer()).get('/auth/twitch/login').expect(302);
      const cookie = setCookies(res)['__Host-sid_state'];
      expect(cookie.raw).toMatch(/; Secure/);
    } finally {
      await app.close();
    }
  });

  it('works with a TwitchModule that is not global, passed to TwitchLoginModule.forRoot({ imports })', async () => {
    const twitch = TwitchModule.forRoot({
      ...fake.moduleOptions(),
      redirectUri: 'http://127.0.0.1:3000/login/twitch/callback',
      keyPrefix: prefix(),
      login: { scopes: ['user:read:follows'] },
    });
    @Module({
      imports: [twitch, TwitchLoginModule.forRoot({ path: '/login/twitch/', imports: [twitch] })],
      controllers: [MeController],
    })
    class NotGlobalModule {}
    const app = await NestFactory.create(NotGlobalModule, { logger: false });
    await app.init();
    try {
      const start = await request(app.getHttpServer()).get('/login/twitch/login').expect(302);
      const stateCookie = `twitch_session_state=${new URL(start.headers.location).searchParams.get('state')}`;
      const consentRes = await fetch(`${start.headers.location}&fake_auto=approve`, { redirect: 'manual' });
      const callback = new URL(consentRes.headers.get('location')!);
      expect(callback.pathname).toBe('/login/twitch/callback');
      const res = await request(app.getHttpServer())
        .get(callback.pathname + callback.search)
        .set('Cookie', stateCookie)
        .expect(302);
      expect(res.headers.location).toBe('/');
      // One TwitchModule: the login stored the tokens where the app (and the guard) reads them.
      expect(await app.get(TwitchTokenStore).get(TWITCHDEV)).toMatchObject({ login: 'twitchdev' });
      const session = `twitch_session=${setCookies(res).twitch_session.value}`;
      await request(app.getHttpServer()).get('/me').set('Cookie', session).expect(200);
    } finally {
      await app.close();
    }
  });

  it('refuses to start without a redirectUri, naming the option', async () => {
    @Module({
      imports: [
        TwitchModule.forRoot({ clientId: fake.clientId, clientSecret: fake.clientSecret, keyPrefix: prefix(), isGlobal: true }),
        TwitchLoginModule.forRoot(),
      ],
    })
    class NoRedirectModule {}
    const err = await NestFactory.create(NoRedirectModule, { logger: false, abortOnError: false })
      .then((app) => app.init().then(() => app.close()))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwitchOptionsError);
    expect((err as Error).message).toContain('"redirectUri"');
  });

  it('validates the login options', async () => {
    const { resolveTwitchOptions } = await import('../lib/twitch-options.js');
    const base = { clientId: 'x' };
    expect(resolveTwitchOptions(base).login).toMatchObject({
      scopes: [],
      successRedirect: '/',
      logoutRedirect: '/',
      cookieName: 'twitch_session',
      secureCookie: 'auto',
      validationCacheTtlMs: 60_000,
      invalidTokenCacheTtlMs: 5_000,
      revalidateAfterMs: 3_600_000,
      stateTtlMs: 600_000,
    });
    expect(() => resolveTwitchOptions({ ...base, login: { cookieName: 'a b' } })).toThrow('option "login.cookieName"');
    expect(() => resolveTwitchOptions({ ...base, login: { successRedirect: 'javascript:alert(1)' } })).toThrow(
      'option "login.successRedirect"',
    );
    expect(() => resolveTwitchOptions({ ...base, login: { validationCacheTtlMs: -1 } })).toThrow(
      'option "login.validationCacheTtlMs"',
    );
    expect(() => resolveTwitchOptions({ ...base, login: { scopes: ['a b'] as never } })).toThrow('option "login.scopes"');
    expect(() => resolveTwitchOptions({ ...base, login: { secureCookie: 'yes' as never } })).toThrow(
      'option "login.secureCookie"',
    );
    expect(resolveTwitchOptions({ ...base, login: { validationCacheTtlMs: 1_000 } }).login.invalidTokenCacheTtlMs).toBe(1_000);
  });
});
