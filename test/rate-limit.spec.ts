import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchRateLimitException } from '../lib/exceptions/twitch.exception.js';
import { TwitchMemoryRateLimitStore } from '../lib/rate-limit/memory-rate-limit.store.js';
import { createTwitchApp, FakeTwitch, flushPrefix, REDIS_URL, uniquePrefix } from './support/app.js';

const settings = { windowMs: 1_000, reserve: 0, ttlMs: 60_000, probeMs: 1_000, minWindowMs: 1_000, maxWindowMs: 300_000 };
const wait = async (p: Promise<{ status: string; waitMs: number }>) => {
  const g = await p;
  return g.status === 'pending' ? -1 : g.waitMs;
};

describe('token bucket (memory store)', () => {
  it('lets one probe through on an unknown bucket, then spreads takers one slot apart', async () => {
    let now = 0;
    const store = new TwitchMemoryRateLimitStore(() => now);
    expect(await wait(store.take('b', 1, settings, Infinity))).toBe(0); // probe
    expect(await wait(store.take('b', 1, settings, Infinity))).toBe(-1); // size unknown: wait for the probe
    await store.observe('b', { limit: 10, remaining: 2 }, settings);
    expect(await wait(store.take('b', 1, settings, Infinity))).toBe(0);
    expect(await wait(store.take('b', 1, settings, Infinity))).toBe(0);
    // Empty: each further taker gets its own refill slot (100 ms per point), not a shared batch.
    expect(await wait(store.take('b', 1, settings, Infinity))).toBe(100);
    expect(await wait(store.take('b', 1, settings, Infinity))).toBe(200);
    expect(await wait(store.take('b', 1, settings, Infinity))).toBe(300);
    now += 1_000; // refilled, minus the three reserved points
    expect(await wait(store.take('b', 1, settings, Infinity))).toBe(0);
  });

  it('never raises its count from headers, only lowers it', async () => {
    const now = 0;
    const store = new TwitchMemoryRateLimitStore(() => now);
    await store.take('b', 1, settings, Infinity);
    await store.observe('b', { limit: 10, remaining: 1 }, settings);
    await store.observe('b', { limit: 10, remaining: 9 }, settings);
    expect(await wait(store.take('b', 1, settings, Infinity))).toBe(0);
    expect(await wait(store.take('b', 1, settings, Infinity))).toBeGreaterThan(0);
  });
});

