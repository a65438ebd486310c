#!/usr/bin/env node
// `npm run bench`: builds the module, starts the fake Twitch in its own process, runs every client
// in its own process (alternating clients, several rounds) and prints medians and ratios.
// Options (all optional):
//   --rounds N          rounds of the request and head-of-line scenarios (default 5)
//   --smoke             tiny counts and 1 round: checks the harness works (used by the tests); its client
//                       processes are reused from scenario to scenario and client to client (two in all, as
//                       the rate-limit scenario needs two at once; it then runs before the head-of-line and
//                       pagination scenarios instead of alongside them)
//   --only LIST         scenario groups, comma separated: request,cache,hol,ratelimit,pagination
//   --clients LIST      clients of the request scenarios (default module,twurple,node:http,undici,axios;
//                       also available: undici-adapter, axios+undici-adapter = the module's transport alone,
//                       module@DIR = the module compiled into DIR, to compare two builds)
//   --hol-clients LIST  clients of the head-of-line scenario (default module,twurple,undici)
//   --warm-all-ms MS    warm-up of each client process before its scenarios (default 2500)
//   --warmup-ms MS --measure-ms MS   per-scenario warm-up and measured batch (default 500 and 1000)
//   --cache-rounds N --cache-calls users,streams --cache-variants miss,memory,redis,redis-remote[,memory-raw,redis-json]
//   --build tsc|swc|none  how to compile lib/ (default tsc; none runs on --lib-dir as it is, built before)
//   --lib-dir DIR       where the compiled module goes (default bench/.build)
//   --json FILE         also write the raw results, medians and targets as JSON
//   --redis URL         Redis for the cache and rate-limit scenarios (default $REDIS_URL or redis://127.0.0.1:6379)
//   --rl-requests N     total requests of the rate-limit scenario (default 2000, over 4 processes; 1 with --smoke)
//   --rl-capacity N --rl-refill-ms MS   the fake's bucket in the rate-limit scenario (default 120 over 10000 ms)
//   --page-items N      items of the big pagination run (default 100000; the small run is a tenth)
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { libFromArgs, ROOT } from './build.mjs';
import { fmt, median, parseArgs } from './util.mjs';

const args = parseArgs(process.argv.slice(2));
const smoke = Boolean(args.smoke);
const ROUNDS = Number(args.rounds ?? (smoke ? 1 : 5));
const GROUPS = new Set(String(args.only ?? 'request,cache,hol,ratelimit,pagination').split(','));
const CLIENTS = String(args.clients ?? 'module,twurple,node:http,undici,axios').split(',');
const REDIS_URL = args.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RL_REQUESTS = Number(args['rl-requests'] ?? (smoke ? 40 : 2000));
const RL_CAPACITY = Number(args['rl-capacity'] ?? (smoke ? 20 : 120));
const RL_REFILL_MS = Number(args['rl-refill-ms'] ?? (smoke ? 1_000 : 10_000));
const PAGE_ITEMS = Number(args['page-items'] ?? (smoke ? 1_000 : 100_000));
// A smoke run checks the harness, not the sharing: its one client process runs every scenario.
const RL_PROCESSES = smoke ? 1 : 4;
/**
 * Whether a client process runs several scenarios (of any clients) one after the other. Off in a real
 * run: every scenario gets fresh processes (its own JIT warm-up, peak RSS, no CPU left over from an
 * earlier scenario or another client). On in a smoke run, whose numbers mean nothing and whose cost
 * is mostly processes starting (the module's takes about 2 s of CPU to load).
 */
const REUSE = smoke;
const HOL_CLIENTS = String(args['hol-clients'] ?? 'module,twurple,undici').split(',');

/**
 * Request scenarios. Each client process runs all four, in this order, after WARM_ALL_MS of mixed
 * calls: each one warms up (at least `warmup` calls and WARMUP_MS) and measures a batch of
 * MEASURE_MS (at least `n` calls). --smoke runs a few calls of each.
 */
