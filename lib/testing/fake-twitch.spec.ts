import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { FakeTwitch } from './fake-twitch/index.js';
import { WebSocket } from 'ws';

/** Helix GET/POST/... with the usual headers. */
function helix(
  fake: FakeTwitch,
  path: string,
  token: string,
  init: { method?: string; body?: unknown; clientId?: string | null } = {},
): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (init.clientId !== null) headers['Client-Id'] = init.clientId ?? fake.clientId;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(`${fake.helixUrl}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

/** POST a urlencoded form to the fake's OAuth2 endpoints. */
function form(fake: FakeTwitch, path: string, fields: Record<string, string>): Promise<Response> {
  return fetch(`${fake.authUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

function rl(res: Response): { limit: number; remaining: number; reset: number } {
  return {
    limit: Number(res.headers.get('ratelimit-limit')),
    remaining: Number(res.headers.get('ratelimit-remaining')),
    reset: Number(res.headers.get('ratelimit-reset')),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FakeTwitch', () => {
  let fake: FakeTwitch;

  beforeAll(async () => {
    fake = await FakeTwitch.start({ seed: { streams: 250 }, deviceInterval: 0.2 });
  });

  afterAll(async () => {
    await fake.close();
  });

  describe('basics and auth', () => {
    it('listens on 127.0.0.1 with a random port and exposes its URLs', () => {
      expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(fake.helixUrl).toBe(`${fake.url}/helix`);
      expect(fake.authUrl).toBe(`${fake.url}/oauth2`);
      expect(fake.clientId).toBe('fake-client-id');
      expect(fake.clientSecret).toBe('fake-client-secret');
      expect(fake.moduleOptions()).toEqual({
        clientId: 'fake-client-id',
        clientSecret: 'fake-client-secret',
        helixUrl: fake.helixUrl,
        authUrl: fake.authUrl,
      });
    });

    it('client credentials → app token → Get Users', async () => {
      const tokenRes = await form(fake, '/token', {
        client_id: fake.clientId,
        client_secret: fake.clientSecret,
        grant_type: 'client_credentials',
      });
      expect(tokenRes.status).toBe(200);
      const token = (await tokenRes.json()) as { access_token: string; expires_in: number; token_type: string };
      expect(token.token_type).toBe('bearer');
      expect(token.expires_in).toBeGreaterThan(4_900_000);

      const res = await helix(fake, '/users?login=twitchdev&id=1000', token.access_token);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { id: string; login: string; display_name: string; email?: string }[] };
      expect(body.data.map((u) => u.login).sort()).toEqual(['streamer1', 'twitchdev']);
      const dev = body.data.find((u) => u.id === '141981764')!;
      expect(dev.display_name).toBe('TwitchDev');
      expect(dev).not.toHaveProperty('email');

      const recorded = fake.requestsTo('POST', '/oauth2/token').at(-1)!;
      expect(recorded.route).toBe('oauth2');
      expect(recorded.body).toMatchObject({ grant_type: 'client_credentials' });
      const get = fake.requestsTo('GET', '/users').at(-1)!;
      expect(get.path).toBe('/helix/users');
      expect(get.query).toEqual({ login: ['twitchdev'], id: ['1000'] });
      expect(get.headers['client-id']).toBe(fake.clientId);
    });

    it('rejects a wrong client id (403) and a wrong secret (400)', async () => {
      const badId = await form(fake, '/token', { client_id: 'nope', client_secret: 'x', grant_type: 'client_credentials' });
      expect(badId.status).toBe(403);
      expect(await badId.json()).toEqual({ status: 403, message: 'invalid client' });
      const badSecret = await form(fake, '/token', {
        client_id: fake.clientId,
        client_secret: 'x',
        grant_type: 'client_credentials',
      });
      expect(badSecret.status).toBe(400);
      expect(await badSecret.json()).toEqual({ status: 400, message: 'invalid client secret' });
    });

    it('missing Client-Id → 401 in Twitch error form, with rate-limit headers', async () => {
      const token = fake.issueAppToken();
      const res = await helix(fake, '/users?login=twitchdev', token, { clientId: null });
      expect(res.status).toBe(401);
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['error', 'message', 'status']);
      expect(body).toMatchObject({ error: 'Unauthorized', status: 401 });
      expect(res.headers.get('ratelimit-limit')).toBe('800');
    });

    it('unknown token, expired token and mismatched client id → 401', async () => {
      const unknown = await helix(fake, '/users?login=twitchdev', 'not-a-token');
      expect(await unknown.json()).toEqual({ error: 'Unauthorized', status: 401, message: 'Invalid OAuth token' });

      const other = fake.issueAppToken({ clientId: 'another-client' });
      const mismatch = await helix(fake, '/users?login=twitchdev', other);
      expect(mismatch.status).toBe(401);
      expect(((await mismatch.json()) as { message: string }).message).toBe('Client ID and OAuth token do not match');

      const token = fake.issueAppToken();
      expect((await helix(fake, '/users?login=twitchdev', token)).status).toBe(200);
      fake.expireToken(token);
      const expired = await helix(fake, '/users?login=twitchdev', token);
      expect(expired.status).toBe(401);
      expect(((await expired.json()) as { message: string }).message).toBe('Invalid OAuth token');
    });

    it("paths Helix does not have → 404; route() adds them, respondWith() replaces an endpoint's answer", async () => {
      const token = fake.issueAppToken();
      const missing = await helix(fake, '/games/nope', token);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ error: 'Not Found', status: 404 });
      fake.route('GET', '/games/nope', () => ({ status: 200, body: { data: [] } }));
      expect((await helix(fake, '/games/nope', token)).status).toBe(200);

      fake.respondWith('GET', '/games/top', 200, { data: [{ id: '509658', name: 'Just Chatting' }], pagination: {} });
      const fixed = await helix(fake, '/games/top', token);
      expect(fixed.status).toBe(200);
      expect(((await fixed.json()) as { data: unknown[] }).data).toHaveLength(1);
      expect(fixed.headers.get('ratelimit-remaining')).not.toBeNull();

      fake.route('POST', '/chat/announcements', (req) =>
        req.token?.kind === 'user'
          ? { status: 204 }
          : { status: 401, body: { error: 'Unauthorized', status: 401, message: 'Missing User OAUTH Token' } },
      );
      expect((await helix(fake, '/chat/announcements', token, { method: 'POST', body: { message: 'hi' } })).status).toBe(401);
      const user = fake.issueUserToken({ userId: '141981764', scopes: ['moderator:manage:announcements'] });
      expect(
        (await helix(fake, '/chat/announcements', user.accessToken, { method: 'POST', body: { message: 'hi' } })).status,
      ).toBe(204);
    });

    it('Get Channel iCalendar needs no headers', async () => {
      const res = await fetch(`${fake.helixUrl}/schedule/icalendar?broadcaster_id=141981764`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/calendar/);
      expect(await res.text()).toContain('BEGIN:VCALENDAR');
    });
  });

  describe('rate limiting', () => {
    let small: FakeTwitch;
    beforeAll(async () => {
      // 5 points, one point back every 500 ms: the quick requests below fit well inside one refill step.
      small = await FakeTwitch.start({ rateLimit: { capacity: 5, refillMs: 2500 } });
    });
    afterAll(async () => {
      await small.close();
    });

    it('counts down, answers 429 on the 6th quick request, then refills', async () => {
      const token = small.issueAppToken();
      const remaining: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await helix(small, '/users?login=twitchdev', token);
        expect(res.status).toBe(200);
        remaining.push(rl(res).remaining);
        expect(rl(res).limit).toBe(5);
        expect(rl(res).reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
      }
      expect(remaining).toEqual([4, 3, 2, 1, 0]);

      const limited = await helix(small, '/users?login=twitchdev', token);
      expect(limited.status).toBe(429);
      expect(await limited.json()).toEqual({ error: 'Too Many Requests', status: 429, message: 'Too Many Requests' });
      expect(rl(limited).remaining).toBe(0);
      // Empty bucket: full again ~2.5 s from now.
      const resetIn = rl(limited).reset * 1000 - Date.now();
      expect(resetIn).toBeGreaterThan(0);
      expect(resetIn).toBeLessThanOrEqual(3600);

      await sleep(1100);
      const after = await helix(small, '/users?login=twitchdev', token);
      expect(after.status).toBe(200);
      expect(rl(after).remaining).toBeGreaterThanOrEqual(1);
      expect(rl(after).remaining).toBeLessThan(5);
    });

    it('user buckets are separate from the app bucket and from each other', async () => {
      small.setRateLimit({ capacity: 3, refillMs: 60_000 });
      const app = small.issueAppToken();
      const alice = small.issueUserToken({ userId: '141981764' });
      const alice2 = small.issueUserToken({ userId: '141981764' });
      const bob = small.issueUserToken({ userId: '527115020' });
      for (let i = 0; i < 3; i++) expect((await helix(small, '/users', alice.accessToken)).status).toBe(200);
      // Same user, other token: same bucket.
      expect((await helix(small, '/users', alice2.accessToken)).status).toBe(429);
      // Other user and app: own buckets.
      const bobRes = await helix(small, '/users', bob.accessToken);
      expect(bobRes.status).toBe(200);
      expect(rl(bobRes).remaining).toBe(2);
      const appRes = await helix(small, '/users?id=141981764', app);
      expect(appRes.status).toBe(200);
      expect(rl(appRes).remaining).toBe(2);
    });
  });

  describe('streams', () => {
    it('cursor pagination over 250 seeded streams visits every stream once, by viewers', async () => {
      const token = fake.issueAppToken();
      const seen: string[] = [];
      const viewers: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const res = await helix(fake, `/streams?first=100${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`, token);
        expect(res.status).toBe(200);
        const text = await res.text();
        if (pages === 0) expect(text.length).toBeGreaterThan(40_000);
        const body = JSON.parse(text) as { data: { id: string; viewer_count: number }[]; pagination: { cursor?: string } };
        for (const s of body.data) {
          seen.push(s.id);
          viewers.push(s.viewer_count);
        }
        cursor = body.pagination.cursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toHaveLength(250);
      expect(new Set(seen).size).toBe(250);
      expect([...viewers].sort((a, b) => b - a)).toEqual(viewers);
    });

    it('before goes back a page; filters work; first outside 1..100 → 400', async () => {
      const token = fake.issueAppToken();
      const p1 = (await (await helix(fake, '/streams?first=10', token)).json()) as {
        data: { id: string }[];
        pagination: { cursor: string };
      };
      const p2 = (await (await helix(fake, `/streams?first=10&after=${p1.pagination.cursor}`, token)).json()) as {
        data: { id: string }[];
        pagination: { cursor: string };
      };
      const back = (await (await helix(fake, `/streams?first=10&before=${p2.pagination.cursor}`, token)).json()) as {
        data: { id: string }[];
        pagination: { cursor?: string };
      };
      expect(back.data.map((s) => s.id)).toEqual(p1.data.map((s) => s.id));
      expect(back.pagination).toEqual({});

      const byLogin = (await (await helix(fake, '/streams?user_login=streamer3&user_login=Streamer7', token)).json()) as {
        data: { user_login: string }[];
        pagination: object;
      };
      expect(byLogin.data.map((s) => s.user_login)).toEqual(['streamer3', 'streamer7']);
      expect(byLogin.pagination).toEqual({});

      const byGame = (await (await helix(fake, '/streams?game_id=32982&first=100', token)).json()) as {
        data: { game_id: string }[];
      };
      expect(byGame.data.length).toBeGreaterThan(0);
      expect(byGame.data.every((s) => s.game_id === '32982')).toBe(true);

      for (const first of ['101', '0', 'abc']) {
        const bad = await helix(fake, `/streams?first=${first}`, token);
        expect(bad.status).toBe(400);
        expect(await bad.json()).toMatchObject({ error: 'Bad Request', status: 400 });
      }
    });
  });

  describe('channels, commercials, eventsub', () => {
    it('Modify Channel Information checks scope and owner, then updates state', async () => {
      const noScope = fake.issueUserToken({ userId: '141981764' });
      const res1 = await helix(fake, '/channels?broadcaster_id=141981764', noScope.accessToken, {
        method: 'PATCH',
        body: { title: 'x' },
      });
      expect(res1.status).toBe(401);
      expect(await res1.json()).toEqual({
        error: 'Unauthorized',
        status: 401,
        message: 'Missing scope: channel:manage:broadcast',
      });

      const owner = fake.issueUserToken({ userId: '141981764', scopes: ['channel:manage:broadcast'] });
      const other = await helix(fake, '/channels?broadcaster_id=527115020', owner.accessToken, {
        method: 'PATCH',
        body: { title: 'x' },
      });
      expect(other.status).toBe(401);

      const ok = await helix(fake, '/channels?broadcaster_id=141981764', owner.accessToken, {
        method: 'PATCH',
        body: { title: 'New title', game_id: '509658', tags: ['DevsInTheKnow', 'Coding'] },
      });
      expect(ok.status).toBe(204);
      const app = fake.issueAppToken();
      const got = (await (await helix(fake, '/channels?broadcaster_id=141981764', app)).json()) as {
        data: Record<string, unknown>[];
      };
      expect(got.data[0]).toMatchObject({
        title: 'New title',
        game_id: '509658',
        game_name: 'Just Chatting',
        tags: ['DevsInTheKnow', 'Coding'],
      });
      expect(fake.state.channels.get('141981764')!.title).toBe('New title');

      expect((await helix(fake, '/channels', app)).status).toBe(400);
    });

    it('Start Commercial: scope, length ≤ 180, cooldown is an endpoint-specific 429', async () => {
      const token = fake.issueUserToken({ userId: '1001', scopes: ['channel:edit:commercial'] });
      const tooLong = await helix(fake, '/channels/commercial', token.accessToken, {
        method: 'POST',
        body: { broadcaster_id: '1001', length: 181 },
      });
      expect(tooLong.status).toBe(400);
      const ok = await helix(fake, '/channels/commercial', token.accessToken, {
        method: 'POST',
        body: { broadcaster_id: '1001', length: 60 },
      });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ data: [{ length: 60, message: '', retry_after: 480 }] });
      const again = await helix(fake, '/channels/commercial', token.accessToken, {
        method: 'POST',
        body: { broadcaster_id: '1001', length: 60 },
      });
      expect(again.status).toBe(429);
      expect(rl(again).remaining).toBeGreaterThan(0);
    });

    it('EventSub subscriptions: create 202, duplicate 409, list, delete', async () => {
      const app = fake.issueAppToken();
      const body = {
        type: 'stream.online',
        version: '1',
        condition: { broadcaster_user_id: '1000' },
        transport: { method: 'webhook', callback: 'https://example.com/webhook', secret: 's3cre7s3cre7' },
      };
      const created = await helix(fake, '/eventsub/subscriptions', app, { method: 'POST', body });
      expect(created.status).toBe(202);
      const createdBody = (await created.json()) as {
        data: { id: string; status: string; transport: Record<string, unknown> }[];
        total: number;
        total_cost: number;
        max_total_cost: number;
      };
      expect(createdBody.data[0].status).toBe('webhook_callback_verification_pending');
      expect(createdBody.data[0].transport).toEqual({ method: 'webhook', callback: 'https://example.com/webhook' });
      expect(createdBody).toMatchObject({ total: 1, total_cost: 1, max_total_cost: 10000 });

      expect((await helix(fake, '/eventsub/subscriptions', app, { method: 'POST', body })).status).toBe(409);

      const list = (await (await helix(fake, '/eventsub/subscriptions?type=stream.online', app)).json()) as {
        data: { id: string }[];
        total: number;
        pagination: object;
      };
      expect(list.data.map((s) => s.id)).toEqual([createdBody.data[0].id]);
      expect(list.pagination).toEqual({});

      const id = createdBody.data[0].id;
      expect((await helix(fake, `/eventsub/subscriptions?id=${id}`, app, { method: 'DELETE' })).status).toBe(204);
      expect((await helix(fake, `/eventsub/subscriptions?id=${id}`, app, { method: 'DELETE' })).status).toBe(404);
    });
  });

  describe('state helpers', () => {
    it('addUser / addStream / removeStream show up in Helix', async () => {
      const app = fake.issueAppToken();
      const user = fake.addUser({ id: '777', login: 'NewStreamer', displayName: 'NewStreamer' });
      expect(user.login).toBe('newstreamer');
      expect(fake.state.channels.get('777')).toMatchObject({ broadcasterLogin: 'newstreamer', broadcasterName: 'NewStreamer' });
      const stream = fake.addStream({ userId: '777', viewerCount: 10_000_000, title: 'Big stream', gameId: '27471' });
      expect(stream).toMatchObject({ userLogin: 'newstreamer', gameName: 'Minecraft', type: 'live' });
      const top = (await (await helix(fake, '/streams?first=1', app)).json()) as { data: Record<string, unknown>[] };
      expect(top.data[0]).toMatchObject({
        user_id: '777',
        user_login: 'newstreamer',
        title: 'Big stream',
        viewer_count: 10_000_000,
        game_name: 'Minecraft',
      });
      expect(fake.removeStream('777')).toBe(true);
      const after = (await (await helix(fake, '/streams?user_id=777', app)).json()) as { data: unknown[] };
      expect(after.data).toEqual([]);
    });

    it('EventSub over WebSocket needs a user token; webhook needs an app token', async () => {
      const user = fake.issueUserToken({ userId: '527115020' });
      // A live session of the fake's EventSub WebSocket server.
      const socket = new WebSocket(fake.eventSubWsUrl);
      const welcome = await new Promise<{ payload: { session: { id: string } } }>((r) =>
        socket.once('message', (d) => r(JSON.parse(d.toString()))),
      );
      const sessionId = welcome.payload.session.id;
      const ws = {
        type: 'channel.update',
        version: '2',
        condition: { broadcaster_user_id: '527115020' },
        transport: { method: 'websocket', session_id: sessionId },
      };
      const created = await helix(fake, '/eventsub/subscriptions', user.accessToken, { method: 'POST', body: ws });
      expect(created.status).toBe(202);
      const body = (await created.json()) as {
        data: { status: string; cost: number; transport: Record<string, unknown> }[];
        max_total_cost: number;
      };
      expect(body.data[0]).toMatchObject({
        status: 'enabled',
        cost: 0,
        transport: { method: 'websocket', session_id: sessionId },
      });
      expect(body.max_total_cost).toBe(10);
      const wrong = await helix(fake, '/eventsub/subscriptions', fake.issueAppToken(), { method: 'POST', body: ws });
      expect(wrong.status).toBe(400);
      expect(await wrong.json()).toMatchObject({ message: 'invalid transport and auth combination' });
      socket.terminate();
    });
  });

  describe('fault injection', () => {
    it('503 once, then OK; faulted responses cost no point', async () => {
      // A bucket that refills one point a day, so no refill can land between the requests.
      const slow = await FakeTwitch.start({ rateLimit: { capacity: 800, refillMs: 800 * 86_400_000 } });
      try {
        const token = slow.issueAppToken();
        const before = rl(await helix(slow, '/users?login=twitchdev', token)).remaining;
        expect(before).toBe(799);
        slow.inject({ path: '/users', status: 503, message: 'try again' });
        const failed = await helix(slow, '/users?login=twitchdev', token);
        expect(failed.status).toBe(503);
        expect(await failed.json()).toEqual({ error: 'Service Unavailable', status: 503, message: 'try again' });
        expect(rl(failed).remaining).toBe(before);
        const ok = await helix(slow, '/users?login=twitchdev', token);
        expect(ok.status).toBe(200);
        expect(rl(ok).remaining).toBe(before - 1);
        expect(slow.requestsTo('GET', '/users').map((r) => r.status)).toEqual([200, 503, 200]);
      } finally {
        await slow.close();
      }
    });

    it('429 with a Ratelimit-Remaining override', async () => {
      const token = fake.issueAppToken();
      fake.inject({ method: 'GET', path: /^\/users$/, status: 429, rateLimitRemaining: 700, headers: { 'X-Fake': 'yes' } });
      const res = await helix(fake, '/users?login=twitchdev', token);
      expect(res.status).toBe(429);
      expect(res.headers.get('ratelimit-remaining')).toBe('700');
      expect(res.headers.get('x-fake')).toBe('yes');
    });

    it('every: 3 delays every third request', async () => {
      const token = fake.issueAppToken();
      fake.inject({ path: '/streams', every: 3, delayMs: 400 });
      const times: number[] = [];
      for (let i = 0; i < 6; i++) {
        const started = Date.now();
        expect((await helix(fake, '/streams?first=1', token)).status).toBe(200);
        times.push(Date.now() - started);
      }
      fake.clearFaults();
      expect(times[2]).toBeGreaterThanOrEqual(390);
      expect(times[5]).toBeGreaterThanOrEqual(390);
      for (const i of [0, 1, 3, 4]) expect(times[i]).toBeLessThan(Math.min(times[2], times[5]));
    });

    it('drop destroys the socket: fetch rejects', async () => {
      const token = fake.issueAppToken();
      fake.inject({ path: '/users', drop: true });
      await expect(helix(fake, '/users?login=twitchdev', token)).rejects.toThrow();
      expect(fake.requestsTo('GET', '/users').at(-1)!.status).toBeUndefined();
      expect((await helix(fake, '/users?login=twitchdev', token)).status).toBe(200);
    });

    it('faults apply to OAuth paths too', async () => {
      fake.inject({ method: 'POST', path: '/oauth2/token', status: 500 });
      const res = await form(fake, '/token', {
        client_id: fake.clientId,
        client_secret: fake.clientSecret,
        grant_type: 'client_credentials',
      });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: 'Internal Server Error', status: 500, message: 'Internal Server Error' });
    });
  });

  describe('OAuth2', () => {
    it('refresh token rotation: new pair, old refresh token rejected', async () => {
      const issued = fake.issueUserToken({ userId: '141981764', scopes: ['user:read:email'] });
      const res = await form(fake, '/token', {
        client_id: fake.clientId,
        client_secret: fake.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: issued.refreshToken,
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { access_token: string; refresh_token: string; scope: string[]; token_type: string };
      expect(body.access_token).not.toBe(issued.accessToken);
      expect(body.refresh_token).not.toBe(issued.refreshToken);
      expect(body.scope).toEqual(['user:read:email']);
      expect(body.token_type).toBe('bearer');

      const me = (await (await helix(fake, '/users', body.access_token)).json()) as { data: { id: string; email?: string }[] };
      expect(me.data).toHaveLength(1);
      expect(me.data[0].id).toBe('141981764');
      expect(me.data[0].email).toBe('not-real@email.com');

      const reused = await form(fake, '/token', {
        client_id: fake.clientId,
        client_secret: fake.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: issued.refreshToken,
      });
      expect(reused.status).toBe(400);
      expect(await reused.json()).toEqual({ error: 'Bad Request', status: 400, message: 'Invalid refresh token' });
    });

    it('device code flow: pending → slow_down → approved', async () => {
      // A 1 s interval: the quick second poll lands inside it even on a loaded machine.
      const slowPoll = await FakeTwitch.start({ deviceInterval: 1 });
      try {
        const start = await form(slowPoll, '/device', { client_id: slowPoll.clientId, scopes: 'user:read:email chat:read' });
        expect(start.status).toBe(200);
        const dev = (await start.json()) as {
          device_code: string;
          expires_in: number;
          interval: number;
          user_code: string;
          verification_uri: string;
        };
        expect(dev).toMatchObject({ expires_in: 1800, interval: 1 });
        expect(dev.user_code).toMatch(/^[A-Z]{8}$/);
        expect(dev.verification_uri).toContain(dev.user_code);

        const poll = () =>
          form(slowPoll, '/token', {
            client_id: slowPoll.clientId,
            device_code: dev.device_code,
            grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          });
        const pending = await poll();
        expect(pending.status).toBe(400);
        expect(await pending.json()).toEqual({ status: 400, message: 'authorization_pending' });
        const tooFast = await poll();
        expect(await tooFast.json()).toEqual({ status: 400, message: 'slow_down' });

        slowPoll.approveDevice(dev.user_code, { userId: '527115020' });
        await sleep(1_050);
        const done = await poll();
        expect(done.status).toBe(200);
        const token = (await done.json()) as { access_token: string; refresh_token: string; scope: string[]; expires_in: number };
        expect(token.scope).toEqual(['user:read:email', 'chat:read']);
        expect(token.refresh_token).toBeTruthy();

        const validate = await fetch(`${slowPoll.authUrl}/validate`, {
          headers: { Authorization: `OAuth ${token.access_token}` },
        });
        expect(await validate.json()).toMatchObject({
          client_id: slowPoll.clientId,
          login: 'twitchgaming',
          user_id: '527115020',
        });

        await sleep(250);
        expect(await (await poll()).json()).toEqual({ status: 400, message: 'invalid device code' });
      } finally {
        await slowPoll.close();
      }
    });

    it('device code flow: denied and expired', async () => {
      const short = await FakeTwitch.start({ deviceInterval: 0.01, deviceExpiresIn: 0.3 });
      try {
        const start = async () =>
          (await (await form(short, '/device', { client_id: short.clientId, scopes: '' })).json()) as {
            device_code: string;
            user_code: string;
          };
        const poll = async (code: string) =>
          (await (
            await form(short, '/token', {
              client_id: short.clientId,
              device_code: code,
              grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
            })
          ).json()) as {
            message: string;
          };
        const denied = await start();
        short.denyDevice(denied.user_code);
        expect((await poll(denied.device_code)).message).toBe('access_denied');
        const expiring = await start();
        await sleep(350);
        expect((await poll(expiring.device_code)).message).toBe('expired_token');
      } finally {
        await short.close();
      }
    });

    it('validate with the OAuth prefix (user and app tokens), 401 otherwise', async () => {
      const user = fake.issueUserToken({ userId: '141981764', scopes: ['chat:read'] });
      const res = await fetch(`${fake.authUrl}/validate`, { headers: { Authorization: `OAuth ${user.accessToken}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ client_id: fake.clientId, login: 'twitchdev', user_id: '141981764', scopes: ['chat:read'] });
      expect(body.expires_in).toBeGreaterThan(14_000);

      const app = fake.issueAppToken();
      const appBody = (await (
        await fetch(`${fake.authUrl}/validate`, { headers: { Authorization: `Bearer ${app}` } })
      ).json()) as Record<string, unknown>;
      expect(appBody).toMatchObject({ client_id: fake.clientId, scopes: [] });
      expect(appBody).not.toHaveProperty('user_id');
      expect(appBody).not.toHaveProperty('login');

      fake.expireToken(user.accessToken);
      const expired = await fetch(`${fake.authUrl}/validate`, { headers: { Authorization: `OAuth ${user.accessToken}` } });
      expect(expired.status).toBe(401);
      expect(await expired.json()).toEqual({ status: 401, message: 'invalid access token' });
    });

    it('revoke: 200 empty, then the token is dead; 400 bad token; 404 bad client', async () => {
      const app = fake.issueAppToken();
      const res = await form(fake, '/revoke', { client_id: fake.clientId, token: app });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('');
      expect((await helix(fake, '/users?login=twitchdev', app)).status).toBe(401);
      const again = await form(fake, '/revoke', { client_id: fake.clientId, token: app });
      expect(again.status).toBe(400);
      expect(await again.json()).toEqual({ status: 400, message: 'Invalid token' });
      const badClient = await form(fake, '/revoke', { client_id: 'nope', token: app });
      expect(badClient.status).toBe(404);
      expect(await badClient.json()).toEqual({ status: 404, message: 'client does not exist' });
    });

    it('authorize page: HTML with Authorize/Cancel; POST redirects with code + state; code redeems once', async () => {
      const redirectUri = 'http://localhost:3000/auth/callback';
      const query = new URLSearchParams({
        client_id: fake.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: 'channel:manage:broadcast user:read:email',
        state: 'st<ate>',
      });
      const page = await fetch(`${fake.authUrl}/authorize?${query}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html).toContain('<form method="post" action="/oauth2/authorize">');
      expect(html).toMatch(/<button[^>]*value="authorize"[^>]*>Authorize<\/button>/);
      expect(html).toMatch(/<button[^>]*value="cancel"[^>]*>Cancel<\/button>/);
      expect(html).toContain('channel:manage:broadcast');
      expect(html).toContain('st&lt;ate&gt;');
      expect(html).not.toContain('st<ate>');

      const post = await form(fake, '/authorize', {
        client_id: fake.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: 'channel:manage:broadcast user:read:email',
        state: 'st<ate>',
        login: 'twitchdev',
        decision: 'authorize',
      });
      expect(post.status).toBe(302);
      const location = new URL(post.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
      expect(location.searchParams.get('state')).toBe('st<ate>');
      expect(location.searchParams.get('scope')).toBe('channel:manage:broadcast user:read:email');
      const code = location.searchParams.get('code')!;
      expect(code).toBeTruthy();

      const exchange = (c: string, uri = redirectUri) =>
        form(fake, '/token', {
          client_id: fake.clientId,
          client_secret: fake.clientSecret,
          grant_type: 'authorization_code',
          code: c,
          redirect_uri: uri,
        });
      expect((await exchange(code, 'http://localhost:3000/other')).status).toBe(400);
      const tokenRes = await exchange(code);
      expect(tokenRes.status).toBe(200);
      const token = (await tokenRes.json()) as Record<string, unknown>;
      expect(token).toMatchObject({ scope: ['channel:manage:broadcast', 'user:read:email'], token_type: 'bearer' });
      expect(typeof token.refresh_token).toBe('string');
      const reused = await exchange(code);
      expect(reused.status).toBe(400);
      expect(await reused.json()).toEqual({ status: 400, message: 'Invalid authorization code' });
    });

    it('authorize: Cancel and fake_auto=deny redirect with error=access_denied; implicit flow uses the fragment', async () => {
      const base = {
        client_id: fake.clientId,
        redirect_uri: 'http://localhost:3000/cb',
        response_type: 'code',
        scope: 'chat:read',
        state: 'xyz',
      };
      const cancel = await form(fake, '/authorize', { ...base, decision: 'cancel' });
      expect(cancel.status).toBe(302);
      expect(cancel.headers.get('location')).toBe(
        'http://localhost:3000/cb?error=access_denied&error_description=The+user+denied+you+access&state=xyz',
      );

      const deny = await fetch(`${fake.authUrl}/authorize?${new URLSearchParams({ ...base, fake_auto: 'deny' })}`, {
        redirect: 'manual',
      });
      expect(deny.status).toBe(302);
      const denied = new URL(deny.headers.get('location')!);
      expect(denied.searchParams.get('error')).toBe('access_denied');
      expect(denied.searchParams.get('state')).toBe('xyz');

      const implicit = await fetch(
        `${fake.authUrl}/authorize?${new URLSearchParams({ ...base, response_type: 'token', fake_auto: 'approve' })}`,
        { redirect: 'manual' },
      );
      expect(implicit.status).toBe(302);
      const fragment = new URLSearchParams(new URL(implicit.headers.get('location')!).hash.slice(1));
      expect(fragment.get('token_type')).toBe('bearer');
      expect(fragment.get('state')).toBe('xyz');
      const validated = await fetch(`${fake.authUrl}/validate`, {
        headers: { Authorization: `OAuth ${fragment.get('access_token')}` },
      });
      expect(await validated.json()).toMatchObject({ login: 'twitchdev', scopes: ['chat:read'] });
    });
  });

  describe('activation page', () => {
    it('GET /activate shows a form; POST approves the device flow', async () => {
      const dev = (await (await form(fake, '/device', { client_id: fake.clientId, scopes: 'chat:read' })).json()) as {
        device_code: string;
        user_code: string;
        verification_uri: string;
      };
      const page = await fetch(dev.verification_uri);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(`value="${dev.user_code}"`);
      const approve = await fetch(`${fake.url}/activate`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ user_code: dev.user_code, login: 'streamer2', decision: 'approve' }).toString(),
      });
      expect(approve.status).toBe(200);
      await sleep(250);
      const done = await form(fake, '/token', {
        client_id: fake.clientId,
        device_code: dev.device_code,
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      });
      expect(done.status).toBe(200);
      const token = (await done.json()) as { access_token: string };
      expect(fake.tokenInfo(token.access_token)).toMatchObject({
        kind: 'user',
        userId: '1001',
        login: 'streamer2',
        scopes: ['chat:read'],
      });
    });
  });

  describe('path aliases and answer hook', () => {
    it('serves aliased prefixes as Helix and OAuth, and reports every answer with its status', async () => {
      const answered: { route: string; path: string; status?: number }[] = [];
      const aliased = await FakeTwitch.start({
        pathAliases: { '/mock/': '/helix/', '/auth/': '/oauth2/' },
        recordRequests: false,
        onAnswer: (r) => answered.push({ route: r.route, path: r.path, status: r.status }),
      });
      try {
        const token = await fetch(`${aliased.url}/auth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            client_id: aliased.clientId,
            client_secret: aliased.clientSecret,
            grant_type: 'client_credentials',
          }),
        });
        expect(token.status).toBe(200);
        const { access_token } = (await token.json()) as { access_token: string };
        const headers = { 'Client-Id': aliased.clientId, Authorization: `Bearer ${access_token}` };
        const users = await fetch(`${aliased.url}/mock/users?login=twitchdev`, { headers });
        expect(((await users.json()) as { data: { login: string }[] }).data[0].login).toBe('twitchdev');
        expect((await fetch(`${aliased.url}/mock/nope`, { headers })).status).toBe(404);
        expect(answered).toEqual([
          { route: 'oauth2', path: '/oauth2/token', status: 200 },
          { route: 'helix', path: '/helix/users', status: 200 },
          { route: 'helix', path: '/helix/nope', status: 404 },
        ]);
        expect(aliased.requests).toHaveLength(0);
      } finally {
        await aliased.close();
      }
    });
  });

  describe('close()', () => {
    it('closes keep-alive sockets and pending delays; the port refuses afterwards', async () => {
      const temp = await FakeTwitch.start();
      const token = temp.issueAppToken();
      // Open a keep-alive connection.
      expect((await helix(temp, '/users?login=twitchdev', token)).status).toBe(200);
      // And leave a delayed request pending.
      temp.inject({ path: '/users', delayMs: 10_000 });
      const pending = helix(temp, '/users?login=twitchdev', token).then(
        (res) => res.status,
        (error: unknown) => error,
      );
      await sleep(50);
      const started = Date.now();
      await temp.close();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await pending).toBeInstanceOf(Error);
      await expect(fetch(`${temp.helixUrl}/users`)).rejects.toThrow();
      // Closing twice is fine.
      await temp.close();
    });
  });
});
