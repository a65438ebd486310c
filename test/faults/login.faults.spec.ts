import 'reflect-metadata';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TwitchAuth } from '../../lib/auth/decorators/twitch-auth.decorator.js';
import { TwitchUser } from '../../lib/auth/decorators/twitch-user.decorator.js';
import type { TwitchIdentity } from '../../lib/auth/guards/twitch-identity.js';
import { TwitchLoginModule } from '../../lib/auth/login/twitch-login.module.js';
import { TwitchTokenStore } from '../../lib/auth/token-store/twitch-token-store.js';
import type { TwitchLoginOptions } from '../../lib/interfaces/twitch-login-options.interface.js';
import { FakeTwitch, flushPrefix, REDIS_URL } from '../support/app.js';
import { createHttpApp, type Platform } from '../support/http-app.js';

const REDIRECT_URI = 'http://127.0.0.1:3000/auth/twitch/callback';
const TWITCHDEV = '141981764';

@Controller('me')
class MeController {
  @Get()
  @TwitchAuth()
  me(@TwitchUser() user: TwitchIdentity) {
    return user;
  }
}

type Cookies = Record<string, { value: string; raw: string }>;

function setCookies(res: request.Response): Cookies {
  const raw = res.headers['set-cookie'] as unknown as string[] | string | undefined;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const out: Cookies = {};
  for (const c of list) {
    const [pair] = c.split(';');
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = { value: decodeURIComponent(pair.slice(eq + 1)), raw: c };
  }
  return out;
}

const newPrefix = () => `t-login-faults-${process.pid}-${randomBytes(4).toString('hex')}:`;

