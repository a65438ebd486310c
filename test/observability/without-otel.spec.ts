import 'reflect-metadata';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOpenTelemetry, setOpenTelemetryLoader } from '../../lib/observability/twitch-otel.js';
import { createTwitchApp, FakeTwitch } from '../support/app.js';

describe('without @opentelemetry/api installed', () => {
  let fake: FakeTwitch;
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  beforeAll(async () => {
    // An SDK is registered (by the test's own copy of the API): the module must still record nothing.
    metrics.setGlobalMeterProvider(provider);
    fake = await FakeTwitch.start();
  });
  afterAll(async () => {
    await fake.close();
    await provider.shutdown();
    metrics.disable();
  });

  it('loads, calls Helix (cached, retried, failed) and records nothing', async () => {
    // `@opentelemetry/api` is an optional peer: here the module's loader cannot find it.
    setOpenTelemetryLoader(() => {
      throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' });
    });
    expect(loadOpenTelemetry()).toBeNull();
    const t = await createTwitchApp(fake, { debug: true });
    await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
    await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
    fake.inject({ path: '/streams', status: 503, times: 1 });
    await t.api.streams.getStreams({ first: 1 });
    fake.inject({ path: '/streams', status: 400, times: 1 });
    await expect(t.api.streams.getStreams({ first: 1 })).rejects.toThrow();
    await t.close();
    await reader.forceFlush();
    const recorded = exporter.getMetrics().flatMap((r) => r.scopeMetrics.filter((s) => s.scope.name === 'nestjs-twitch'));
    expect(recorded).toEqual([]);
  });
});