const REQUEST_SCENARIOS = [
  { key: 'users-c1', label: 'Get Users (1 user), concurrency 1', op: 'users', concurrency: 1, n: 200, warmup: 100 },
  { key: 'users-c32', label: 'Get Users (1 user), concurrency 32', op: 'users', concurrency: 32, n: 400, warmup: 200 },
  { key: 'streams-c1', label: 'Get Streams (100 items), concurrency 1', op: 'streams', concurrency: 1, n: 100, warmup: 50 },
  { key: 'streams-c32', label: 'Get Streams (100 items), concurrency 32', op: 'streams', concurrency: 32, n: 200, warmup: 100 },
];
const WARM_ALL_MS = Number(args['warm-all-ms'] ?? (smoke ? 0 : 2_500));
const WARMUP_MS = Number(args['warmup-ms'] ?? (smoke ? 0 : 500));
const MEASURE_MS = Number(args['measure-ms'] ?? (smoke ? 0 : 1_000));
const CACHE_ROUNDS = Number(args['cache-rounds'] ?? Math.min(ROUNDS, 3));
const CACHE_OPS = String(args['cache-calls'] ?? (smoke ? 'users' : 'users,streams')).split(',');
const CACHE_VARIANTS = [
  { key: 'miss', label: 'miss (no cache)', cacheTtl: 0 },
  { key: 'memory', label: 'hit, in-memory cache', cacheTtl: 600_000 },
  // With Redis the module keeps what it read or wrote in a local tier too, so a repeated hit is
  // answered in process; `redis-remote` turns that tier off to measure a read from Redis itself.
  { key: 'redis', label: 'hit, Redis cache (default: local tier on)', cacheTtl: 600_000, redis: true },
  {
    key: 'redis-remote',
    label: 'hit read from Redis (local tier off)',
    cacheTtl: 600_000,
    redis: true,
    moduleOptions: { cache: { localMaxEntries: 0 } },
  },
  // Not run by default: a cache with another Keyv serialization, passed as the public `cache.manager`
  // option (the module's own used Keyv's default serializer before; these were the alternatives).
  { key: 'memory-raw', label: 'hit, in-memory, unserialized (cache.manager)', cacheTtl: 600_000, manager: 'memory-raw' },
  { key: 'redis-json', label: 'hit, Redis, native JSON (cache.manager)', cacheTtl: 600_000, redis: true, manager: 'redis-json' },
];
const CACHE_KEYS = String(args['cache-variants'] ?? 'miss,memory,redis,redis-remote').split(',');
const CACHE_RUN = CACHE_VARIANTS.filter((v) => CACHE_KEYS.includes(v.key));
const scale = (n) => (smoke ? Math.max(4, Math.ceil(n / 100)) : n);

const results = { request: [], cache: [], hol: [], ratelimit: null, pagination: [] };
const log = (...a) => console.log(...a);
const started = Date.now();
let lapStart = started;
/** Logs how long the last group took (so a slow machine shows where the time goes). */
function lap(what) {
  const now = Date.now();
  if (now - lapStart > 1_000)
    log(`  -- ${what}: ${fmt((now - lapStart) / 1000, 0)} s (total ${fmt((now - started) / 1000, 0)} s)`);
  lapStart = now;
}
let server;

