#!/usr/bin/env node
// `npm run bench:faults`: the module under a sick network and a stalled Redis.
// 20,000 Get Users calls at concurrency 64 against the fake Twitch (in its own process) with about
// 5 % of answers faulted (503s, dropped sockets, answers slower than the call's timeout), through a
// private redis-server that is paused (SIGSTOP) for 5 s in the middle of the run. Half the calls ask
// for the cache. Reports: calls that never settled, the slowest settle against the documented call
// budget, outcomes by class, and the heap (after a full GC) at the start, middle and end.
// Options: --calls N (default 20000)  --concurrency N (64)  --pause-ms MS (5000)  --smoke (tiny run)
//          --json FILE  --build swc|tsc|none (default swc; none runs on --lib-dir as it is, built before)
//          --lib-dir DIR (default bench/.build-faults)
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { libFromArgs } from './build.mjs';
import { parseArgs } from './util.mjs';

const args = parseArgs(process.argv.slice(2));
const smoke = Boolean(args.smoke);
const CALLS = Number(args.calls ?? (smoke ? 300 : 20_000));
const CONCURRENCY = Number(args.concurrency ?? (smoke ? 16 : 64));
// The smoke run's pause still outlasts a Redis command's timeout (redis.commandTimeoutMs, 500 ms).
const PAUSE_MS = Number(args['pause-ms'] ?? (smoke ? 600 : 5_000));
const TIMEOUT = 1_000;
const role = process.env.BENCH_FAULTS_ROLE;

if (role === 'server') await server();
else if (role === 'client') await client();
else await main();

/** Parent: builds the module, starts Redis and the fake, runs the client process, prints the table. */
async function main() {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.error('bench:faults needs the redis-server binary (it pauses its own Redis with SIGSTOP)');
    process.exit(1);
  }
  const lib = await libFromArgs(args, { outDir: 'bench/.build-faults', compiler: 'swc' });
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'twitch-bench-redis-'));
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  await new Promise((r) => setTimeout(r, 300));
  const env = { ...process.env, BENCH_LIB: lib };
  const fake = fork(new URL(import.meta.url).pathname, [], { env: { ...env, BENCH_FAULTS_ROLE: 'server' } });
  const fakeInfo = await new Promise((resolve) => fake.once('message', resolve));
  const cfg = {
    fake: fakeInfo,
    redisUrl: `redis://127.0.0.1:${port}`,
    calls: CALLS,
    concurrency: CONCURRENCY,
    pauseMs: PAUSE_MS,
  };
  const child = fork(new URL(import.meta.url).pathname, [], {
    env: { ...env, BENCH_FAULTS_ROLE: 'client', BENCH_FAULTS: JSON.stringify(cfg) },
    execArgv: ['--expose-gc'],
  });
  let paused = false;
  child.on('message', (msg) => {
    if (msg.cmd === 'pause' && !paused) {
      paused = true;
      redis.kill('SIGSTOP');
      setTimeout(() => redis.kill('SIGCONT'), PAUSE_MS);
    }
  });
  const result = await new Promise((resolve, reject) => {
    child.on('message', (msg) => msg.result && resolve(msg.result));
    child.on('exit', (code) => reject(new Error(`client exited with ${code} before reporting`)));
  });
  fake.kill();
  redis.kill('SIGCONT');
  redis.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  print(result);
  if (args.json) writeFileSync(args.json, JSON.stringify(result, null, 2));
  const ok = result.hung === 0 && result.overBudget === 0;
  console.log(ok ? 'faults: every call settled within its budget' : 'faults: FAILED (hung or over-budget calls)');
  process.exit(ok ? 0 : 1);
}

function print(r) {
  const row = (cells) => `| ${cells.join(' | ')} |`;
  console.log(
    `\n${r.calls} calls, concurrency ${r.concurrency}, Redis paused ${r.pauseMs} ms mid-run, timeout ${r.timeout} ms, budget ${r.budgetMs} ms`,
  );
  console.log(row(['measure', 'value']));
  console.log(row(['---', '---']));
  console.log(row(['calls that never settled', r.hung]));
  console.log(row(['calls over the budget', r.overBudget]));
  console.log(row(['slowest settle (ms)', r.maxMs]));
  console.log(row(['p99 settle (ms)', r.p99Ms]));
  console.log(row(['slowest settle while Redis was paused (ms)', r.maxPausedMs]));
  console.log(row(['wall time (s)', (r.wallMs / 1000).toFixed(1)]));
  for (const [k, v] of Object.entries(r.outcomes).sort()) console.log(row([`outcome: ${k}`, v]));
  console.log(row(['heap after GC: start / middle / end (MB)', r.heapMB.map((h) => h.toFixed(1)).join(' / ')]));
}

