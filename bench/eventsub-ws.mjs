#!/usr/bin/env node
// `npm run bench:eventsub-ws`: the EventSub WebSocket and conduit transports of TwitchEventSubModule.
//   1. Throughput: notifications per second through one WebSocket session into a handler, on the
//      module's full path (claim of each message id in Redis, DTO mapping, handler). The fake Twitch
//      runs in its own process (pinned to core 0 where taskset works), the app in another (last core).
//   2. Recovery: two app instances share a conduit (leases in Redis); one is killed (SIGKILL); the time
//      until every shard is enabled again on a live instance's session, as the fake sees it.
// Options (all optional):
//   --rounds N          rounds of each scenario (default 3)
//   --smoke             tiny counts and 1 round: checks the harness works (used by the tests); the
//                       throughput app's process then serves as the first conduit instance of the
//                       recovery scenario (a real run starts two fresh ones each round)
//   --events N          notifications per throughput round (default 20000)
//   --chunk N           notifications the fake writes per turn of its event loop (default 50)
//   --shards N          shards of the recovery scenario's conduit (default 4)
//   --heartbeat-ms MS --lease-ms MS   conduit timing of the recovery scenario (default the module's: 2000, 6000)
//   --build tsc|swc|none  how to compile lib/ (default tsc; none runs on --lib-dir as it is, built before)
//   --lib-dir DIR       where the compiled module goes (default bench/.build-eventsub-ws, bench/.build-eventsub-ws-smoke with --smoke)
//   --redis URL         Redis (default $REDIS_URL or redis://127.0.0.1:6379)
//   --json FILE         also write the raw results and medians as JSON
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { libFromArgs, ROOT } from './build.mjs';
import { fmt, median, parseArgs, deleteRedisKeys } from './util.mjs';

const args = parseArgs(process.argv.slice(2));
const smoke = Boolean(args.smoke);
const ROUNDS = Number(args.rounds ?? (smoke ? 1 : 3));
const EVENTS = Number(args.events ?? (smoke ? 100 : 20_000));
const CHUNK = Number(args.chunk ?? 50);
const SHARDS = Number(args.shards ?? (smoke ? 2 : 4));
const HEARTBEAT_MS = Number(args['heartbeat-ms'] ?? (smoke ? 200 : 2_000));
const LEASE_MS = Number(args['lease-ms'] ?? (smoke ? 800 : 6_000));
const REDIS_URL = args.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Whether the throughput app's process goes on as a conduit instance (see --smoke). */
const REUSE = smoke;
const KEY_PREFIX = `${process.env.BENCH_KEY_PREFIX ?? 'bench-eventsub-ws:'}${process.pid}:${Math.random().toString(36).slice(2, 8)}:`;
const USER_ID = '141981764';
const FOLLOW = {
  user_login: 'viewer',
  user_name: 'Viewer',
  broadcaster_user_id: USER_ID,
  broadcaster_user_login: 'twitchdev',
  broadcaster_user_name: 'TwitchDev',
  followed_at: '2026-01-02T03:04:05.123456789Z',
};

const log = (...a) => console.log(...a);
const row = (cells) => `| ${cells.join(' | ')} |`;
const children = [];
const canPin = cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const FAKE_CORE = '0';
const APP_CORE = String(cpus().length - 1);
const now = () => performance.timeOrigin + performance.now();