describe('rate limiting against the fake Twitch’s bucket', () => {
  let fake: FakeTwitch;
  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterAll(() => fake.close());
  afterEach(() => {
    fake.clearRequests();
    fake.clearFaults();
  });

  const statuses = () => fake.requests.filter((r) => r.route === 'helix').map((r) => r.status);

  it('holds a burst under the bucket: no 429 from Twitch', async () => {
    const [capacity, refillMs, n] = [20, 1_000, 30];
    fake.setRateLimit({ capacity, refillMs });
    const t = await createTwitchApp(fake, { rateLimit: { windowMs: 1_000, reserve: 1 } });
    await t.auth.getAppToken();
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: n }, () => t.api.users.getUsers({ login: ['twitchdev'] })));
    const elapsed = Date.now() - started;
    expect(results).toHaveLength(n);
    expect(statuses().filter((s) => s === 429)).toHaveLength(0);
    expect(statuses()).toHaveLength(n);
    // 30 requests through a 20-point bucket refilled at 20/s cannot finish much before 0.5 s.
    expect(elapsed).toBeGreaterThan(0.75 * ((n - capacity) / capacity) * refillMs);
    await t.close();
  });

  it('shares one bucket between two app instances on one Redis', async () => {
    fake.setRateLimit({ capacity: 20, refillMs: 1_000 });
    const keyPrefix = uniquePrefix();
    const opts = { redis: { url: REDIS_URL() }, keyPrefix, rateLimit: { windowMs: 1_000, reserve: 1 } };
    const a = await createTwitchApp(fake, opts);
    const b = await createTwitchApp(fake, opts);
    await Promise.all([a.auth.getAppToken(), b.auth.getAppToken()]);
    // 20 each nearly fit an instance's own view of the bucket; 40 together need a second bucket's worth of refill.
    const burst = (x: typeof a) => Array.from({ length: 20 }, () => x.api.users.getUsers({ login: ['twitchdev'] }));
    await Promise.all([...burst(a), ...burst(b)]);
    expect(statuses()).toHaveLength(40);
    expect(statuses().filter((s) => s === 429)).toHaveLength(0);
    await a.close();
    await b.close();
    await flushPrefix(keyPrefix);
  });

  it('does not hold other requests back behind a slow response', async () => {
    fake.setRateLimit({ capacity: 20, refillMs: 1_000 });
    const t = await createTwitchApp(fake, { rateLimit: { windowMs: 1_000, reserve: 1 } });
    await t.auth.getAppToken();
    await t.api.users.getUsers({ login: ['twitchdev'] }); // learn the bucket
    fake.inject({ method: 'GET', path: '/users', delayMs: 1_000 });
    const order: string[] = [];
    const slow = t.api.users.getUsers({ login: ['twitchdev'] }).then(() => order.push('slow'));
    await new Promise((r) => setTimeout(r, 20));
    const fast = Array.from({ length: 24 }, (_, i) =>
      t.api.users.getUsers({ login: ['twitchdev'] }).then(() => order.push(`fast${i}`)),
    );
    await Promise.all([slow, ...fast]);
    // 24 requests need more than a full bucket, yet none waited for the slow one.
    expect(order.at(-1)).toBe('slow');
    expect(statuses().filter((s) => s === 429)).toHaveLength(0);
    await t.close();
  });

  it('gives user tokens their own bucket', async () => {
    fake.setRateLimit({ capacity: 5, refillMs: 60_000 });
    const t = await createTwitchApp(fake, { rateLimit: { windowMs: 60_000, reserve: 0 } });
    await t.auth.getAppToken();
    for (let i = 0; i < 5; i++) await t.api.users.getUsers({ login: ['twitchdev'] });
    // The app bucket is empty now; a user's bucket is not.
    const user = fake.issueUserToken({ userId: '141981764', scopes: [] });
    const me = await t.api.users.getUsers({}, { accessToken: user.accessToken, userId: '141981764' });
    expect(me.data[0].id).toBe('141981764');
    expect(statuses().filter((s) => s === 429)).toHaveLength(0);
    await t.close();
  });

  it('waits for Ratelimit-Reset and retries after a 429 from an empty bucket', async () => {
    fake.setRateLimit({ capacity: 100, refillMs: 1_000 });
    const t = await createTwitchApp(fake);
    await t.auth.getAppToken();
    const reset = Math.ceil(Date.now() / 1000) + 1;
    fake.inject({
      method: 'GET',
      path: '/users',
      status: 429,
      rateLimitRemaining: 0,
      headers: { 'Ratelimit-Reset': String(reset) },
    });
    const started = Date.now();
    const res = await t.api.users.getUsers({ login: ['twitchdev'] });
    expect(res.data[0].login).toBe('twitchdev');
    expect(statuses()).toEqual([429, 200]);
    expect(Date.now()).toBeGreaterThanOrEqual(reset * 1000);
    expect(Date.now() - started).toBeGreaterThan(0);
    await t.close();
  });

  it('gives up after rateLimit.maxRetries 429s', async () => {
    fake.setRateLimit({ capacity: 100, refillMs: 1_000 });
    const t = await createTwitchApp(fake, { rateLimit: { maxRetries: 1 } });
    await t.auth.getAppToken();
    const reset = String(Math.ceil(Date.now() / 1000));
    fake.inject({
      method: 'GET',
      path: '/users',
      status: 429,
      rateLimitRemaining: 0,
      headers: { 'Ratelimit-Reset': reset },
      times: 5,
    });
    const err = await t.api.users.getUsers({ login: ['twitchdev'] }).catch((e) => e);
    expect(err).toBeInstanceOf(TwitchRateLimitException);
    expect(statuses()).toEqual([429, 429]);
    await t.close();
  });

  it('surfaces an endpoint-specific 429 (bucket not empty) at once', async () => {
    fake.setRateLimit({ capacity: 100, refillMs: 1_000 });
    const t = await createTwitchApp(fake);
    const owner = fake.issueUserToken({ userId: '141981764', scopes: ['channel:edit:commercial'] });
    fake.inject({
      method: 'POST',
      path: '/channels/commercial',
      status: 429,
      rateLimitRemaining: 50,
      message: 'commercial cooldown',
    });
    const err = await t.api.ads
      .startCommercial({ broadcasterId: '141981764', length: 30 }, { accessToken: owner.accessToken })
      .catch((e) => e);
    expect(err).toBeInstanceOf(TwitchRateLimitException);
    expect(err.getStatus()).toBe(429);
    expect(err.twitchMessage).toBe('commercial cooldown');
    expect(err.rateLimit.remaining).toBe(50);
    expect(typeof err.retryAfter).toBe('number');
    expect(statuses()).toEqual([429]);
    await t.close();
  });
});