async function main() {
  log(
    `nestjs-twitch bench: ${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`,
  );
  log(`rounds ${ROUNDS}${smoke ? ' (smoke run: tiny counts, numbers are not meaningful)' : ''}`);
  const libDir = await libFromArgs(args, { outDir: 'bench/.build', log });

  lap('build');
  server = await startServer(libDir);
  const info = await server.call({ cmd: 'info' });
  log(
    `  fake Twitch pid ${server.child.pid}: ${info.fakes.main.url} (Get Streams page: ${(info.templateBytes / 1024).toFixed(0)} KB)`,
  );
  const base = { lib: libDir };

  if (GROUPS.has('request')) {
    const total = ROUNDS * CLIENTS.length;
    let i = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const client of rotate(CLIENTS, round)) {
        const scenarios = REQUEST_SCENARIOS.map((sc) => ({
          key: sc.key,
          op: sc.op,
          concurrency: sc.concurrency,
          n: scale(sc.n),
          warmup: scale(sc.warmup),
          warmupMs: WARMUP_MS,
          durationMs: MEASURE_MS,
        }));
        const r = await runClient({
          ...base,
          client,
          scenario: 'requests',
          scenarios,
          warmAllMs: WARM_ALL_MS,
          fake: info.fakes.main,
        });
        for (const sr of r.scenarios) results.request.push({ ...sr, client, round, processRssMB: r.rssMB });
        const cells = r.scenarios.map((sr) => `${sr.key} ${fmt(sr.cpuUs, 0).padStart(5)} µs`).join('  ');
        log(`  [request ${++i}/${total}] round ${round + 1} ${client.padEnd(9)} ${cells}  peak RSS ${fmt(r.rssMB, 0)} MB`);
      }
    }
  }

  lap('request scenarios');

  if (GROUPS.has('cache')) {
    for (let round = 0; round < CACHE_ROUNDS; round++) {
      const variants = rotate(CACHE_RUN, round).map((v) => ({
        key: v.key,
        cacheTtl: v.cacheTtl,
        redisUrl: v.redis ? REDIS_URL : undefined,
        cacheManager: v.manager,
        moduleOptions: v.moduleOptions,
      }));
      const cfg = {
        ...base,
        client: 'module',
        scenario: 'cache',
        variants,
        ops: CACHE_OPS,
        warmAllMs: WARM_ALL_MS,
        warmEachMs: smoke ? 0 : 300,
        measure: { n: scale(200), warmup: scale(100), warmupMs: WARMUP_MS, durationMs: MEASURE_MS },
        fake: info.fakes.main,
      };
      const r = await runClient(cfg);
      for (const sr of r.scenarios) results.cache.push({ ...sr, round });
      const cells = r.scenarios.map((sr) => `${sr.op}/${sr.key} ${fmt(sr.cpuUs, 0)}`).join('  ');
      log(`  [cache ${round + 1}/${CACHE_ROUNDS}] µs/req: ${cells}`);
    }
  }

  lap('cache scenarios');

  // The rate-limit scenario mostly waits for its bucket (a few requests per second): it runs while
  // the head-of-line and pagination scenarios (wall time and memory, not CPU) run.
  let rateLimitRun;
  if (GROUPS.has('ratelimit')) {
    log(
      `  [rate limit] ${RL_PROCESSES} processes, ${RL_REQUESTS} requests, bucket ${RL_CAPACITY} points / ${RL_REFILL_MS} ms (≈ ${fmt(estimateRl(), 0)} s, ${REUSE ? 'before' : 'alongside'} the next scenarios)`,
    );
    const keyPrefix = `${process.env.BENCH_KEY_PREFIX ?? 'bench:'}rl:${Date.now().toString(36)}:`;
    const per = Math.ceil(RL_REQUESTS / RL_PROCESSES);
    let markStarted;
    const allStarted = new Promise((r) => (markStarted = r));
    const readyAll = barrier(RL_PROCESSES, async () => {
      await server.call({ cmd: 'reset', fake: 'rl' });
      markStarted();
    });
    const runs = Array.from({ length: RL_PROCESSES }, () =>
      runClient(
        {
          ...base,
          client: 'module',
          scenario: 'ratelimit',
          op: 'users',
          concurrency: 16,
          n: per,
          fake: info.fakes.rl,
          redisUrl: REDIS_URL,
          keyPrefix,
          moduleOptions: { rateLimit: { windowMs: RL_REFILL_MS } },
        },
        readyAll,
        900_000,
      ),
    );
    rateLimitRun = Promise.all(runs).then(async (out) => {
      const st = (await server.call({ cmd: 'stats', fake: 'rl' })).stats;
      results.ratelimit = summarizeRl(out, st);
      const rl = results.ratelimit;
      log(
        `  [rate limit] ${rl.ok} ok, ${rl.limited} × 429, ${rl.failed} failed calls, ${fmt(rl.wallS, 1)} s, ${fmt(rl.achievedPerS, 2)} req/s of ${fmt(rl.sustainablePerS, 2)} sustainable (${fmt(rl.share * 100, 1)} %)`,
      );
    });
    rateLimitRun.catch(() => undefined);
    // Bootstrapping four Nest apps is CPU work: start the other scenarios once they all run. With
    // reused processes, wait for the end instead: the next scenarios then reuse these processes.
    await (REUSE ? rateLimitRun : Promise.race([allStarted, rateLimitRun]));
  }

  if (GROUPS.has('hol')) {
    const holClients = HOL_CLIENTS;
    const total = ROUNDS * holClients.length;
    let i = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const client of rotate(holClients, round)) {
        const cfg = {
          ...base,
          client,
          scenario: 'hol',
          op: 'users',
          concurrency: 32,
          n: smoke ? 40 : 320,
          warmup: smoke ? 10 : 64,
          fake: info.fakes.hol,
        };
        const r = await runClient(cfg, () => server.call({ cmd: 'reset', fake: 'hol' }));
        const st = await server.call({ cmd: 'stats', fake: 'hol' });
        results.hol.push({ ...r, round, statuses: st.stats.statuses });
        log(`  [head-of-line ${++i}/${total}] round ${round + 1} ${client.padEnd(8)} ${fmt(r.wallMs, 0).padStart(5)} ms`);
      }
    }
  }

  if (GROUPS.has('pagination')) {
    const pageClients = ['module', 'twurple'];
    const sizes = [Math.round(PAGE_ITEMS / 10), PAGE_ITEMS];
    for (const client of pageClients) {
      for (const items of sizes) {
        const cfg = { ...base, client, scenario: 'paginate', items, warmup: Math.min(1_000, items), fake: info.fakes.pages };
        const r = await runClient(cfg, undefined, 300_000);
        results.pagination.push(r);
        log(
          `  [pagination] ${client.padEnd(8)} ${String(r.items).padStart(6)} items: peak RSS ${fmt(r.rssMB, 0)} MB (after warm-up ${fmt(r.baseRssMB, 0)} MB), ${fmt(r.wallMs / 1000, 1)} s`,
        );
      }
    }
  }

  lap('head-of-line and pagination scenarios');
  if (rateLimitRun) {
    if (!REUSE) log('  [rate limit] waiting for the rate-limit processes to finish');
    await rateLimitRun;
    lap('rate-limit scenario');
  }

  closeIdleClients();
  await server.call({ cmd: 'close' }).catch(() => undefined);
  const report = render();
  log('');
  log(report.text);
  log(`\ntotal time ${fmt((Date.now() - started) / 1000, 0)} s`);
  if (args.json)
    writeFileSync(
      args.json,
      JSON.stringify({ machine: machine(), results, medians: report.medians, targets: report.targets }, null, 2),
    );
}

