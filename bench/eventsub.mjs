#!/usr/bin/env node
// `npm run bench:eventsub`: EventSub webhook receivers side by side. Each side runs in its own process
// pinned to one core (bench/eventsub-receiver.mjs: this module on Redis, twurple's EventSubMiddleware,
// a bare node:http floor); one load generator pinned to the other core (bench/eventsub-load.mjs) posts
// signed notifications over loopback keep-alive connections, the same payloads to every side, the
// sides alternated each round. Prints medians and ratios.
// Options (all optional):
//   --rounds N            rounds (default 5)
//   --smoke               tiny counts and 1 round: checks the harness works (used by the tests); its
//                         throughput runs are counted (20 requests of warm-up, 50 measured), not timed
//   --sides LIST          default module,twurple,node:http (also: module:memory, the module with its claims in memory)
//   --payloads LIST       follow,chat (Twitch's channel.follow v2 and channel.chat.message v1 examples)
//   --concurrency N       connections of the throughput scenario (default 32)
//   --warmup-ms MS --measure-ms MS   throughput warm-up and measured run per side and payload (default 2000, 3000)
//   --latency-n N         notifications of the latency scenario, one at a time (default 2000)
//   --retry-every N       every Nth request of the throughput scenario is a retry of an earlier message (default 10)
//   --build tsc|swc|none  how to compile lib/ (default tsc; none runs on --lib-dir as it is, built before)
//   --lib-dir DIR         where the compiled module goes (default bench/.build-eventsub, bench/.build-eventsub-smoke with --smoke)
//   --redis URL           Redis of the module's claims (default $REDIS_URL or redis://127.0.0.1:6379)
//   --json FILE           also write the raw results and medians as JSON
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { libFromArgs, ROOT } from './build.mjs';
import { fmt, parseArgs, deleteRedisKeys } from './util.mjs';

const args = parseArgs(process.argv.slice(2));
const smoke = Boolean(args.smoke);
const ROUNDS = Number(args.rounds ?? (smoke ? 1 : 5));
const SIDES = String(args.sides ?? 'module,twurple,node:http').split(',');
const PAYLOADS = String(args.payloads ?? 'follow,chat').split(',');
const CONCURRENCY = Number(args.concurrency ?? 32);
const WARMUP_MS = Number(args['warmup-ms'] ?? (smoke ? 0 : 2_000));
const MEASURE_MS = Number(args['measure-ms'] ?? (smoke ? 0 : 3_000));
const LATENCY_N = Number(args['latency-n'] ?? (smoke ? 20 : 2_000));
const RETRY_EVERY = Number(args['retry-every'] ?? 10);
const REDIS_URL = args.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'bench-eventsub-secret-0123456789';
const KEY_PREFIX = `${process.env.BENCH_KEY_PREFIX ?? 'bench-eventsub:'}${process.pid}:${Math.random().toString(36).slice(2, 8)}:`;
const LABELS = { follow: 'channel.follow v2', chat: 'channel.chat.message v1' };
const NAMES = {
  module: 'nestjs-twitch',
  'module:memory': 'nestjs-twitch, no Redis',
  twurple: 'twurple',
  'node:http': 'node:http',
};

const log = (...a) => console.log(...a);
const row = (cells) => `| ${cells.join(' | ')} |`;
const children = [];

// Two cores or more: the receivers share the last one (one side is loaded at a time), the load
// generator gets the first. Redis runs wherever the OS puts it.
const canPin = cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const RECEIVER_CORE = String(cpus().length - 1);
const LOAD_CORE = '0';

