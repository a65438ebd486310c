import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchApiService } from '../../lib/api/twitch-api.service.js';
import { TwitchAppTokenManager } from '../../lib/auth/twitch-app-token.manager.js';
import { TwitchUserTokenService } from '../../lib/auth/twitch-user-token.service.js';
import { TwitchEventSubWsTransport } from '../../lib/eventsub/websocket/twitch-eventsub-ws-transport.js';
import { TwitchHealthIndicator, TwitchHealthModule } from '../../lib/health/index.js';
import type { TwitchModuleOptions } from '../../lib/interfaces/twitch-module-options.interface.js';
import { TwitchModule } from '../../lib/twitch.module.js';
import { FakeTwitch, flushPrefix, REDIS_URL, uniquePrefix } from '../support/app.js';
import { hasRedisServer, startPrivateRedis } from '../support/redis.js';

const USER = { userId: '141981764', login: 'twitchdev' };

describe('TwitchHealthIndicator', () => {
  let fake: FakeTwitch;
  const closers: (() => Promise<void>)[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterAll(async () => {
    await fake.close();
    for (const p of prefixes) await flushPrefix(p);
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    fake.clearFaults();
    fake.clearRequests();
  });

  /** A real app: TwitchModule (global), TerminusModule and the health module. */
  async function app(overrides: Partial<TwitchModuleOptions> = {}) {
    const keyPrefix = uniquePrefix();
    prefixes.push(keyPrefix);
    @Module({
      imports: [
        TwitchModule.forRoot({ ...fake.moduleOptions(), keyPrefix, isGlobal: true, redis: { url: REDIS_URL() }, ...overrides }),
        TerminusModule,
        TwitchHealthModule,
      ],
    })
    class HealthAppModule {}
    const a = await NestFactory.createApplicationContext(HealthAppModule, { logger: false, abortOnError: false });
    closers.push(() => a.close());
    return { app: a, health: a.get(TwitchHealthIndicator), api: a.get(TwitchApiService) };
  }

  /** A WebSocket transport for the fake's user, started; it waits a minute before reconnecting. */
  async function socket(a: Awaited<ReturnType<typeof app>>) {
    const issued = fake.issueUserToken({ ...USER, scopes: ['moderator:read:followers'] });
    await a.app
      .get(TwitchUserTokenService)
      .save({ ...issued, scopes: ['moderator:read:followers'] as never, tokenType: 'bearer' });
    const x = new TwitchEventSubWsTransport({
      api: a.api,
      userId: USER.userId,
      subscriptions: [{ type: 'stream.online', version: '1', condition: { broadcaster_user_id: USER.userId } }],
      sink: async () => undefined,
      connection: { url: fake.eventSubWsUrl, reconnectBaseDelayMs: 60_000, reconnectMaxDelayMs: 60_000 },
    });
    closers.push(() => x.stop());
    await x.start();
    return { x, secrets: [issued.accessToken, issued.refreshToken] };
  }

  function expectNoSecret(report: unknown, secrets: string[]): void {
    const text = JSON.stringify(report);
    for (const s of secrets) expect(text).not.toContain(s);
  }

  it('all well: every part up, with details', async () => {
    const a = await app();
    const { x, secrets } = await socket(a);
    await a.api.streams.getStreams({ first: 1 });
    const report = await a.health.isHealthy('twitch', { eventSub: { follows: x } });
    expect(report.twitch.status).toBe('up');
    expect(report.twitch).toMatchObject({
      redis: { status: 'up', configured: true, latencyMs: expect.any(Number) },
      appToken: { status: 'up', obtainedInMs: expect.any(Number) },
      rateLimit: { status: 'up', buckets: { app: { limit: expect.any(Number), remaining: expect.any(Number) } } },
      eventSub: {
        status: 'up',
        transports: { follows: { connected: true, sessionId: x.sessionId, subscriptions: 1, failed: [] } },
      },
    });
    expect((await a.health.checkRedis()).twitch_redis.status).toBe('up');
    expect((await a.health.checkAppToken()).twitch_app_token.status).toBe('up');
    const appToken = await a.app.get(TwitchAppTokenManager).get();
    expectNoSecret(report, [...secrets, appToken, fake.clientSecret]);
  });

  it.skipIf(!hasRedisServer())(
    'Redis down: the Redis part is down with what failed; the held app token still counts',
    async () => {
      const redis = await startPrivateRedis();
      let stopped: Promise<void> | undefined;
      const stop = () => (stopped ??= redis.stop());
      closers.push(stop);
      const a = await app({ redis: { url: redis.url, commandTimeoutMs: 200 } });
      await a.api.streams.getStreams({ first: 1 });
      expect((await a.health.checkRedis()).twitch_redis.status).toBe('up');
      await stop();
      const report = await a.health.isHealthy();
      expect(report.twitch.status).toBe('down');
      expect(report.twitch).toMatchObject({
        redis: { status: 'down', configured: true, error: expect.any(String), message: expect.any(String) },
        appToken: { status: 'up' },
      });
      expect((await a.health.checkRedis()).twitch_redis).toMatchObject({ status: 'down' });
    },
  );

  it('a wrong client secret: the app token part is down, naming the credentials, without the secret', async () => {
    const wrong = 'not-the-right-secret-0123456789';
    const a = await app({ clientSecret: wrong });
    const report = await a.health.isHealthy();
    expect(report.twitch.status).toBe('down');
    expect(report.twitch).toMatchObject({
      redis: { status: 'up' },
      appToken: { status: 'down', error: 'TwitchAppCredentialsException' },
    });
    expectNoSecret(report, [wrong, fake.clientSecret]);
    const alone = await a.health.checkAppToken();
    expect(alone.twitch_app_token).toMatchObject({ status: 'down', error: 'TwitchAppCredentialsException' });
  });

  it('an EventSub socket down: the EventSub part is down with the transport not connected', async () => {
    const a = await app();
    const { x } = await socket(a);
    expect(a.health.checkEventSub({ follows: x }).twitch_eventsub.status).toBe('up');
    fake.eventSubWs.dropSession(x.sessionId!);
    await expect.poll(() => x.connected, { timeout: 10_000 }).toBe(false);
    const report = await a.health.isHealthy('twitch', { eventSub: { follows: x } });
    expect(report.twitch.status).toBe('down');
    expect(report.twitch).toMatchObject({
      redis: { status: 'up' },
      appToken: { status: 'up' },
      eventSub: { status: 'down', transports: { follows: { connected: false } } },
    });
  });

  it("the app's subscriptions as Twitch lists them: up when all are enabled, degraded when one is not", async () => {
    const a = await app();
    fake.state.eventSubSubscriptions.clear();
    const none = await a.health.checkEventSubSubscriptions();
    expect(none.twitch_eventsub_subscriptions).toMatchObject({ status: 'up', total: 0, listed: 0, byStatus: {} });
    // A webhook whose callback answers nothing: its verification never succeeds.
    await a.api.eventSub.createEventSubSubscription({
      type: 'stream.online',
      version: '1',
      condition: { broadcaster_user_id: USER.userId },
      transport: { method: 'webhook', callback: 'https://127.0.0.1:1/eventsub', secret: 's3cret-s3cret-s3cret' },
    } as never);
    const report = await a.health.isHealthy('twitch', { eventSubSubscriptions: true });
    expect(report.twitch.status).toBe('degraded');
    const part = (report.twitch as unknown as { eventSubSubscriptions: { status: string; byStatus: Record<string, number> } })
      .eventSubSubscriptions;
    expect(part.status).toBe('degraded');
    expect(part.byStatus.enabled ?? 0).toBe(0);
    expect(Object.values(part.byStatus)).toEqual([1]);
    expectNoSecret(report, ['s3cret-s3cret-s3cret', fake.clientSecret]);
    fake.state.eventSubSubscriptions.clear();
  });

  it('rate-limit headroom below the threshold is degraded, not down', async () => {
    const a = await app();
    fake.inject({ path: '/streams', rateLimitRemaining: 3, times: 1 });
    await a.api.streams.getStreams({ first: 1 });
    const low = a.health.checkRateLimit('twitch_rate_limit', { minRateLimitHeadroom: 0.5 });
    expect(low.twitch_rate_limit).toMatchObject({ status: 'degraded', buckets: { app: { remaining: 3 } } });
    expect((await a.health.isHealthy('twitch', { minRateLimitHeadroom: 0.5 })).twitch.status).toBe('degraded');
  });
});