// ---- reporting ------------------------------------------------------------------------------------

function render() {
  const lines = [];
  const medians = {};
  const targets = [];
  lines.push(`Machine: ${machine()}`);
  lines.push(
    `Rounds: ${ROUNDS}, clients alternated each round; medians. CPU = user+system CPU of the client process per request.`,
  );

  if (results.request.length) {
    const cols = CLIENTS;
    const showRatios = cols.includes('module') && cols.includes('twurple') && cols.includes('node:http');
    lines.push('');
    lines.push('### CPU per request (µs, median)');
    lines.push('');
    lines.push(row(['scenario', ...cols, ...(showRatios ? ['module / twurple', 'module / node:http'] : [])]));
    lines.push(row(['---', ...cols.map(() => '---:'), ...(showRatios ? ['---:', '---:'] : [])]));
    for (const sc of REQUEST_SCENARIOS) {
      const m = {};
      for (const c of cols) m[c] = median(results.request.filter((r) => r.key === sc.key && r.client === c).map((r) => r.cpuUs));
      medians[sc.key] = { cpuUs: m };
      const cells = [sc.label, ...cols.map((c) => fmt(m[c], 0))];
      if (showRatios) {
        const vsTwurple = m.module / m.twurple;
        const vsFloor = m.module / m['node:http'];
        cells.push(`${fmt(vsTwurple, 2)}×`, `${fmt(vsFloor, 2)}×`);
        targets.push({ target: `${sc.label}: CPU ≤ 0.8× twurple`, value: vsTwurple, limit: 0.8, met: vsTwurple <= 0.8 });
        targets.push({ target: `${sc.label}: CPU ≤ 2× node:http floor`, value: vsFloor, limit: 2, met: vsFloor <= 2 });
      }
      lines.push(row(cells));
    }
    lines.push('');
    lines.push('### Requests per second (median) and peak RSS of each client process (MB, median)');
    lines.push('');
    lines.push(row(['scenario', ...cols]));
    lines.push(row(['---', ...cols.map(() => '---:')]));
    for (const sc of REQUEST_SCENARIOS) {
      const rps = {};
      for (const c of cols) rps[c] = median(results.request.filter((r) => r.key === sc.key && r.client === c).map((r) => r.rps));
      medians[sc.key].rps = rps;
      lines.push(row([`${sc.label} (req/s)`, ...cols.map((c) => fmt(rps[c], 0))]));
    }
    const rss = {};
    for (const c of cols)
      rss[c] = median(
        results.request.filter((r) => r.client === c && r.key === REQUEST_SCENARIOS.at(-1).key).map((r) => r.processRssMB),
      );
    medians.rssMB = rss;
    lines.push(row(['peak RSS of the process, all four scenarios (MB)', ...cols.map((c) => fmt(rss[c], 0))]));
  }

  if (results.cache.length) {
    lines.push('');
    lines.push('### Cache: the module, same call, concurrency 1 (CPU µs per request, median)');
    lines.push('');
    const shown = CACHE_RUN;
    const tuned = shown.some((v) => v.key === 'memory-raw') && shown.some((v) => v.key === 'redis-json');
    const remoteShown = shown.some((v) => v.key === 'redis-remote');
    const redisShown = shown.some((v) => v.key === 'redis');
    const ratioCols = [
      'memory hit / miss',
      ...(redisShown ? ['Redis hit / miss'] : []),
      ...(remoteShown ? ['read from Redis / miss'] : []),
      ...(tuned ? ['unserialized memory hit / miss', 'native-JSON Redis hit / miss'] : []),
    ];
    lines.push(row(['call', ...shown.map((v) => v.label), ...ratioCols]));
    lines.push(row(['---', ...shown.map(() => '---:'), ...ratioCols.map(() => '---:')]));
    medians.cache = {};
    for (const op of CACHE_OPS) {
      const m = {};
      for (const v of shown) m[v.key] = median(results.cache.filter((r) => r.op === op && r.key === v.key).map((r) => r.cpuUs));
      medians.cache[op] = m;
      const mem = m.memory / m.miss;
      const red = m.redis / m.miss;
      const label = op === 'users' ? 'Get Users (1 user)' : 'Get Streams (100 items)';
      const remote = m['redis-remote'] / m.miss;
      const extra = [
        ...(remote ? [`${fmt(remote, 2)}×`] : []),
        ...(tuned ? [`${fmt(m['memory-raw'] / m.miss, 2)}×`, `${fmt(m['redis-json'] / m.miss, 2)}×`] : []),
      ];
      lines.push(
        row([
          label,
          ...shown.map((v) => fmt(m[v.key], 0)),
          `${fmt(mem, 2)}×`,
          ...(redisShown ? [`${fmt(red, 2)}×`] : []),
          ...extra,
        ]),
      );
      targets.push({ target: `${label}: in-memory hit ≤ 0.15× miss`, value: mem, limit: 0.15, met: mem <= 0.15 });
      if (redisShown)
        targets.push({ target: `${label}: Redis-backed cache, hit ≤ 0.5× miss`, value: red, limit: 0.5, met: red <= 0.5 });
      if (remote)
        targets.push({
          target: `${label}: hit read from Redis itself ≤ 0.5× miss`,
          value: remote,
          limit: 0.5,
          met: remote <= 0.5,
        });
    }
  }

  if (results.hol.length) {
    lines.push('');
    lines.push('### Head-of-line: 320 × Get Users at concurrency 32, every 10th answer delayed 300 ms (wall ms, median)');
    lines.push('');
    const extra = HOL_CLIENTS.filter((c) => !['module', 'twurple', 'undici'].includes(c));
    const m = {};
    for (const c of HOL_CLIENTS) m[c] = median(results.hol.filter((r) => r.client === c).map((r) => r.wallMs));
    medians.hol = m;
    lines.push(row(['module', 'twurple', 'undici (raw)', ...extra, 'module / undici', 'twurple / undici']));
    lines.push(row(['---:', '---:', '---:', ...extra.map(() => '---:'), '---:', '---:']));
    const r = m.module / m.undici;
    lines.push(
      row([
        fmt(m.module, 0),
        fmt(m.twurple, 0),
        fmt(m.undici, 0),
        ...extra.map((c) => fmt(m[c], 0)),
        `${fmt(r, 2)}×`,
        `${fmt(m.twurple / m.undici, 2)}×`,
      ]),
    );
    targets.push({ target: 'Head-of-line: wall time ≤ 1.3× raw undici', value: r, limit: 1.3, met: r <= 1.3 });
  }

  if (results.ratelimit) {
    const rl = results.ratelimit;
    lines.push('');
    lines.push(
      `### Rate limit held: ${RL_PROCESSES} processes sharing one Redis, ${rl.requests} × Get Users, fake bucket ${RL_CAPACITY} points refilled over ${RL_REFILL_MS / 1000} s`,
    );
    lines.push('');
    lines.push(
      row(['429s (seen by the fake)', 'failed calls', 'wall s', 'achieved req/s', 'sustainable req/s', 'achieved / sustainable']),
    );
    lines.push(row(['---:', '---:', '---:', '---:', '---:', '---:']));
    lines.push(
      row([
        String(rl.limited),
        String(rl.failed),
        fmt(rl.wallS, 1),
        fmt(rl.achievedPerS, 2),
        fmt(rl.sustainablePerS, 2),
        `${fmt(rl.share * 100, 1)} %`,
      ]),
    );
    medians.ratelimit = rl;
    targets.push({ target: 'Rate limit: 0 × 429', value: rl.limited, limit: 0, met: rl.limited === 0 });
    targets.push({
      target: 'Rate limit: achieved ≥ 95 % of the sustainable rate',
      value: rl.share,
      limit: 0.95,
      met: rl.share >= 0.95,
    });
  }

  if (results.pagination.length) {
    lines.push('');
    lines.push('### Pagination: iterate Get Streams, 100 per page (peak RSS of the process)');
    lines.push('');
    lines.push(row(['client', 'items', 'pages', 'peak RSS MB', 'RSS after warm-up MB', 'wall s']));
    lines.push(row(['---', '---:', '---:', '---:', '---:', '---:']));
    medians.pagination = results.pagination;
    for (const r of results.pagination) {
      lines.push(
        row([
          r.client,
          String(r.items),
          String(Math.ceil(r.items / 100)),
          fmt(r.rssMB, 0),
          fmt(r.baseRssMB, 0),
          fmt(r.wallMs / 1000, 1),
        ]),
      );
    }
    for (const client of ['module', 'twurple']) {
      const rs = results.pagination.filter((r) => r.client === client).sort((a, b) => a.items - b.items);
      if (rs.length === 2) {
        const growth = rs[1].rssMB / rs[0].rssMB;
        if (client === 'module') {
          targets.push({
            target: `Pagination: peak RSS flat from ${rs[0].items} to ${rs[1].items} items (≤ 1.1×)`,
            value: growth,
            limit: 1.1,
            met: growth <= 1.1,
          });
        }
      }
    }
  }

  if (targets.length) {
    lines.push('');
    lines.push('### Targets');
    lines.push('');
    lines.push(row(['target', 'measured', 'met']));
    lines.push(row(['---', '---:', ':---:']));
    for (const t of targets) lines.push(row([t.target, t.limit === 0 ? String(t.value) : fmt(t.value, 2), t.met ? 'yes' : 'NO']));
  }
  return { text: lines.join('\n'), medians, targets };
}