describe.each<Platform>(['express', 'fastify'])('login hardening on %s', (platform) => {
  let fake: FakeTwitch;
  let redis: ReturnType<typeof createClient>;
  const apps: INestApplication[] = [];
  const prefixes: string[] = [];

  async function createApp(login: TwitchLoginOptions = {}): Promise<{ app: INestApplication; keyPrefix: string }> {
    const keyPrefix = newPrefix();
    prefixes.push(keyPrefix);
    const app = await createHttpApp(platform, fake, {
      keyPrefix,
      redirectUri: REDIRECT_URI,
      login: { scopes: ['user:read:follows'], successRedirect: '/welcome', ...login },
      imports: [TwitchLoginModule.forRoot({ path: 'auth/twitch' })],
      controllers: [MeController],
    });
    apps.push(app);
    return { app, keyPrefix };
  }

  /** GET /login, Twitch's consent (approve), and the callback path and state cookie (`name=value`). */
  async function throughTwitch(app: INestApplication, query = '', cookieName = 'twitch_session_state') {
    const start = await request(app.getHttpServer()).get(`/auth/twitch/login${query}`).expect(302);
    const cookie = setCookies(start)[cookieName];
    expect(cookie).toBeDefined();
    const consent = await fetch(`${start.headers.location}&fake_auto=approve`, { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location')!);
    return {
      start,
      stateCookie: `${cookieName}=${encodeURIComponent(cookie.value)}`,
      callback: callback.pathname + callback.search,
    };
  }

  async function logIn(app: INestApplication, query = ''): Promise<{ session: string; location: string }> {
    const { stateCookie, callback } = await throughTwitch(app, query);
    const res = await request(app.getHttpServer()).get(callback).set('Cookie', stateCookie).expect(302);
    return { session: `twitch_session=${setCookies(res).twitch_session.value}`, location: res.headers.location };
  }

  async function keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
    return keys;
  }

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    redis = createClient({ url: REDIS_URL() });
    await redis.connect();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await redis.close();
    await fake.close();
    for (const p of prefixes) await flushPrefix(p);
  });
  afterEach(() => {
    fake.clearRequests();
    fake.clearFaults();
  });

  describe('returnTo', () => {
    let app: INestApplication;
    beforeAll(async () => {
      ({ app } = await createApp());
    });

    it.each([
      '/.//evil.example',
      '/..//evil.example',
      '/%2e//evil.example',
      '/%2E%2E//evil.example',
      '/a/..//evil.example',
      '/%2F%2Fevil.example',
      '/%5Cevil.example',
    ])('refuses returnTo=%s (a scheme-relative //evil.example once resolved): 400, no state', async (returnTo) => {
      const res = await request(app.getHttpServer()).get(`/auth/twitch/login?returnTo=${encodeURIComponent(returnTo)}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ reason: 'invalid_return_to' });
      expect(res.headers.location).toBeUndefined();
      expect(setCookies(res).twitch_session_state).toBeUndefined();
    });

    it('sends the user to the normalised path after login', async () => {
      const { location } = await logIn(app, '?returnTo=/a/../me%3Ftab%3D1');
      expect(location).toBe('/me?tab=1');
    });

    it('a state cookie whose returnTo was changed is refused, and the user is not sent there', async () => {
      const { stateCookie, callback } = await throughTwitch(app, '?returnTo=/me');
      const [name, value] = stateCookie.split('=');
      const state = decodeURIComponent(value).split('.')[0];
      const forged = `${name}=${encodeURIComponent(`${state}.${Buffer.from('//evil.example').toString('base64url')}`)}`;
      const res = await request(app.getHttpServer()).get(callback).set('Cookie', forged).expect(400);
      expect(res.body).toMatchObject({ reason: 'invalid_state' });
      expect(res.headers.location).toBeUndefined();
      expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(0);
    });
  });

  describe('pending states', () => {
    it('anonymous GET /login stores nothing (200 requests, 0 keys); a used state is kept only until it expires', async () => {
      const { app, keyPrefix } = await createApp();
      const server = app.getHttpServer();
      for (let i = 0; i < 4; i++) {
        await Promise.all(Array.from({ length: 50 }, () => request(server).get('/auth/twitch/login').expect(302)));
      }
      expect(await keysUnder(keyPrefix)).toEqual([]);

      const { stateCookie, callback } = await throughTwitch(app);
      await request(server).get(callback).set('Cookie', stateCookie).expect(302);
      const used = (await keysUnder(keyPrefix)).filter((k) => k.includes('login-state'));
      expect(used).toHaveLength(1);
      const ttl = await redis.pTTL(used[0]);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600_000);
      // And it still works once only.
      const replay = await request(server).get(callback).set('Cookie', stateCookie).expect(400);
      expect(replay.body).toMatchObject({ reason: 'invalid_state' });
    });

    it('a state older than login.stateTtlMs is refused', async () => {
      const { app } = await createApp({ stateTtlMs: 1_000 });
      const { stateCookie, callback } = await throughTwitch(app);
      // The state carries its expiry (epoch ms): the callback comes 1.3 s later on a clock moved on, not waited for.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 1_300 });
      try {
        const res = await request(app.getHttpServer()).get(callback).set('Cookie', stateCookie).expect(400);
        expect(res.body).toMatchObject({ reason: 'invalid_state' });
      } finally {
        vi.useRealTimers();
      }
      expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(0);
    });
  });

  describe("Twitch's error on the callback", () => {
    let app: INestApplication;
    beforeAll(async () => {
      ({ app } = await createApp());
    });
    const evil = encodeURIComponent('Your account is locked: call +1-555-EVIL');

    it('is not echoed without a state', async () => {
      const res = await request(app.getHttpServer())
        .get(`/auth/twitch/callback?error=access_denied&error_description=${evil}`)
        .expect(400);
      expect(res.body).toMatchObject({ reason: 'missing_state' });
      expect(JSON.stringify(res.body)).not.toContain('EVIL');
    });

    it('is not echoed with a state of another browser, or a made-up one', async () => {
      const { start } = await throughTwitch(app);
      const state = new URL(start.headers.location).searchParams.get('state')!;
      const foreign = await request(app.getHttpServer())
        .get(`/auth/twitch/callback?state=${state}&error=access_denied&error_description=${evil}`)
        .expect(400);
      expect(foreign.body).toMatchObject({ reason: 'state_mismatch' });
      expect(JSON.stringify(foreign.body)).not.toContain('EVIL');
      const madeUp = await request(app.getHttpServer())
        .get(`/auth/twitch/callback?state=made-up&error=server_error&error_description=${evil}`)
        .set('Cookie', 'twitch_session_state=made-up')
        .expect(400);
      expect(madeUp.body).toMatchObject({ reason: 'invalid_state' });
      expect(JSON.stringify(madeUp.body)).not.toContain('EVIL');
    });

    it("is shown after the state checks pass (the user's own cancelled login)", async () => {
      const { start, stateCookie } = await throughTwitch(app);
      const state = new URL(start.headers.location).searchParams.get('state')!;
      const res = await request(app.getHttpServer())
        .get(`/auth/twitch/callback?state=${state}&error=access_denied&error_description=The+user+denied+you+access`)
        .set('Cookie', stateCookie)
        .expect(403);
      expect(res.body).toMatchObject({ reason: 'access_denied', message: expect.stringContaining('The user denied you access') });
    });
  });

  describe('logout', () => {
    let app: INestApplication;
    let store: TwitchTokenStore;
    let origin: string;
    beforeAll(async () => {
      ({ app } = await createApp());
      store = app.get(TwitchTokenStore);
      await app.listen(0, '127.0.0.1');
      origin = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    });

    it.each<[string, Record<string, string>]>([
      ['Origin of another site', { Origin: 'https://evil.example' }],
      ['Origin: null', { Origin: 'null' }],
      ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' }],
      ['Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site': 'same-site' }],
    ])('refuses a cross-site POST (%s) with 403 and ends nothing', async (_, headers) => {
      const { session } = await logIn(app);
      fake.clearRequests();
      const res = await request(origin).post('/auth/twitch/logout').set('Cookie', session).set(headers).type('form').send('');
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ statusCode: 403, reason: 'cross_site_request' });
      expect(setCookies(res).twitch_session).toBeUndefined();
      expect(fake.requestsTo('POST', '/oauth2/revoke')).toHaveLength(0);
      expect(await store.get(TWITCHDEV)).toBeDefined();
      await request(origin).get('/me').set('Cookie', session).expect(200);
    });

    it.each<[string, (own: string) => Record<string, string>]>([
      ['its own Origin', (own) => ({ Origin: own })],
      ['Sec-Fetch-Site: same-origin', (own) => ({ 'Sec-Fetch-Site': 'same-origin', Origin: own })],
      ['Sec-Fetch-Site: none (typed by the user)', () => ({ 'Sec-Fetch-Site': 'none' })],
      ["redirectUri's origin (behind a proxy)", () => ({ Origin: 'http://127.0.0.1:3000' })],
      ['no Origin and no Sec-Fetch-Site (not a browser)', () => ({})],
    ])('accepts a logout from %s', async (_, headers) => {
      const { session } = await logIn(app);
      const res = await request(origin)
        .post('/auth/twitch/logout')
        .set('Cookie', session)
        .set(headers(origin))
        .type('form')
        .send('');
      expect(res.status).toBe(303);
      expect(setCookies(res).twitch_session.raw).toMatch(/Max-Age=0/);
      await request(origin).get('/me').set('Cookie', session).expect(401);
    });
  });

  describe('a session whose stored tokens cannot be read', () => {
    it('is a 401 login_required, not a server error, and logout still clears it', async () => {
      const { app, keyPrefix } = await createApp();
      const { session } = await logIn(app);
      // Sealed under a key this app does not have (or for another user): unreadable here.
      await redis.set(`${keyPrefix}{user-token:${TWITCHDEV}}`, `enc1:${randomBytes(60).toString('base64')}`);
      const res = await request(app.getHttpServer()).get('/me').set('Cookie', session).expect(401);
      expect(res.body).toMatchObject({ reason: 'login_required' });
      await request(app.getHttpServer()).post('/auth/twitch/logout').set('Cookie', session).expect(303);
      expect(await redis.exists(`${keyPrefix}{user-token:${TWITCHDEV}}`)).toBe(0);
    });
  });

  describe('Secure cookies', () => {
    let app: INestApplication;
    beforeAll(async () => {
      ({ app } = await createApp({ secureCookie: true }));
    });

    it('are named __Host-… (Secure, Path=/, no Domain), and the login works with them', async () => {
      const { stateCookie, callback, start } = await throughTwitch(app, '', '__Host-twitch_session_state');
      const raw = setCookies(start)['__Host-twitch_session_state'].raw;
      expect(raw).toMatch(/; Secure/);
      expect(raw).toMatch(/; Path=\/(;|$)/);
      expect(raw).not.toMatch(/Domain=/i);
      expect(setCookies(start).twitch_session_state).toBeUndefined();
      const res = await request(app.getHttpServer()).get(callback).set('Cookie', stateCookie).expect(302);
      const session = setCookies(res)['__Host-twitch_session'];
      expect(session.raw).toMatch(/; Secure/);
      expect(setCookies(res)['__Host-twitch_session_state'].raw).toMatch(/Max-Age=0/);
      await request(app.getHttpServer()).get('/me').set('Cookie', `__Host-twitch_session=${session.value}`).expect(200);
      // The unprefixed name (which a sibling subdomain could plant) is not read.
      const plain = await request(app.getHttpServer()).get('/me').set('Cookie', `twitch_session=${session.value}`).expect(401);
      expect(plain.body.reason).toBe('no_credentials');
    });

    it('an unprefixed state cookie is not taken as the state cookie', async () => {
      const { start, callback } = await throughTwitch(app, '', '__Host-twitch_session_state');
      const value = setCookies(start)['__Host-twitch_session_state'].value;
      const planted = `twitch_session_state=${encodeURIComponent(value)}`;
      const res = await request(app.getHttpServer()).get(callback).set('Cookie', planted).expect(400);
      expect(res.body).toMatchObject({ reason: 'state_mismatch' });
    });
  });
});