async function main() {
  log(`nestjs-twitch EventSub WebSocket bench: ${machine()}`);
  log(
    `rounds ${ROUNDS}${smoke ? ' (smoke run: tiny counts, numbers are not meaningful)' : ''}; ` +
      (canPin
        ? `fake pinned to core ${FAKE_CORE}, apps to core ${APP_CORE}`
        : 'taskset unavailable or 1 core: processes not pinned'),
  );
  const libDir = await libFromArgs(args, {
    outDir: smoke ? 'bench/.build-eventsub-ws-smoke' : 'bench/.build-eventsub-ws',
    log,
  });

  const fake = await start({ role: 'fake', lib: libDir }, FAKE_CORE);
  const base = {
    lib: libDir,
    moduleOptions: fake.ready.moduleOptions,
    wsUrl: fake.ready.wsUrl,
    redisUrl: REDIS_URL,
    userId: USER_ID,
  };
  let failures = 0;

  // 1. Throughput through one session.
  const token = await fake.call({ cmd: 'token', userId: USER_ID, scopes: ['moderator:read:followers'] });
  const app = await start(
    {
      ...base,
      role: 'ws',
      keyPrefix: `${KEY_PREFIX}ws:`,
      token: { accessToken: token.accessToken, refreshToken: token.refreshToken, expiresIn: token.expiresIn },
    },
    APP_CORE,
  );
  const { subscriptionId } = await fake.call({ cmd: 'subscription', type: 'channel.follow' });
  if (!subscriptionId) throw new Error('the WebSocket session has no channel.follow subscription');
  const throughput = [];
  // Warm-up (not counted).
  await fake.call({ cmd: 'emit', subscriptionId, n: Math.min(EVENTS, 2_000), chunk: CHUNK, event: FOLLOW });
  await settle(app, Math.min(EVENTS, 2_000));
  for (let round = 0; round < ROUNDS; round++) {
    await app.call({ cmd: 'reset' });
    const sent = await fake.call({ cmd: 'emit', subscriptionId, n: EVENTS, chunk: CHUNK, event: FOLLOW });
    const s = await settle(app, EVENTS);
    const seconds = (s.lastAt - sent.startedAt) / 1000;
    const r = {
      round,
      events: EVENTS,
      handled: s.handled,
      dropped: sent.dropped,
      typed: s.typed,
      perSecond: s.handled / seconds,
      cpuUsPerEvent: s.cpuUs / EVENTS,
      rssMB: s.rssMB,
    };
    if (r.handled !== EVENTS || r.dropped || !r.typed) {
      failures++;
      log(`  !! round ${round + 1}: sent ${EVENTS}, dropped by the fake ${r.dropped}, handled ${r.handled}, typed ${r.typed}`);
    }
    throughput.push(r);
    log(
      `  throughput round ${round + 1}: ${fmt(r.perSecond, 0)} events/s, ${fmt(r.cpuUsPerEvent, 0)} µs app CPU per event, RSS ${fmt(r.rssMB, 0)} MB [${r.handled}/${EVENTS} handled]`,
    );
  }
  let reusable = REUSE ? app : undefined;
  if (!reusable) await app.call({ cmd: 'close' }).catch(() => undefined);

  // 2. Recovery after an instance dies.
  const recovery = [];
  for (let round = 0; round < ROUNDS; round++) {
    const cfg = {
      ...base,
      role: 'conduit',
      keyPrefix: `${KEY_PREFIX}c${round}:`,
      conduitName: `bench${round}`,
      shards: SHARDS,
      heartbeatMs: HEARTBEAT_MS,
      leaseMs: LEASE_MS,
    };
    const a = reusable ? await become(reusable, cfg) : await start(cfg, APP_CORE);
    reusable = undefined;
    const b = await start(cfg, APP_CORE);
    const conduitId = a.ready.conduitId;
    const deadline = Date.now() + 30_000 + 4 * LEASE_MS;
    // Both instances serve shards: Twitch (the fake) routes each shard to the session its instance pointed it at.
    for (;;) {
      const [sa, sb, f] = await Promise.all([
        a.call({ cmd: 'status' }),
        b.call({ cmd: 'status' }),
        fake.call({ cmd: 'conduit', conduitId }),
      ]);
      const routed = (s) => s.sessions.length > 0 && s.sessions.every((id) => f.sessions.includes(id));
      if (routed(sa) && routed(sb) && f.served === SHARDS) break;
      if (Date.now() > deadline)
        throw new Error(`recovery round ${round + 1}: the shards were never spread (${f.served} served)`);
      await sleep(20);
    }
    const killedAt = now();
    b.child.kill('SIGKILL');
    let lostAt;
    let recoveredAt;
    for (;;) {
      const f = await fake.call({ cmd: 'conduit', conduitId });
      if (f.served < SHARDS && lostAt === undefined) lostAt = now();
      if (lostAt !== undefined && f.served === SHARDS) {
        recoveredAt = now();
        break;
      }
      if (Date.now() > deadline + 4 * LEASE_MS) break;
      await sleep(10);
    }
    const r = {
      round,
      shards: SHARDS,
      heartbeatMs: HEARTBEAT_MS,
      leaseMs: LEASE_MS,
      recoveryMs: recoveredAt === undefined ? NaN : recoveredAt - killedAt,
    };
    if (Number.isNaN(r.recoveryMs)) failures++;
    recovery.push(r);
    log(
      `  recovery round ${round + 1}: shards re-pointed ${fmt(r.recoveryMs, 0)} ms after the kill (lease ${LEASE_MS} ms, heartbeat ${HEARTBEAT_MS} ms)`,
    );
    await a.call({ cmd: 'close' }).catch(() => undefined);
    a.child.kill('SIGTERM');
  }
  await fake.call({ cmd: 'close' }).catch(() => undefined);
  await deleteRedisKeys(REDIS_URL, KEY_PREFIX, log);

  const medians = {
    perSecond: median(throughput.map((r) => r.perSecond)),
    cpuUsPerEvent: median(throughput.map((r) => r.cpuUsPerEvent)),
    recoveryMs: median(recovery.map((r) => r.recoveryMs)),
    recoveryMaxMs: Math.max(...recovery.map((r) => r.recoveryMs)),
  };
  log('');
  log(`### EventSub WebSocket and conduit transports (${machine()})`);
  log('');
  log(row(['measure', 'median', 'detail']));
  log(row(['---', '---:', '---']));
  log(
    row([
      'events/s through one WebSocket session into a handler',
      fmt(medians.perSecond, 0),
      `claim in Redis, DTO mapping, handler; ${EVENTS} events per round`,
    ]),
  );
  log(row(['app CPU µs per event', fmt(medians.cpuUsPerEvent, 0), 'user + system of the app process']));
  log(
    row([
      "ms until a killed instance's shards are re-pointed",
      fmt(medians.recoveryMs, 0),
      `max ${fmt(medians.recoveryMaxMs, 0)}; ${SHARDS} shards, 2 instances, heartbeat ${HEARTBEAT_MS} ms, lease ${LEASE_MS} ms`,
    ]),
  );
  log('');
  log(
    `Checked: ${throughput.reduce((a, r) => a + r.handled, 0)} events handled through the module, ${failures} rounds with a difference.`,
  );
  if (args.json)
    writeFileSync(args.json, JSON.stringify({ machine: machine(), args, throughput, recovery, medians, failures }, null, 2));
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  process.exit(failures ? 1 : 0);
}