function summarizeRl(out, st) {
  const failures = {};
  for (const r of out) for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v;
  const okAt = st.okAt;
  const ok = okAt.length;
  const limited = st.limitedAt.length;
  const spanMs = okAt.length > 1 ? okAt[okAt.length - 1] - okAt[0] : 0;
  const sustainablePerMs = RL_CAPACITY / RL_REFILL_MS;
  // From a full bucket, the most any client can get in `spanMs` is the capacity plus the refill.
  const achievedPerMs = spanMs > 0 ? (ok - RL_CAPACITY) / spanMs : 0;
  const started = Math.min(...out.map((r) => r.startedAt));
  const ended = Math.max(...out.map((r) => r.endedAt));
  return {
    requests: out.reduce((a, r) => a + r.n, 0),
    ok,
    limited,
    failed: Object.values(failures).reduce((a, b) => a + b, 0),
    failures,
    statuses: st.statuses,
    wallS: (ended - started) / 1000,
    achievedPerS: achievedPerMs * 1000,
    sustainablePerS: sustainablePerMs * 1000,
    share: achievedPerMs / sustainablePerMs,
  };
}

function estimateRl() {
  return Math.max(0, RL_REQUESTS - RL_CAPACITY) / (RL_CAPACITY / (RL_REFILL_MS / 1000));
}

