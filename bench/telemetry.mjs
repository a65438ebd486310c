// The CPU cost of the module's telemetry: CPU per request with no OpenTelemetry SDK (the API's no-ops)
// against an SDK installed with metrics and traces recorded, side by side, same calls.
//   node bench/telemetry.mjs [--rounds 4] [--measure-ms 1500] [--lib-dir bench/.build-telemetry]
// - compiles lib/ with swc into bench/.build-telemetry (about 1 s)
// - runs the fake Twitch in its own process (its CPU is never counted), with a bucket too large to matter
// - runs each variant in its own process, alternating (off on, on off, ...), and takes the median
// Variants:
//   off      no SDK registered (the default of an app without OpenTelemetry)
//   sdk      MeterProvider (a reader collecting every second) and BasicTracerProvider (a batch span
//            processor, every span sampled) registered; exporters drop what they get, so the cost is
//            the module's recording and the SDK's aggregation, not an exporter's network
//   sdk+debug the same with `debug: true` and a Nest logger that prints nothing (the debug line built)
// Scenarios: Get Users (1 user) uncached, and the same answered from the cache's local tier; concurrency 1.
import 'reflect-metadata';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildLib, ROOT } from './build.mjs';
import { median } from './util.mjs';

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
};
const role = arg('--role', 'main');

if (role === 'server') await server();
else if (role === 'client') await client(JSON.parse(arg('--config', '{}')));
else await main();

async function main() {
  const rounds = Number(arg('--rounds', 4));
  const measureMs = Number(arg('--measure-ms', 1_500));
  const libDir = await buildLib({ outDir: arg('--lib-dir', 'bench/.build-telemetry'), compiler: 'swc' });
  const srv = fork(join(ROOT, 'bench', 'telemetry.mjs'), ['--role', 'server'], { env: { ...process.env, BENCH_LIB: libDir } });
  const fake = await new Promise((resolve) => srv.once('message', resolve));
  const variants = ['off', 'sdk', 'sdk+debug'];
  const results = {};
  for (let r = 0; r < rounds; r++) {
    const order = variants.map((_, i) => variants[(i + r) % variants.length]);
    for (const variant of order) {
      const out = await run(libDir, { variant, fake, measureMs });
      for (const [scenario, us] of Object.entries(out)) ((results[scenario] ??= {})[variant] ??= []).push(us);
    }
    const last = Object.entries(results).map(
      ([k, v]) => `${k}: ${variants.map((x) => `${x} ${v[x].at(-1).toFixed(0)}`).join(', ')}`,
    );
    console.log(`  round ${r + 1}/${rounds}: ${last.join(' | ')}`);
  }
  srv.kill();
  console.log('');
  console.log(`CPU µs per request (median of ${rounds} rounds, ${measureMs} ms each, concurrency 1)`);
  console.log('| scenario | no SDK | SDK, metrics and traces | SDK / no SDK | SDK + debug line | (SDK + debug) / no SDK |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [scenario, byVariant] of Object.entries(results)) {
    const off = median(byVariant.off);
    const on = median(byVariant.sdk);
    const dbg = median(byVariant['sdk+debug']);
    console.log(
      `| ${scenario} | ${off.toFixed(0)} | ${on.toFixed(0)} | ${(on / off).toFixed(2)} | ${dbg.toFixed(0)} | ${(dbg / off).toFixed(2)} |`,
    );
  }
}

function run(libDir, cfg) {
  return new Promise((resolve, reject) => {
    const child = fork(join(ROOT, 'bench', 'telemetry.mjs'), ['--role', 'client', '--config', JSON.stringify(cfg)], {
      env: { ...process.env, BENCH_LIB: libDir },
    });
    child.once('message', resolve);
    child.once('exit', (code) => (code ? reject(new Error(`client ${cfg.variant} exited with ${code}`)) : undefined));
  });
}

async function server() {
  const { FakeTwitch } = await import(pathToFileURL(`${process.env.BENCH_LIB}/testing/index.js`).href);
  const fake = await FakeTwitch.start({ recordRequests: false, rateLimit: { capacity: 1_000_000_000, refillMs: 60_000 } });
  process.send(fake.moduleOptions());
}

async function client({ variant, fake, measureMs }) {
  const lib = process.env.BENCH_LIB;
  if (variant !== 'off') {
    const { metrics, trace } = await import('@opentelemetry/api');
    const { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality } = await import('@opentelemetry/sdk-metrics');
    const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    const drop = {
      export: (_items, done) => done({ code: 0 }),
      shutdown: async () => undefined,
      forceFlush: async () => undefined,
      selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
    };
    metrics.setGlobalMeterProvider(
      new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: drop, exportIntervalMillis: 1_000 })] }),
    );
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(drop)] }));
  }
  const { Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { TwitchModule, TwitchApiService } = await import(pathToFileURL(`${lib}/index.js`).href);
  const debug = variant === 'sdk+debug';
  const silent = { log() {}, error() {}, warn() {}, debug() {}, verbose() {} };
  class BenchModule {}
  Module({ imports: [TwitchModule.forRoot({ ...fake, debug })] })(BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: debug ? silent : false });
  const api = app.get(TwitchApiService);
  const scenarios = {
    'Get Users, uncached': () => api.users.getUsers({ login: ['twitchdev'] }),
    'Get Users, cache hit (local tier)': () => api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 600_000 }),
  };
  const out = {};
  // Warm up every path first: V8's optimizing compiler threads count in cpuUsage().
  const warmUntil = Date.now() + 2_500;
  while (Date.now() < warmUntil) for (const call of Object.values(scenarios)) await call();
  for (const [name, call] of Object.entries(scenarios)) {
    const until = Date.now() + 500;
    while (Date.now() < until) await call();
    let n = 0;
    const t0 = process.cpuUsage();
    const end = Date.now() + measureMs;
    while (Date.now() < end) {
      await call();
      n++;
    }
    const c = process.cpuUsage(t0);
    out[name] = (c.user + c.system) / n;
  }
  process.send(out);
  await app.close();
  process.exit(0);
}
