// One bench client process: one client and one scenario (or, for `requests` and `cache`, several
// scenarios measured in turn after one shared warm-up). For each scenario it warms up, tells the
// parent it is ready, waits for "go" (the parent resets the fake meanwhile), runs the measured
// batches and sends the results back. Its JSON config comes as argv[2] (bench/profile.mjs, which
// starts it under `node --cpu-prof`, or by hand), or, started by run.mjs with `fork` and no
// argument, in `{ cmd: 'run', cfg }` messages: one scenario after the other until the parent
// disconnects (run.mjs disconnects after the first result, except in a smoke run).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIENTS } from './clients.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const given = process.argv[2] ?? process.env.BENCH_CLIENT;
const forked = typeof process.send === 'function';

function send(msg) {
  if (!forked) {
    if (msg.result || msg.error) console.log(JSON.stringify(msg, null, 2));
  } else if (process.connected) {
    process.send(msg);
  }
}

/** Waits for the parent's "go" (immediately when run by hand). */
function ready() {
  if (!forked) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (msg) => {
      if (msg?.cmd !== 'go') return;
      process.off('message', on);
      resolve();
    };
    process.on('message', on);
    send({ ready: true });
  });
}

/**
 * Runs calls of `op` with `concurrency` workers: `n` calls, or (with `durationMs`) as many as fit in
 * that time and at least `n`. Returns the number of calls and the failures by error class (throws on
 * the first failure unless `tolerate`).
 */