async function main() {
  log(
    `nestjs-twitch EventSub bench: ${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`,
  );
  log(
    `rounds ${ROUNDS}${smoke ? ' (smoke run: tiny counts, numbers are not meaningful)' : ''}; ` +
      (canPin
        ? `receivers pinned to core ${RECEIVER_CORE}, load generator to core ${LOAD_CORE}`
        : 'taskset unavailable or 1 core: processes not pinned'),
  );
  const libDir = await libFromArgs(args, { outDir: smoke ? 'bench/.build-eventsub-smoke' : 'bench/.build-eventsub', log });

  // Started side by side (nothing is measured yet): the load generator and every receiver.
  const [load, ...started] = await Promise.all([
    start('eventsub-load.mjs', {}, LOAD_CORE),
    ...SIDES.map((side) =>
      start(
        'eventsub-receiver.mjs',
        { side, lib: libDir, redisUrl: REDIS_URL, keyPrefix: KEY_PREFIX, secret: SECRET },
        RECEIVER_CORE,
      ),
    ),
  ]);
  const receivers = {};
  SIDES.forEach((side, i) => {
    receivers[side] = started[i];
    log(`  ${side.padEnd(9)} receiver pid ${receivers[side].child.pid} on 127.0.0.1:${receivers[side].ready.port}`);
  });

  const results = { throughput: [], latency: [] };
  let failures = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of rotate(SIDES, round)) {
      const rc = receivers[side];
      for (const payload of PAYLOADS) {
        const url = `http://127.0.0.1:${rc.ready.port}${rc.ready.paths[payload]}`;
        const base = { url, payload, secret: SECRET };

        // Throughput: warm up, then measure; every notification must be handled exactly once.
        await load.call({
          cmd: 'run',
          ...base,
          mode: 'throughput',
          concurrency: CONCURRENCY,
          durationMs: WARMUP_MS,
          n: 20,
          retryEvery: RETRY_EVERY,
        });
        await drain(rc);
        await rc.call({ cmd: 'reset' });
        const t = await load.call({
          cmd: 'run',
          ...base,
          mode: 'throughput',
          concurrency: CONCURRENCY,
          durationMs: MEASURE_MS,
          n: 50,
          retryEvery: RETRY_EVERY,
        });
        const s = await drained(rc, t.unique);
        const ok2xx = Object.entries(t.statuses)
          .filter(([k]) => k.startsWith('2'))
          .reduce((a, [, v]) => a + v, 0);
        const seconds = Number(BigInt(s.lastNs) - BigInt(t.startNs)) / 1e9;
        const tr = {
          side,
          payload,
          round,
          sent: t.sent,
          unique: t.unique,
          retries: t.retries,
          acked: ok2xx,
          statuses: t.statuses,
          handled: s.handled,
          handledTwice: s.twice,
          perSecond: s.handled / seconds,
          cpuUsPerNotification: s.cpuUs / t.sent,
          rssMB: s.rssMB,
        };
        if (tr.acked !== tr.sent || tr.handled !== tr.unique || tr.handledTwice !== 0) {
          failures++;
          log(
            `  !! ${side} ${payload}: sent ${tr.sent}, acknowledged ${tr.acked} (${JSON.stringify(t.statuses)}), unique ${tr.unique}, handled ${tr.handled}, twice ${tr.handledTwice}`,
          );
        }
        results.throughput.push(tr);

        // Latency: one at a time, from the first byte sent to the handler running.
        await rc.call({ cmd: 'reset', recordTimes: true });
        const l = await load.call({ cmd: 'run', ...base, mode: 'latency', n: LATENCY_N });
        const ls = await drained(rc, l.unique, true);
        const sentAt = new Map(l.sends.map(([q, t0, ack]) => [q, [BigInt(t0), BigInt(ack)]]));
        const toHandler = ls.times.map(([q, at]) => Number(BigInt(at) - sentAt.get(q)[0]) / 1000);
        const toAck = l.sends.map(([, t0, ack]) => Number(BigInt(ack) - BigInt(t0)) / 1000);
        const lr = {
          side,
          payload,
          round,
          n: l.sent,
          handled: ls.handled,
          handlerUs: median(toHandler),
          handlerP99Us: pct(toHandler, 0.99),
          ackUs: median(toAck),
        };
        if (lr.handled !== l.unique) {
          failures++;
          log(`  !! ${side} ${payload} latency: sent ${l.sent}, handled ${lr.handled}`);
        }
        results.latency.push(lr);
        log(
          `  round ${round + 1} ${side.padEnd(9)} ${payload.padEnd(6)} ${fmt(tr.perSecond, 0).padStart(6)}/s  ${fmt(tr.cpuUsPerNotification, 0).padStart(4)} µs CPU  ` +
            `send→handler ${fmt(lr.handlerUs, 0)} µs (p99 ${fmt(lr.handlerP99Us, 0)})  ack ${fmt(lr.ackUs, 0)} µs  [${tr.handled}/${tr.unique} handled, ${tr.retries} retries]`,
        );
      }
    }
  }

  for (const side of SIDES) await receivers[side].call({ cmd: 'close' }).catch(() => undefined);
  await load.call({ cmd: 'close' }).catch(() => undefined);
  await deleteRedisKeys(REDIS_URL, KEY_PREFIX, log);

  const medians = {};
  for (const payload of PAYLOADS) {
    medians[payload] = {};
    for (const side of SIDES) {
      const t = results.throughput.filter((r) => r.side === side && r.payload === payload);
      const l = results.latency.filter((r) => r.side === side && r.payload === payload);
      medians[payload][side] = {
        perSecond: median(t.map((r) => r.perSecond)),
        cpuUs: median(t.map((r) => r.cpuUsPerNotification)),
        handlerUs: median(l.map((r) => r.handlerUs)),
        handlerP99Us: median(l.map((r) => r.handlerP99Us)),
        ackUs: median(l.map((r) => r.ackUs)),
      };
    }
  }
  printTables(medians);
  const exact = results.throughput.filter((r) => r.acked === r.sent && r.handled === r.unique && r.handledTwice === 0);
  const verified = exact.reduce((a, r) => a + r.handled, 0);
  const retried = exact.reduce((a, r) => a + r.retries, 0);
  log('');
  log(
    `Checked: ${verified} notifications handled exactly once in the measured runs (${retried} retries acknowledged and not handled again), ${failures} runs with a difference.`,
  );
  if (args.json) writeFileSync(args.json, JSON.stringify({ machine: machine(), args, results, medians, failures }, null, 2));
  for (const c of children) c.kill('SIGKILL');
  process.exit(failures ? 1 : 0);
}