function machine() {
  return `${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB RAM, Linux, Node ${process.version}; fake Twitch on 127.0.0.1 in its own process`;
}

const row = (cells) => `| ${cells.join(' | ')} |`;

function rotate(list, k) {
  const n = k % list.length;
  return [...list.slice(n), ...list.slice(0, n)];
}

// ---- processes ------------------------------------------------------------------------------------

function startServer(libDir) {
  const child = fork(join(ROOT, 'bench', 'server.mjs'), [], {
    env: {
      ...process.env,
      BENCH_LIB: libDir,
      BENCH_SERVER: JSON.stringify({ rlCapacity: RL_CAPACITY, rlRefillMs: RL_REFILL_MS, pageItems: PAGE_ITEMS }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let seq = 0;
  const pending = new Map();
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      for (const p of pending.values()) p.reject(new Error(`fake Twitch exited (${code})`));
      reject(new Error(`fake Twitch exited (${code})`));
    });
    child.on('message', (msg) => {
      if (msg.ready) {
        resolve({
          child,
          call(cmd) {
            return new Promise((res, rej) => {
              const id = ++seq;
              pending.set(id, { resolve: res, reject: rej });
              child.send({ ...cmd, id });
            });
          },
        });
        return;
      }
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error));
      else p.resolve(cmd(msg));
    });
  });
}