async function drive(op, { n = 0, durationMs = 0, concurrency = 1, tolerate = false }) {
  let started = 0;
  const failures = {};
  const until = durationMs ? performance.now() + durationMs : 0;
  const more = () => started < n || (until && performance.now() < until);
  const worker = async () => {
    while (more()) {
      started++;
      try {
        await op();
      } catch (err) {
        if (!tolerate) throw err;
        const name = err?.constructor?.name ?? 'Error';
        failures[name] = (failures[name] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { calls: started, failures };
}

const maxRssMB = () => process.resourceUsage().maxRSS / 1024;

/** A client by name; `module@DIR` is the module compiled into DIR (to compare two builds side by side). */
function makeClient(cfg) {
  const at = cfg.client.indexOf('@');
  if (cfg.client.startsWith('module@')) return CLIENTS.module({ ...cfg, lib: resolve(ROOT, cfg.client.slice(at + 1)) }, cfg.fake);
  const factory = CLIENTS[cfg.client];
  if (!factory) throw new Error(`unknown client ${cfg.client} (known: ${Object.keys(CLIENTS).join(', ')}, module@DIR)`);
  return factory(cfg, cfg.fake);
}

/**
 * Measures `op` at `concurrency`: warm-up (at least `warmup` calls and `warmupMs`), then CPU of this
 * process per call over a timed batch (at least `n` calls, `durationMs`).
 */
async function measure(op, s) {
  await drive(op, { n: s.warmup, durationMs: s.warmupMs, concurrency: s.concurrency });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { calls } = await drive(op, { n: s.n, durationMs: s.durationMs, concurrency: s.concurrency });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    key: s.key,
    op: s.op,
    concurrency: s.concurrency,
    n: calls,
    cpuUs: (cpu.user + cpu.system) / calls,
    rps: (calls * 1000) / wall,
    rssMB: maxRssMB(),
  };
}

/** Calls every op of `ops` in turn, `concurrency` at a time, for `ms`: the JIT's warm-up, shared by the scenarios that follow. */
async function warmAll(client, ops, ms, concurrency) {
  let i = 0;
  await drive(() => client[ops[i++ % ops.length]](), { n: ops.length, durationMs: ms, concurrency });
}

async function runScenario(cfg) {
  if (cfg.scenario === 'cache') return cacheScenario(cfg);
  const client = await makeClient(cfg);
  const result = { client: cfg.client, scenario: cfg.scenario, op: cfg.op, concurrency: cfg.concurrency };
  switch (cfg.scenario) {
    case 'requests': {
      // Several scenarios in one process, after one warm-up of every code path they use: CPU per
      // call is measured in steady state (the JIT's compiler threads count in process.cpuUsage(),
      // and a big code base such as the module's needs seconds to settle).
      const ops = [...new Set(cfg.scenarios.map((s) => s.op))];
      for (const op of ops) if (!(await client[op]())) throw new Error(`${cfg.client} ${op}: empty answer`);
      await warmAll(client, ops, cfg.warmAllMs, 32);
      await ready();
      result.scenarios = [];
      for (const s of cfg.scenarios) result.scenarios.push(await measure(client[s.op], s));
      result.rssMB = maxRssMB();
      break;
    }
    case 'request': {
      // One scenario (bench/profile.mjs).
      const op = client[cfg.op];
      if (!(await op())) throw new Error(`${cfg.client} ${cfg.op}: empty answer`);
      await ready();
      Object.assign(result, await measure(op, cfg));
      break;
    }
    case 'hol': {
      // Wall time of `n` calls at `concurrency` while the fake delays every 10th answer.
      const op = client[cfg.op];
      await drive(op, { n: cfg.warmup, concurrency: cfg.concurrency });
      await ready();
      const t0 = performance.now();
      await drive(op, { n: cfg.n, concurrency: cfg.concurrency });
      result.n = cfg.n;
      result.wallMs = performance.now() - t0;
      break;
    }
    case 'ratelimit': {
      // As fast as the client allows, on a bucket shared with the other processes.
      await ready();
      const t0 = Date.now();
      const { failures } = await drive(client[cfg.op], { n: cfg.n, concurrency: cfg.concurrency, tolerate: true });
      result.n = cfg.n;
      result.failures = failures;
      result.startedAt = t0;
      result.endedAt = Date.now();
      break;
    }
    case 'paginate': {
      await client.paginate(cfg.warmup);
      await ready();
      result.baseRssMB = process.memoryUsage.rss() / 1024 / 1024;
      const t0 = performance.now();
      result.items = await client.paginate(cfg.items);
      result.wallMs = performance.now() - t0;
      result.rssMB = maxRssMB();
      break;
    }
    default:
      throw new Error(`unknown scenario ${cfg.scenario}`);
  }
  await client.close();
  finished = true;
  send({ result });
}

/**
 * The cache scenario: one Nest app per variant (miss, in-memory hit, Redis hit, ...) in this one
 * process, so they share the JIT's warm-up; each is measured on the same calls, in the given order.
 */
async function cacheScenario(cfg) {
  const apps = {};
  for (const v of cfg.variants) {
    apps[v.key] = await CLIENTS.module(
      { ...cfg, cacheTtl: v.cacheTtl, redisUrl: v.redisUrl, cacheManager: v.cacheManager, moduleOptions: v.moduleOptions },
      cfg.fake,
    );
  }
  for (const v of cfg.variants) await warmAll(apps[v.key], cfg.ops, cfg.warmEachMs, 1);
  await warmAll(apps[cfg.variants[0].key], cfg.ops, cfg.warmAllMs, 1);
  await ready();
  const scenarios = [];
  for (const op of cfg.ops) {
    for (const v of cfg.variants) {
      const r = await measure(apps[v.key][op], { ...cfg.measure, op, concurrency: 1, key: v.key });
      scenarios.push(r);
    }
  }
  for (const app of Object.values(apps)) await app.close();
  finished = true;
  send({ result: { client: 'module', scenario: 'cache', scenarios, rssMB: maxRssMB() } });
}

/** Whether the scenario running (if any) has ended. */
let finished = true;
process.on('beforeExit', () => {
  // The event loop ran dry before the scenario ended: say so instead of exiting silently.
  if (finished) return;
  finished = true;
  send({
    error: `event loop ran dry before the scenario finished (active: ${process.getActiveResourcesInfo().join(', ') || 'none'})`,
  });
});

/** Runs one scenario; false when it failed (the error is sent to the parent). */
async function run(cfg) {
  finished = false;
  try {
    await runScenario(cfg);
    return true;
  } catch (err) {
    finished = true;
    send({ error: String(err?.stack ?? err) });
    process.exitCode = 1;
    return false;
  }
}

/**
 * The next `{ cmd: 'run', cfg }` from the parent, or null once it disconnected. Listens only while no
 * scenario runs: a listener keeps the IPC channel (and so the process) alive, which would hide a
 * scenario whose event loop ran dry.
 */
function nextScenario() {
  return new Promise((resolve) => {
    if (!process.connected) return resolve(null);
    const stop = () => {
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
    };
    const onMessage = (msg) => {
      if (msg?.cmd !== 'run') return;
      stop();
      resolve(msg.cfg);
    };
    const onDisconnect = () => {
      stop();
      resolve(null);
    };
    process.on('message', onMessage);
    process.on('disconnect', onDisconnect);
  });
}

if (given) {
  await run(JSON.parse(given));
  if (forked) process.disconnect();
} else if (forked) {
  for (let cfg = await nextScenario(); cfg && (await run(cfg)); cfg = await nextScenario());
  if (process.connected) process.disconnect();
} else {
  console.error('usage: node bench/client.mjs \'<JSON config>\' (or fork it and send { cmd: "run", cfg })');
  process.exitCode = 2;
}