function printTables(m) {
  const sides = SIDES;
  const hasTwurple = sides.includes('twurple') && sides.includes('module');
  const hasFloor = sides.includes('node:http') && sides.includes('module');
  log('');
  log(`### EventSub webhooks, one core per receiver (${machine()})`);
  log('');
  const head = (what) =>
    row([what, ...sides.map((s) => NAMES[s]), ...(hasTwurple ? ['/ twurple'] : []), ...(hasFloor ? ['/ node:http'] : [])]);
  const align = () => row(['---', ...sides.map(() => '---:'), ...(hasTwurple ? ['---:'] : []), ...(hasFloor ? ['---:'] : [])]);
  const lines = [];
  const table = (title, key, digits, label) => {
    lines.push(head(title), align());
    for (const p of PAYLOADS) {
      const v = (s) => m[p][s][key];
      lines.push(
        row([
          label(p),
          ...sides.map((s) => fmt(v(s), digits)),
          ...(hasTwurple ? [`${fmt(v('module') / v('twurple'), 2)}×`] : []),
          ...(hasFloor ? [`${fmt(v('module') / v('node:http'), 2)}×`] : []),
        ]),
      );
    }
    lines.push('');
  };
  table(`notifications/s handled, concurrency ${CONCURRENCY}`, 'perSecond', 0, (p) => LABELS[p]);
  table('receiver CPU µs per request', 'cpuUs', 0, (p) => LABELS[p]);
  table('µs from sending to the handler, one at a time (median)', 'handlerUs', 0, (p) => LABELS[p]);
  table('µs until the 2xx, one at a time (median)', 'ackUs', 0, (p) => LABELS[p]);
  table('µs from sending to the handler, one at a time (p99)', 'handlerP99Us', 0, (p) => LABELS[p]);
  if (hasFloor) {
    const others = sides.filter((s) => s !== 'node:http');
    lines.push(row(['added latency per notification over the node:http floor, µs (median)', ...others.map((s) => NAMES[s])]));
    lines.push(row(['---', ...others.map(() => '---:')]));
    for (const p of PAYLOADS) {
      const floor = m[p]['node:http'].handlerUs;
      lines.push(row([LABELS[p], ...others.map((s) => fmt(m[p][s].handlerUs - floor, 0))]));
    }
  }
  for (const l of lines) log(l);
}

/** Waits until the receiver has handled nothing new for 200 ms (the warm-up's handlers finishing). */
async function drain(rc) {
  let last = -1;
  for (;;) {
    const s = await rc.call({ cmd: 'stats' });
    if (s.handled === last) return;
    last = s.handled;
    await sleep(200);
  }
}

/** Waits (at most 20 s) until the receiver has handled `n` notifications, then returns its stats. */
async function drained(rc, n, times = false) {
  const until = Date.now() + 20_000;
  for (;;) {
    const s = await rc.call({ cmd: 'stats', times });
    if (s.handled >= n || Date.now() > until) {
      await sleep(50);
      return rc.call({ cmd: 'stats', times });
    }
    await sleep(20);
  }
}

function start(script, cfg, core) {
  const argv = [join(ROOT, 'bench', script), JSON.stringify(cfg)];
  const child = canPin
    ? spawn('taskset', ['-c', core, process.execPath, ...argv], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  let seq = 0;
  const pending = new Map();
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const err = new Error(`${script} ${cfg.side ?? ''} exited (${code})`);
      for (const p of pending.values()) p.reject(err);
      reject(err);
    });
    child.on('message', (msg) => {
      if (msg.ready) {
        resolve({
          child,
          ready: msg,
          call(c) {
            return new Promise((res, rej) => {
              const id = ++seq;
              pending.set(id, { resolve: res, reject: rej });
              child.send({ ...c, id });
            });
          },
        });
        return;
      }
      if (msg.error && !msg.id) {
        reject(new Error(`${script} ${cfg.side ?? ''}: ${msg.error}`));
        return;
      }
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error));
      else p.resolve(msg);
    });
  });
}

function machine() {
  return `${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'cpu'}, Node ${process.version}, Redis at ${REDIS_URL.replace(/\/\/[^@]*@/, '//')}`;
}

function median(xs) {
  return pct(xs, 0.5);
}

function pct(xs, q) {
  const s = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  if (q === 0.5) {
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  }
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function rotate(list, k) {
  const n = k % list.length;
  return [...list.slice(n), ...list.slice(0, n)];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

main().catch((err) => {
  console.error(err?.stack ?? err);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