/** The fake Twitch with about 5 % faulted Get Users answers. */
async function server() {
  const { FakeTwitch } = await import(pathToFileURL(`${process.env.BENCH_LIB}/testing/index.js`).href);
  const fake = await FakeTwitch.start({ rateLimit: { capacity: 1_000_000_000, refillMs: 60_000 }, recordRequests: false });
  for (let i = 0; i < 300; i++) fake.addUser({ id: String(10_000 + i), login: `user${i}` });
  // Three rules on co-prime periods: ≈2 % 503, ≈1.5 % dropped sockets, ≈1.6 % answers after the timeout.
  fake.inject({ method: 'GET', path: '/users', every: 50, status: 503 });
  fake.inject({ method: 'GET', path: '/users', every: 67, drop: true });
  fake.inject({ method: 'GET', path: '/users', every: 61, delayMs: TIMEOUT + 500 });
  process.send({ ...fake.moduleOptions() });
  process.on('disconnect', () => process.exit(0));
}

/** The module in a Nest app context, driving the calls. */
async function client() {
  const cfg = JSON.parse(process.env.BENCH_FAULTS);
  const lib = process.env.BENCH_LIB;
  await import('reflect-metadata');
  const { Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { TwitchModule, TwitchApiService } = await import(pathToFileURL(`${lib}/index.js`).href);
  const { callBudgetMs, resolveTwitchOptions } = await import(pathToFileURL(`${lib}/twitch-options.js`).href);
  const options = {
    ...cfg.fake,
    redis: { url: cfg.redisUrl },
    timeout: TIMEOUT,
    rateLimit: { maxWaitMs: 2_000 },
    retry: { maxRetries: 2, baseDelayMs: 20, maxDelayMs: 200 },
  };
  const budgetMs = callBudgetMs(resolveTwitchOptions(options));
  class AppModule {}
  Module({ imports: [TwitchModule.forRoot(options)] })(AppModule);
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
  const api = app.get(TwitchApiService);
  const heap = () => {
    global.gc();
    return process.memoryUsage().heapUsed / 2 ** 20;
  };

  const durations = [];
  const outcomes = {};
  let started = 0;
  let settled = 0;
  let maxPausedMs = 0;
  let pausedFrom = 0;
  const heapMB = [heap()];
  const t0 = performance.now();
  const one = async (i) => {
    const cached = i % 2 === 0;
    const id = String(10_000 + (i % 300));
    const begin = performance.now();
    try {
      await api.users.getUsers({ id: [id] }, cached ? { cacheTtl: 2_000 } : {});
      outcomes.ok = (outcomes.ok ?? 0) + 1;
    } catch (err) {
      const name = err?.constructor?.name ?? 'Error';
      outcomes[name] = (outcomes[name] ?? 0) + 1;
    }
    const ms = performance.now() - begin;
    durations.push(ms);
    if (pausedFrom && begin >= pausedFrom && begin < pausedFrom + cfg.pauseMs) maxPausedMs = Math.max(maxPausedMs, ms);
    settled++;
  };
  const worker = async () => {
    while (started < cfg.calls) {
      const i = started++;
      if (i === Math.floor(cfg.calls / 2)) {
        heapMB.push(heap());
        pausedFrom = performance.now();
        process.send({ cmd: 'pause' });
      }
      await one(i);
    }
  };
  // A watchdog ends the run if calls stop settling: whatever is still pending then is hung.
  const allDone = Promise.all(Array.from({ length: cfg.concurrency }, worker));
  let lastSettled = -1;
  let stuckSince = performance.now();
  const watchdog = new Promise((resolve) => {
    const timer = setInterval(() => {
      if (settled !== lastSettled) {
        lastSettled = settled;
        stuckSince = performance.now();
      } else if (performance.now() - stuckSince > budgetMs * 2) {
        clearInterval(timer);
        resolve('stuck');
      }
    }, 250);
    allDone.then(() => {
      clearInterval(timer);
      resolve('done');
    });
  });
  const how = await watchdog;
  const wallMs = performance.now() - t0;
  heapMB.push(heap());
  durations.sort((a, b) => a - b);
  const result = {
    calls: cfg.calls,
    concurrency: cfg.concurrency,
    pauseMs: cfg.pauseMs,
    timeout: TIMEOUT,
    budgetMs,
    hung: how === 'stuck' ? started - settled : 0,
    overBudget: durations.filter((d) => d > budgetMs).length,
    maxMs: Math.round(durations.at(-1) ?? 0),
    p99Ms: Math.round(durations[Math.floor(durations.length * 0.99)] ?? 0),
    maxPausedMs: Math.round(maxPausedMs),
    wallMs: Math.round(wallMs),
    outcomes,
    heapMB,
  };
  process.send({ result });
  if (how === 'done') await app.close();
  process.exit(0);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
