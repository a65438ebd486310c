import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchRateLimitException } from '../../lib/exceptions/twitch.exception.js';
import { createTwitchApp, FakeTwitch, flushPrefix, REDIS_URL, uniquePrefix } from '../support/app.js';

/**
 * A proxy in front of the fake Twitch that drops every `Ratelimit-*` header (as some proxies, mocks
 * and edge error pages do). `drop` destroys the next N connections without an answer.
 */
interface StripProxy {
  url: string;
  seen: () => number;
  dropNext(n: number): void;
  close(): Promise<void>;
}

async function stripProxy(target: string): Promise<StripProxy> {
  const to = new URL(target);
  let seen = 0;
  let drop = 0;
  const server: Server = createServer((req, res) => {
    seen++;
    if (drop > 0) {
      drop--;
      req.socket.destroy();
      return;
    }
    const upstream = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } },
      (answer) => {
        const headers = { ...answer.headers };
        for (const name of Object.keys(headers)) if (name.startsWith('ratelimit-')) delete headers[name];
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen: () => seen,
    dropNext: (n) => (drop = n),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Settles `p`, or resolves to `'still waiting'` after `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'still waiting'> {
  let timer: NodeJS.Timeout;
  const late = new Promise<'still waiting'>((resolve) => (timer = setTimeout(() => resolve('still waiting'), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe('rate limiter against hostile or unusual answers', () => {
  let fake: FakeTwitch;
  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterAll(() => fake.close());
  afterEach(() => {
    fake.clearRequests();
    fake.clearFaults();
  });

  const helix = () => fake.requests.filter((r) => r.route === 'helix');
  const statuses = () => helix().map((r) => r.status);
  const users = (t: Awaited<ReturnType<typeof createTwitchApp>>) => t.api.users.getUsers({ login: ['twitchdev'] });

  describe('a bucket whose answers carry no Ratelimit-* headers', () => {
    it('is not held back by a probe that never learns the bucket (memory store)', async () => {
      fake.setRateLimit({ capacity: 100, refillMs: 1_000 });
      const proxy = await stripProxy(fake.helixUrl);
      // A probe lock lasts `timeout`: far longer than the polls below.
      const t = await createTwitchApp(fake, { helixUrl: `${proxy.url}/helix`, timeout: 15_000 });
      await t.auth.getAppToken();
      await users(t);
      const more = Promise.all(Array.from({ length: 4 }, () => users(t)));
      await expect.poll(() => proxy.seen(), { timeout: 3_000 }).toBe(5);
      await more;
      await users(t); // and one after the others, alone
      expect(proxy.seen()).toBe(6);
      await t.close();
      await proxy.close();
    });

    it('is not held back on Redis either, and its answers keep the bucket unpaced', async () => {
      fake.setRateLimit({ capacity: 10, refillMs: 60_000 });
      const proxy = await stripProxy(fake.helixUrl);
      const keyPrefix = uniquePrefix();
      const redis = { url: REDIS_URL() };
      const t = await createTwitchApp(fake, { helixUrl: `${proxy.url}/helix`, timeout: 15_000, keyPrefix, redis });
      await t.auth.getAppToken();
      // Sequential calls, then a burst: none waits for a probe that can never learn the bucket.
      for (let i = 0; i < 3; i++) expect(await within(users(t), 3_000)).not.toBe('still waiting');
      const burst = Promise.allSettled(Array.from({ length: 3 }, () => users(t)));
      await expect.poll(() => proxy.seen(), { timeout: 3_000 }).toBe(6);
      await burst;
      await t.close();
      await proxy.close();
      await flushPrefix(keyPrefix);
    });

    it('ends the probe when the probe got no answer at all', async () => {
      fake.setRateLimit({ capacity: 100, refillMs: 1_000 });
      const proxy = await stripProxy(fake.helixUrl);
      const t = await createTwitchApp(fake, { helixUrl: `${proxy.url}/helix`, timeout: 15_000, retry: { maxRetries: 0 } });
      await t.auth.getAppToken();
      proxy.dropNext(1);
      const first = users(t).catch((e) => e);
      await expect.poll(() => proxy.seen(), { timeout: 3_000 }).toBe(1);
      const second = users(t);
      await expect.poll(() => proxy.seen(), { timeout: 3_000 }).toBe(2);
      expect((await first).getStatus()).toBe(503);
      expect((await second).data[0].login).toBe('twitchdev');
      await t.close();
      await proxy.close();
    });

    it('learns the bucket from the next answer that has headers (iCalendar first)', async () => {
      fake.setRateLimit({ capacity: 10, refillMs: 60_000 });
      const t = await createTwitchApp(fake, { timeout: 15_000, rateLimit: { reserve: 0, maxWaitMs: 1_000 } });
      await t.auth.getAppToken();
      // Get Channel iCalendar needs no token and its answer carries no Ratelimit-* headers.
      const ical = await within(t.api.schedule.getChannelICalendar({ broadcasterId: '141981764' }), 3_000);
      expect(typeof ical).toBe('string');
      expect(await within(users(t), 3_000)).not.toBe('still waiting');
      // From here the bucket is known (10 points, 9 left): a burst beyond it is held back, not sent into 429s.
      const burst = await Promise.all(Array.from({ length: 12 }, () => users(t).catch((e) => e)));
      expect(burst.filter((r) => r instanceof TwitchRateLimitException)).toHaveLength(3);
      expect(statuses().filter((s) => s === 429)).toHaveLength(0);
      expect(helix().filter((r) => r.path.endsWith('/users'))).toHaveLength(10);
      await t.close();
    });
  });

  describe('bad Ratelimit-* headers', () => {
    it('recovers at once from one Ratelimit-Remaining: -100000 (memory store)', async () => {
      fake.setRateLimit({ capacity: 10, refillMs: 1_000 });
      const t = await createTwitchApp(fake);
      await t.auth.getAppToken();
      await users(t);
      fake.inject({ method: 'GET', path: '/users', headers: { 'Ratelimit-Remaining': '-100000' } });
      await users(t);
      // Empty now, refilling at Twitch's pace: the next calls wait a little, and none is refused.
      for (let i = 0; i < 4; i++) await users(t);
      expect(statuses()).toEqual([200, 200, 200, 200, 200, 200]);
      await t.close();
    });

    it('recovers at once from one Ratelimit-Remaining: -100000 (Redis store)', async () => {
      fake.setRateLimit({ capacity: 10, refillMs: 1_000 });
      const keyPrefix = uniquePrefix();
      const t = await createTwitchApp(fake, { keyPrefix, redis: { url: REDIS_URL() } });
      await t.auth.getAppToken();
      await users(t);
      fake.inject({ method: 'GET', path: '/users', headers: { 'Ratelimit-Remaining': '-100000' } });
      await users(t);
      for (let i = 0; i < 4; i++) await users(t);
      expect(statuses()).toEqual([200, 200, 200, 200, 200, 200]);
      await t.close();
      await flushPrefix(keyPrefix);
    });

    for (const store of ['memory', 'redis'] as const) {
      it(`takes Ratelimit-Limit: 0 as a bucket of one point until Twitch says more (${store} store)`, async () => {
        fake.setRateLimit({ capacity: 10, refillMs: 1_000 });
        const keyPrefix = uniquePrefix();
        const t = await createTwitchApp(fake, { keyPrefix, ...(store === 'redis' ? { redis: { url: REDIS_URL() } } : {}) });
        await t.auth.getAppToken();
        await users(t);
        fake.inject({ method: 'GET', path: '/users', headers: { 'Ratelimit-Limit': '0', 'Ratelimit-Remaining': '0' } });
        await users(t);
        for (let i = 0; i < 3; i++) await users(t);
        expect(statuses()).toEqual([200, 200, 200, 200, 200]);
        await t.close();
        await flushPrefix(keyPrefix);
      });
    }

    it('fails a 429 whose Ratelimit-Reset is an hour ahead at once, without retrying', async () => {
      fake.setRateLimit({ capacity: 100, refillMs: 1_000 });
      const t = await createTwitchApp(fake, { rateLimit: { maxWaitMs: 2_000, maxRetries: 3 } });
      await t.auth.getAppToken();
      const reset = String(Math.ceil(Date.now() / 1000) + 3_600);
      const headers = { 'Ratelimit-Reset': reset };
      fake.inject({ method: 'GET', path: '/users', status: 429, rateLimitRemaining: 0, headers, times: 5 });
      const err = await within(
        users(t).catch((e) => e),
        5_000,
      );
      expect(err).toBeInstanceOf(TwitchRateLimitException);
      expect(statuses()).toEqual([429]);
      // The reset is clamped to five minutes ahead.
      expect(err.retryAfter).toBeGreaterThan(200);
      expect(err.retryAfter).toBeLessThanOrEqual(300);
      await t.close();
    });

    it('spends at most rateLimit.maxWaitMs in total on the waits after 429s, not per retry', async () => {
      const own = await FakeTwitch.start();
      const t = await createTwitchApp(own, { rateLimit: { maxWaitMs: 2_500, maxRetries: 10 } });
      await t.auth.getAppToken();
      // Each 429 says the bucket is full again in 1 to 2 s: after two such waits the budget is spent.
      own.route('GET', '/users', () => ({
        status: 429,
        body: { error: 'Too Many Requests', status: 429, message: 'Too Many Requests' },
        headers: {
          'Ratelimit-Limit': '100',
          'Ratelimit-Remaining': '0',
          'Ratelimit-Reset': String(Math.ceil(Date.now() / 1000) + 1),
        },
      }));
      const err = await users(t).catch((e) => e);
      expect(err).toBeInstanceOf(TwitchRateLimitException);
      const sent = own.requests.filter((r) => r.route === 'helix').length;
      expect(sent).toBeGreaterThanOrEqual(2);
      expect(sent).toBeLessThanOrEqual(3);
      await t.close();
      await own.close();
    });
  });

  describe.each(['memory', 'redis'] as const)('behaviours the limiter must keep (%s store)', (store) => {
    const stored = (keyPrefix: string) => ({ keyPrefix, ...(store === 'redis' ? { redis: { url: REDIS_URL() } } : {}) });

    // The same sequence at a slower refill, and the waits it takes: lib/rate-limit/twitch-rate-limiter.spec.ts.
    it('slows down once Twitch reports the bucket empty, though the points went elsewhere', async () => {
      fake.setRateLimit({ capacity: 10, refillMs: 1_000 });
      const keyPrefix = uniquePrefix();
      const ours = await createTwitchApp(fake, stored(keyPrefix));
      // Another process with the same client ID, not sharing our bucket's state.
      const other = await createTwitchApp(fake, { rateLimit: { enabled: false } });
      await ours.auth.getAppToken();
      await other.auth.getAppToken();
      await users(ours); // 9 left, as far as we know
      for (let i = 0; i < 8; i++) await users(other);
      fake.clearRequests();
      await users(ours); // Twitch: 0 left
      for (let i = 0; i < 3; i++) await users(ours);
      expect(statuses()).toEqual([200, 200, 200, 200]);
      await ours.close();
      await other.close();
      await flushPrefix(keyPrefix);
    });

    it('fails at once, sending nothing, when the bucket needs a wait longer than rateLimit.maxWaitMs', async () => {
      fake.setRateLimit({ capacity: 3, refillMs: 60_000 });
      const keyPrefix = uniquePrefix();
      const t = await createTwitchApp(fake, { ...stored(keyPrefix), rateLimit: { maxWaitMs: 1_000 } });
      await t.auth.getAppToken();
      await users(t);
      await users(t);
      // One point left, two in reserve: the next one comes in about 20 s.
      const err = await within(
        users(t).catch((e) => e),
        5_000,
      );
      expect(err).toBeInstanceOf(TwitchRateLimitException);
      expect(err.message).toMatch(/rateLimit\.maxWaitMs/);
      expect(err.retryAfter).toBeGreaterThan(1);
      expect(helix()).toHaveLength(2);
      await t.close();
      await flushPrefix(keyPrefix);
    });
  });

  it('a refused call also fails the identical cacheable calls waiting on it', async () => {
    fake.setRateLimit({ capacity: 3, refillMs: 60_000 });
    const t = await createTwitchApp(fake, { rateLimit: { maxWaitMs: 1_000 } });
    await t.auth.getAppToken();
    await users(t);
    await users(t);
    const same = () => t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 60_000 }).catch((e) => e);
    const [a, b] = await Promise.all([within(same(), 5_000), within(same(), 5_000)]);
    expect(a).toBeInstanceOf(TwitchRateLimitException);
    expect(b).toBeInstanceOf(TwitchRateLimitException);
    await t.close();
  });

  it('four instances on one Redis share a bucket that refills in 10 s and learn its refill without windowMs: no 429', async () => {
    const capacity = 40;
    const refillMs = 10_000;
    fake.setRateLimit({ capacity, refillMs });
    const keyPrefix = uniquePrefix();
    const redis = { url: REDIS_URL() };
    const apps = await Promise.all(Array.from({ length: 4 }, () => createTwitchApp(fake, { keyPrefix, redis })));
    await Promise.all(apps.map((a) => a.auth.getAppToken()));
    fake.clearRequests();
    const runMs = 3_000;
    // More callers (48) than the bucket holds: most of the first ones queue before any answer has taught the refill.
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), runMs);
    const worker = async (t: (typeof apps)[number]) => {
      while (!stop.signal.aborted) {
        await t.api.users.getUsers({ login: ['twitchdev'] }, { signal: stop.signal }).catch((e) => {
          if (!stop.signal.aborted) throw e;
        });
      }
    };
    await Promise.all(apps.flatMap((t) => Array.from({ length: 12 }, () => worker(t))));
    clearTimeout(timer);
    // One bucket for the four: each instance on its own would send the whole bucket, into 429s.
    expect(statuses().filter((s) => s !== 200)).toEqual([]);
    // Beyond the first, full bucket (less the reserve) a 60 s window would let 0.67/s through, the refill
    // learnt from Ratelimit-Reset 4/s: about 9 more in these 3 s. The rate itself is checked over a longer
    // run on a fake clock (lib/rate-limit/twitch-rate-limiter.spec.ts).
    expect(helix().length - capacity).toBeGreaterThanOrEqual(4);
    await Promise.all(apps.map((a) => a.close()));
    await flushPrefix(keyPrefix);
  }, 30_000);
});