/** Waits until the app has handled `n` events (or nothing new for 5 s). */
async function settle(app, n) {
  let last = -1;
  let since = Date.now();
  for (;;) {
    const s = await app.call({ cmd: 'stats' });
    if (s.handled >= n) return s;
    if (s.handled !== last) {
      last = s.handled;
      since = Date.now();
    } else if (Date.now() - since > 5_000) return s;
    await sleep(5);
  }
}

function start(cfg, core) {
  const argv = [join(ROOT, 'bench', 'eventsub-ws-worker.mjs'), JSON.stringify(cfg)];
  const child = canPin
    ? spawn('taskset', ['-c', core, process.execPath, ...argv], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  let seq = 0;
  const pending = new Map();
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => {
      const err = new Error(`bench worker ${cfg.role} exited (${code ?? signal})`);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
      reject(err);
    });
    child.on('message', (msg) => {
      if (msg.ready) {
        resolve({
          child,
          ready: msg,
          call: (req) =>
            new Promise((res, rej) => {
              const id = ++seq;
              pending.set(id, { resolve: res, reject: rej });
              child.send({ ...req, id });
            }),
        });
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

/** The worker `w` closes its app and starts one of another role (`cfg.role`) in the same process. */
async function become(w, cfg) {
  const ready = await w.call({ cmd: 'become', cfg });
  return { ...w, ready };
}

function machine() {
  return `${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'cpu'}, Node ${process.version}, Redis at ${REDIS_URL.replace(/\/\/[^@]*@/, '//')}`;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

main().catch((err) => {
  console.error(err);
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  process.exit(1);
});
