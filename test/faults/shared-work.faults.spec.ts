import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchUserTokenService } from '../../lib/auth/twitch-user-token.service.js';
import {
  TwitchException,
  TwitchGatewayTimeoutException,
  TwitchRateLimitException,
} from '../../lib/exceptions/twitch.exception.js';
import { createTwitchApp, FakeTwitch, type TestApp } from '../support/app.js';

type Outcome = { state: 'fulfilled'; value: unknown } | { state: 'rejected'; reason: unknown } | { state: 'pending' };

/** How `p` stands after `ms`: settled (and how) or still pending. */
async function within(p: Promise<unknown>, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<Outcome>((r) => (timer = setTimeout(() => r({ state: 'pending' }), ms)));
  const out = await Promise.race([
    p.then(
      (value) => ({ state: 'fulfilled' as const, value }),
      (reason) => ({ state: 'rejected' as const, reason }),
    ),
    pending,
  ]);
  clearTimeout(timer);
  return out;
}

const abortAfter = (ms: number) => {
  const c = new AbortController();
  setTimeout(() => c.abort(new Error(`caller gave up after ${ms} ms`)), ms);
  return c.signal;
};

describe('shared work: in-flight cache entries, the app token and refreshes', () => {
  let fake: FakeTwitch;
  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterAll(() => fake.close());
  afterEach(() => {
    fake.clearRequests();
    fake.clearFaults();
    fake.setRateLimit({ capacity: 800, refillMs: 60_000 });
  });

  /** Drains the fake's bucket so that the module's limiter makes the next call wait. */
  async function drain(t: TestApp): Promise<void> {
    fake.setRateLimit({ capacity: 3, refillMs: 1_000 });
    for (let i = 0; i < 3; i++) await t.api.users.getUsers({ id: [String(i)] });
  }

  it('a cached GET aborted while it waits for the rate limiter does not hang the next identical call', async () => {
    const t = await createTwitchApp(fake, { rateLimit: { windowMs: 1_000 } });
    await t.api.users.getUsers({ login: ['twitchdev'] }); // the app token, outside the measured calls
    await drain(t);
    const first = t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000, signal: abortAfter(50) });
    expect(await within(first, 5_000)).toMatchObject({ state: 'rejected' });
    // Before the fix the in-flight entry of the aborted call was never settled: this one hung forever.
    const second = await within(t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000, timeout: 2_000 }), 10_000);
    expect(second.state).toBe('fulfilled');
    expect((second as { value: { data: { login: string }[] } }).value.data[0].login).toBe('twitchdev');
    await t.close();
  });

  it('a cached GET refused by the limiter (rateLimit.maxWaitMs) does not hang the next identical call', async () => {
    const t = await createTwitchApp(fake, { rateLimit: { maxWaitMs: 20 } });
    // Twitch reports the bucket empty and full again in a minute: the next call would have to wait
    // longer than maxWaitMs.
    const reset = String(Math.ceil(Date.now() / 1000) + 60);
    fake.inject({ method: 'GET', path: '/users', rateLimitRemaining: 0, headers: { 'Ratelimit-Reset': reset } });
    await t.api.users.getUsers({ login: ['twitchdev'] });
    const first = await within(t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 }), 5_000);
    expect(first.state).toBe('rejected');
    expect((first as { reason: unknown }).reason).toBeInstanceOf(TwitchRateLimitException);
    const second = await within(t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 }), 5_000);
    expect(second.state).not.toBe('pending');
    await t.close();
  });

  it('one caller aborting never cancels an identical cached GET for the others', async () => {
    const t = await createTwitchApp(fake);
    await t.api.users.getUsers({ login: ['twitchdev'] });
    fake.clearRequests();
    fake.inject({ method: 'GET', path: '/users', delayMs: 400 });
    const leader = t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000, signal: abortAfter(50) });
    const follower = t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
    const [l, f] = await Promise.all([within(leader, 5_000), within(follower, 5_000)]);
    expect(l.state).toBe('rejected');
    expect(String((l as { reason: Error }).reason.message)).toContain('caller gave up');
    expect(f.state).toBe('fulfilled');
    expect(fake.requestsTo('GET', '/users')).toHaveLength(1);
    // The shared answer was stored although the caller who started it left.
    await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
    expect(fake.requestsTo('GET', '/users')).toHaveLength(1);
    await t.close();
  });

  it('a caller waiting on another’s request keeps its own signal and time budget', async () => {
    const t = await createTwitchApp(fake, { timeout: 300, retry: { maxRetries: 0 }, rateLimit: { maxWaitMs: 100 } });
    await t.api.users.getUsers({ login: ['twitchdev'] });
    fake.inject({ method: 'GET', path: '/users', delayMs: 1_700 });
    // The leader's own request may take up to 2.5 s; the follower's budget (rateLimit.maxWaitMs plus two
    // attempts of its 300 ms timeout plus a token fetch) is 1 s.
    const leader = t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000, timeout: 2_500 });
    const aborted = t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000, signal: abortAfter(100) });
    const follower = t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
    const started = Date.now();
    const a = await within(aborted, 1_000);
    expect(a.state).toBe('rejected');
    expect(Date.now() - started).toBeLessThan(700);
    const f = await within(follower, 2_000);
    expect(f.state).toBe('rejected');
    expect((f as { reason: unknown }).reason).toBeInstanceOf(TwitchGatewayTimeoutException);
    expect(await within(leader, 5_000)).toMatchObject({ state: 'fulfilled' });
    await t.close();
  });

  it('the first caller aborting does not fail the others sharing the app-token fetch', async () => {
    const t = await createTwitchApp(fake);
    fake.inject({ method: 'POST', path: '/oauth2/token', delayMs: 400 });
    const first = t.api.users.getUsers({ login: ['twitchdev'] }, { signal: abortAfter(50) });
    const others = [1, 2, 3].map(() => t.api.users.getUsers({ login: ['twitchdev'] }));
    expect(await within(first, 3_000)).toMatchObject({ state: 'rejected' });
    for (const o of others) expect(await within(o, 5_000)).toMatchObject({ state: 'fulfilled' });
    expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(1);
    await t.close();
  });

  it('the first caller aborting does not fail the others sharing a refresh', async () => {
    const t = await createTwitchApp(fake);
    const users = t.app.get(TwitchUserTokenService);
    const issued = fake.issueUserToken({ userId: '141981764', login: 'twitchdev', scopes: ['user:read:follows'] });
    await users.save({ accessToken: issued.accessToken, refreshToken: issued.refreshToken, scopes: [], tokenType: 'bearer' });
    fake.expireToken(issued.accessToken);
    fake.inject({ method: 'POST', path: '/oauth2/token', delayMs: 400 });
    const call = (signal?: AbortSignal) => t.api.users.getUsers({}, { userId: '141981764', signal });
    const first = call(abortAfter(150));
    const others = [call(), call()];
    expect(await within(first, 3_000)).toMatchObject({ state: 'rejected' });
    for (const o of others) {
      const r = await within(o, 5_000);
      if (r.state === 'rejected') throw r.reason;
      expect(r.state).toBe('fulfilled');
    }
    const refreshes = fake
      .requestsTo('POST', '/oauth2/token')
      .filter((r) => (r.body as Record<string, string>).grant_type === 'refresh_token');
    expect(refreshes).toHaveLength(1);
    await t.close();
  });

  it('a cached answer is only served to the token it was fetched for', async () => {
    const t = await createTwitchApp(fake);
    fake.addUser({ id: '9001', login: 'alice', email: 'alice@example.com' } as never);
    fake.addUser({ id: '9002', login: 'bob' });
    const users = t.app.get(TwitchUserTokenService);
    const alice = fake.issueUserToken({ userId: '9001', login: 'alice', scopes: ['user:read:email'] });
    const bob = fake.issueUserToken({ userId: '9002', login: 'bob', scopes: [] });
    await users.save({ accessToken: alice.accessToken, refreshToken: alice.refreshToken, scopes: [], tokenType: 'bearer' });
    const mine = await t.api.users.getUsers({}, { userId: '9001', cacheTtl: 30_000 });
    expect(mine.data[0].login).toBe('alice');
    fake.clearRequests();
    // Bob's token with Alice's user ID: Bob's own answer, from Twitch.
    const asBob = await t.api.users.getUsers({}, { accessToken: bob.accessToken, userId: '9001', cacheTtl: 30_000 });
    expect(asBob.data[0].login).toBe('bob');
    expect(fake.requestsTo('GET', '/users')).toHaveLength(1);
    // A token Twitch never issued, with Alice's user ID: Twitch's refusal, never Alice's answer.
    await expect(
      t.api.users.getUsers({}, { accessToken: 'never-issued-token', userId: '9001', cacheTtl: 30_000 }),
    ).rejects.toBeInstanceOf(TwitchException);
    expect(fake.requestsTo('GET', '/users')).toHaveLength(2);
    // Alice's stored token still gets her cached answer.
    const again = await t.api.users.getUsers({}, { userId: '9001', cacheTtl: 30_000 });
    expect(again.data[0].login).toBe('alice');
    expect(fake.requestsTo('GET', '/users')).toHaveLength(2);
    await t.close();
  });
});
