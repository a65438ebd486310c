import 'reflect-metadata';
import { metrics, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TwitchAppTokenManager } from '../../lib/auth/twitch-app-token.manager.js';
import { TwitchTokenStore } from '../../lib/auth/token-store/twitch-token-store.js';
import { TwitchUserTokenService } from '../../lib/auth/twitch-user-token.service.js';
import { createTwitchApp, FakeTwitch, type TestApp } from '../support/app.js';

const USER = { userId: '141981764', login: 'twitchdev' };

describe('telemetry with an OpenTelemetry SDK', () => {
  let fake: FakeTwitch;
  let t: TestApp;
  const spans = new InMemorySpanExporter();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  /** Every secret the app handled during the test. */
  const secrets = new Set<string>();

  beforeAll(async () => {
    metrics.setGlobalMeterProvider(meterProvider);
    trace.setGlobalTracerProvider(tracerProvider);
    fake = await FakeTwitch.start();
    secrets.add(fake.clientSecret);
  });
  afterAll(async () => {
    await fake.close();
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
    metrics.disable();
    trace.disable();
  });
  beforeEach(async () => {
    metricExporter.reset();
    spans.reset();
    t = await createTwitchApp(fake);
    secrets.add(await t.app.get(TwitchAppTokenManager).get());
  });
  afterEach(async () => {
    // No attribute, span name or metric attribute holds a token or the client secret.
    await reader.forceFlush();
    const texts: string[] = [];
    for (const s of spans.getFinishedSpans()) texts.push(s.name, ...Object.values(s.attributes).map(String));
    for (const m of allMetrics()) for (const p of m.dataPoints) texts.push(...Object.values(p.attributes).map(String));
    expect(texts.length).toBeGreaterThan(0);
    for (const secret of secrets) for (const text of texts) expect(text).not.toContain(secret);
    await t.close();
    fake.clearFaults();
    fake.clearRequests();
  });

  function allMetrics(): MetricData[] {
    const last = metricExporter.getMetrics().at(-1);
    return last?.scopeMetrics.flatMap((s) => (s.scope.name === 'nestjs-twitch' ? s.metrics : [])) ?? [];
  }

  /** Data points of a metric: attributes and a count (counters: value; histograms: count). */
  async function points(name: string): Promise<{ attributes: Record<string, unknown>; count: number; sum?: number }[]> {
    metricExporter.reset();
    await reader.forceFlush();
    const m = allMetrics().find((x) => x.descriptor.name === name);
    if (!m) return [];
    return m.dataPoints.map((p) => {
      const v = p.value as number | { count: number; sum?: number };
      return m.dataPointType === DataPointType.HISTOGRAM
        ? { attributes: p.attributes, count: (v as { count: number }).count, sum: (v as { sum?: number }).sum }
        : { attributes: p.attributes, count: v as number };
    });
  }

  const helixSpans = (path: string): ReadableSpan[] =>
    spans.getFinishedSpans().filter((s) => s.attributes['url.template'] === path && s.kind === 2);
  const callSpans = (path: string): ReadableSpan[] =>
    spans.getFinishedSpans().filter((s) => s.name === `twitch.helix GET ${path}`);

  it('a cached call: one request to Twitch, then a local-tier hit; the call metrics carry the cache outcome', async () => {
    await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
    await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
    expect(fake.requestsTo('GET', '/users')).toHaveLength(1);

    const lookups = await points('twitch.cache.lookups');
    expect(lookups).toEqual(
      expect.arrayContaining([
        { attributes: { 'twitch.cache.result': 'miss' }, count: 1 },
        { attributes: { 'twitch.cache.result': 'local_hit' }, count: 1 },
      ]),
    );
    const calls = await points('twitch.helix.requests');
    const users = calls.filter((p) => p.attributes['url.template'] === '/users');
    expect(users).toEqual(
      expect.arrayContaining([
        {
          attributes: {
            'http.request.method': 'GET',
            'url.template': '/users',
            'http.response.status_code': 200,
            'twitch.cache.result': 'miss',
          },
          count: 1,
        },
        {
          attributes: {
            'http.request.method': 'GET',
            'url.template': '/users',
            'http.response.status_code': 200,
            'twitch.cache.result': 'local_hit',
          },
          count: 1,
        },
      ]),
    );
    const durations = (await points('twitch.helix.request.duration')).filter((p) => p.attributes['url.template'] === '/users');
    expect(durations.reduce((n, p) => n + p.count, 0)).toBe(2);

    // One HTTP client request (the miss), following the HTTP client conventions.
    const http = (await points('http.client.request.duration')).filter((p) => p.attributes['url.template'] === '/users');
    expect(http).toHaveLength(1);
    expect(http[0].count).toBe(1);
    expect(http[0].attributes).toEqual({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(fake.helixUrl).port),
      'url.template': '/users',
    });
    expect(http[0].sum).toBeGreaterThan(0);
    expect(http[0].sum).toBeLessThan(10);

    const [attempt] = helixSpans('/users');
    expect(helixSpans('/users')).toHaveLength(1);
    expect(attempt.name).toBe('GET /users');
    expect(attempt.attributes['url.full']).toBe(`${fake.helixUrl}/users`);
    const parents = callSpans('/users');
    expect(parents.map((s) => s.attributes['twitch.cache.result']).sort()).toEqual(['local_hit', 'miss']);
    const miss = parents.find((s) => s.attributes['twitch.cache.result'] === 'miss')!;
    expect(attempt.parentSpanContext?.spanId).toBe(miss.spanContext().spanId);
    expect(attempt.spanContext().traceId).toBe(miss.spanContext().traceId);
    expect(typeof miss.attributes['twitch.rate_limit.remaining']).toBe('number');
  });

  it('a retried 503: two HTTP client requests (503 then 200), one call', async () => {
    fake.inject({ path: '/streams', status: 503, times: 1 });
    await t.api.streams.getStreams({ first: 1 });
    const http = (await points('http.client.request.duration')).filter((p) => p.attributes['url.template'] === '/streams');
    expect(http.map((p) => [p.attributes['http.response.status_code'], p.attributes['error.type'], p.count]).sort()).toEqual([
      [200, undefined, 1],
      [503, '503', 1],
    ]);
    const attempts = helixSpans('/streams');
    expect(
      attempts.map((s) => [s.attributes['http.response.status_code'], s.attributes['http.request.resend_count'], s.status.code]),
    ).toEqual([
      [503, undefined, 2],
      [200, 1, 0],
    ]);
    const calls = (await points('twitch.helix.requests')).filter((p) => p.attributes['url.template'] === '/streams');
    expect(calls).toEqual([
      {
        attributes: {
          'http.request.method': 'GET',
          'url.template': '/streams',
          'http.response.status_code': 200,
          'twitch.cache.result': 'none',
        },
        count: 1,
      },
    ]);
  });

  it('a 429 from an empty bucket: counted, its wait recorded, the call retried', async () => {
    const reset = String(Math.ceil(Date.now() / 1000) + 1);
    fake.inject({ path: '/streams', status: 429, rateLimitRemaining: 0, headers: { 'Ratelimit-Reset': reset }, times: 1 });
    await t.api.streams.getStreams({ first: 1 });
    expect(fake.requestsTo('GET', '/streams').map((r) => r.status)).toEqual([429, 200]);
    expect(await points('twitch.rate_limit.throttled')).toEqual([{ attributes: { 'url.template': '/streams' }, count: 1 }]);
    const waits = (await points('twitch.rate_limit.wait.duration')).filter(
      (p) => p.attributes['twitch.rate_limit.reason'] === '429',
    );
    expect(waits).toHaveLength(1);
    expect(waits[0].count).toBe(1);
    expect(waits[0].sum).toBeGreaterThan(0.04);
    expect(waits[0].sum).toBeLessThan(3);
  });

  it('token fetches and refreshes, with their failures', async () => {
    // Counters are cumulative over the file: compare with what was counted before.
    const before = await points('twitch.token.requests');
    const issued = fake.issueUserToken({ ...USER, scopes: ['user:read:follows'] });
    secrets.add(issued.accessToken).add(issued.refreshToken);
    await t.app.get(TwitchUserTokenService).save({
      accessToken: issued.accessToken,
      refreshToken: issued.refreshToken,
      scopes: ['user:read:follows'] as never,
      tokenType: 'bearer',
    });
    fake.expireToken(issued.accessToken);
    await t.api.users.getUsers({}, { userId: USER.userId });
    const stored = await t.app.get(TwitchTokenStore).get(USER.userId);
    secrets.add(stored!.accessToken).add(stored!.refreshToken);

    // Twitch refuses the next app token fetch.
    fake.inject({ path: '/oauth2/token', status: 400, message: 'invalid client secret', times: 1 });
    await expect(t.app.get(TwitchAppTokenManager).request()).rejects.toThrow();

    const tokens = await points('twitch.token.requests');
    const count = (type: string, operation: string, outcome: string, from = tokens): number =>
      from
        .filter(
          (p) =>
            p.attributes['twitch.token.type'] === type &&
            p.attributes['twitch.token.operation'] === operation &&
            p.attributes['twitch.token.outcome'] === outcome,
        )
        .reduce((n, p) => n + p.count, 0);
    const delta = (type: string, operation: string, outcome: string) =>
      count(type, operation, outcome) - count(type, operation, outcome, before);
    // The app's token was fetched once per app (in beforeEach), then the refused fetch.
    expect(count('app', 'fetch', 'success')).toBeGreaterThanOrEqual(4);
    expect(delta('app', 'fetch', 'success')).toBe(0);
    expect(delta('app', 'fetch', 'failure')).toBe(1);
    expect(delta('user', 'refresh', 'success')).toBe(1);
    expect(delta('user', 'refresh', 'failure')).toBe(0);
    const failed = tokens.find((p) => p.attributes['twitch.token.outcome'] === 'failure')!;
    expect(failed.attributes['error.type']).toMatch(/Exception$/);
    // The 401 and the retry are two attempts of one call.
    const users = helixSpans('/users').map((s) => s.attributes['http.response.status_code']);
    expect(users).toEqual([401, 200]);
    // OAuth requests are HTTP client requests too (to id.twitch.tv's stand-in).
    const oauth = (await points('http.client.request.duration')).filter((p) => p.attributes['url.template'] === '/token');
    expect(oauth.reduce((n, p) => n + p.count, 0)).toBeGreaterThanOrEqual(3);
  });
});
