import 'reflect-metadata';
import { Logger, type LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchApiService } from '../../lib/api/twitch-api.service.js';
import { TwitchAppTokenManager } from '../../lib/auth/twitch-app-token.manager.js';
import { TwitchEventSubMemoryClaims } from '../../lib/eventsub/twitch-eventsub-claims.store.js';
import { TwitchEventSubDispatcher } from '../../lib/eventsub/twitch-eventsub.dispatcher.js';
import type { TwitchEventSubResolvedOptions } from '../../lib/eventsub/twitch-eventsub.options.js';
import { TwitchTelemetry } from '../../lib/observability/twitch-telemetry.js';
import { TwitchOptionsError } from '../../lib/twitch-options.js';
import { TwitchModule } from '../../lib/twitch.module.js';
import { createTwitchApp, FakeTwitch } from '../support/app.js';

describe('EventSub metrics', () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  beforeAll(() => {
    metrics.setGlobalMeterProvider(provider);
    // The failing handler is logged on purpose.
    Logger.overrideLogger(false);
  });
  afterAll(async () => {
    await provider.shutdown();
    metrics.disable();
  });

  async function metric(name: string) {
    exporter.reset();
    await reader.forceFlush();
    const all =
      exporter
        .getMetrics()
        .at(-1)
        ?.scopeMetrics.flatMap((s) => s.metrics) ?? [];
    return all.find((m) => m.descriptor.name === name);
  }

  it('counts deliveries and dropped duplicates, handler failures, and records the delivery lag', async () => {
    const failures: unknown[] = [];
    const options = {
      claimTtlMs: 60_000,
      onHandlerError: (e: unknown) => void failures.push(e),
    } as unknown as TwitchEventSubResolvedOptions;
    const dispatcher = new TwitchEventSubDispatcher(options, new TwitchEventSubMemoryClaims(), new TwitchTelemetry());
    dispatcher.addHandler({
      name: 'Test.online',
      type: 'stream.online',
      version: '1',
      call: () => {
        throw new Error('handler broke');
      },
    });
    const message = {
      messageId: 'm-1',
      messageType: 'notification' as const,
      // Sent two seconds ago.
      timestamp: new Date(Date.now() - 2_000),
      transport: 'webhook' as const,
      body: {
        subscription: {
          id: 's-1',
          type: 'stream.online',
          version: '1',
          status: 'enabled',
          condition: { broadcaster_user_id: '1' },
        },
        event: {
          broadcaster_user_id: '1',
          broadcaster_user_login: 'a',
          broadcaster_user_name: 'A',
          id: '9',
          type: 'live',
          started_at: new Date().toISOString(),
        },
      },
    };
    const first = await dispatcher.accept(message);
    expect(first.outcome).toBe('accepted');
    first.start();
    expect((await dispatcher.accept(message)).outcome).toBe('duplicate');
    await dispatcher.idle();
    expect(failures).toHaveLength(1);

    const deliveries = await metric('twitch.eventsub.deliveries');
    const byOutcome = Object.fromEntries(deliveries!.dataPoints.map((p) => [p.attributes['twitch.eventsub.outcome'], p.value]));
    expect(byOutcome).toEqual({ accepted: 1, duplicate: 1 });
    expect(deliveries!.dataPoints[0].attributes).toMatchObject({
      'twitch.eventsub.type': 'stream.online',
      'twitch.eventsub.transport': 'webhook',
      'twitch.eventsub.message_type': 'notification',
    });
    const failed = await metric('twitch.eventsub.handler.failures');
    expect(failed!.dataPoints.map((p) => [p.attributes, p.value])).toEqual([
      [{ 'twitch.eventsub.type': 'stream.online', 'twitch.eventsub.handler': 'Test.online', 'error.type': 'Error' }, 1],
    ]);
    const lag = await metric('twitch.eventsub.delivery.lag');
    expect(lag!.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(lag!.descriptor.unit).toBe('s');
    const value = lag!.dataPoints[0].value as { count: number; sum: number };
    expect(value.count).toBe(1);
    expect(value.sum).toBeGreaterThanOrEqual(1.9);
    expect(value.sum).toBeLessThan(30);
  });
});

describe('debug option', () => {
  let fake: FakeTwitch;
  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterAll(() => fake.close());

  /** A Nest logger that keeps every line. */
  function recorder() {
    const lines: { level: string; message: string; context?: string }[] = [];
    const keep = (level: string) => (message: unknown, context?: unknown) =>
      void lines.push({ level, message: String(message), context: typeof context === 'string' ? context : undefined });
    const logger: LoggerService = {
      log: keep('log'),
      error: keep('error'),
      warn: keep('warn'),
      debug: keep('debug'),
      verbose: keep('verbose'),
    };
    return { lines, logger };
  }

  async function app(debug: boolean | undefined) {
    const { lines, logger } = recorder();
    @Module({
      imports: [
        TwitchModule.forRoot({
          ...fake.moduleOptions(),
          retry: { baseDelayMs: 5, maxDelayMs: 20 },
          ...(debug === undefined ? {} : { debug }),
        }),
      ],
    })
    class DebugAppModule {}
    const a = await NestFactory.createApplicationContext(DebugAppModule, { logger, abortOnError: false });
    return { a, api: a.get(TwitchApiService), lines: () => lines.filter((l) => l.context === 'TwitchHttp') };
  }

  it('logs one debug line per Helix call: method, path, status, duration, remaining points and cache outcome; never a token', async () => {
    const { a, api, lines } = await app(true);
    const token = await a.get(TwitchAppTokenManager).get();
    await api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
    await api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
    fake.inject({ path: '/streams', status: 503, times: 1 });
    await api.streams.getStreams({ first: 1 });
    fake.inject({ path: '/streams', status: 400, message: 'bad', times: 1 });
    await expect(api.streams.getStreams({ first: 1 })).rejects.toThrow();
    const got = lines();
    expect(got.map((l) => l.level)).toEqual(['debug', 'debug', 'debug', 'debug']);
    expect(got[0].message).toMatch(/^GET \/users 200 \d+\.\d ms remaining=\d+ cache=miss$/);
    expect(got[1].message).toMatch(/^GET \/users 200 \d+\.\d ms remaining=- cache=local_hit$/);
    // A retried call is one line, with its final status.
    expect(got[2].message).toMatch(/^GET \/streams 200 \d+\.\d ms remaining=\d+ cache=none$/);
    expect(got[3].message).toMatch(/^GET \/streams 400 TwitchBadRequestException \d+\.\d ms remaining=\d+ cache=none$/);
    for (const l of got) expect(l.message).not.toContain(token);
    await a.close();
  });

  it('is off by default, and must be a boolean', async () => {
    const { a, api, lines } = await app(undefined);
    await api.users.getUsers({ login: ['twitchdev'] });
    expect(lines()).toEqual([]);
    await a.close();
    await expect(createTwitchApp(fake, { debug: 'yes' as never })).rejects.toThrow(TwitchOptionsError);
    await expect(createTwitchApp(fake, { debug: 'yes' as never })).rejects.toThrow(/"debug" must be a boolean/);
  });
});