/** What a server reply carries: `info` for the info command, else the reply itself. */
const cmd = (msg) => msg.info ?? msg;

/** Client processes that finished their scenario and wait for the next one (REUSE). */
const idleClients = [];
/** Every client process started and not yet exited. */
const clientProcesses = new Set();

/**
 * Runs one scenario in a client process (a new one, or with REUSE an idle one);
 * `onReady` runs between its warm-up and its measured batch. Without REUSE the process is told to
 * exit once its result is in, and the scenario ends when it has.
 */
function runClient(cfg, onReady, timeoutMs = 180_000) {
  let child = REUSE ? idleClients.pop() : undefined;
  if (!child?.connected) {
    child = fork(join(ROOT, 'bench', 'client.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    clientProcesses.add(child);
    child.once('exit', () => clientProcesses.delete(child));
  }
  return new Promise((resolve, reject) => {
    let result;
    let error;
    const done = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const fail = (err) => {
      error ??= err;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => fail(new Error(`${cfg.client} ${cfg.scenario} timed out after ${timeoutMs} ms`)), timeoutMs);
    const onMessage = async (msg) => {
      if (msg.ready) {
        try {
          if (onReady) await onReady();
          child.send({ cmd: 'go' });
        } catch (err) {
          fail(err);
        }
      } else if (msg.result) {
        result = msg.result;
        if (REUSE) {
          done();
          idleClients.push(child);
          resolve(result);
          return;
        }
        child.disconnect();
        // The result is in: do not wait for the process to wind down on its own.
        setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
      } else if (msg.error) {
        fail(new Error(`${cfg.client} ${cfg.scenario}: ${msg.error}`));
      }
    };
    const onExit = (code) => {
      done();
      if (result) resolve(result);
      else reject(error ?? new Error(`${cfg.client} ${cfg.scenario} exited with ${code} and no result`));
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.send({ cmd: 'run', cfg });
  });
}

/** Lets the idle client processes exit (they do once disconnected, else they are killed after 2 s). */
function closeIdleClients() {
  for (const child of idleClients.splice(0)) {
    if (child.connected) child.disconnect();
    setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
  }
}

/** Calls `fn` once all `n` callers arrived, then lets them all go. */
function barrier(n, fn) {
  let arrived = 0;
  let release;
  const all = new Promise((r) => (release = r));
  return async () => {
    if (++arrived === n) release(await fn());
    await all;
  };
}

main().catch(async (err) => {
  console.error(err?.stack ?? err);
  server?.child.kill('SIGKILL');
  for (const child of clientProcesses) child.kill('SIGKILL');
  process.exit(1);
});
