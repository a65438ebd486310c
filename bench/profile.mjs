#!/usr/bin/env node
// Where a client's CPU goes: runs one bench client under `node --cpu-prof` against the bench's
// fake Twitch and prints self time per package and per function, in µs per request, over the
// measured batch only (startup and warm-up excluded).
//
//   node bench/profile.mjs [client] [op] [concurrency] [--ms 3000] [--build tsc|swc|none] [--top 25]
//   node bench/profile.mjs module users 32
//   node bench/profile.mjs axios+undici-adapter users 32
//   node bench/profile.mjs module streams 1 --cache-ttl 600000 [--redis [URL]] [--cache-manager memory-raw|redis-json]
//
// The compiled module is taken from bench/.build: built there with tsc when it is missing, reused as
// it is otherwise (`--build tsc|swc` rebuilds it first).
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildLib, ROOT } from './build.mjs';

const argv = process.argv.slice(2);
const flags = {};
const positional = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i].startsWith('--')) flags[argv[i].slice(2)] = argv[i + 1]?.startsWith('--') ? true : argv[++i];
  else positional.push(argv[i]);
}
const [client = 'module', op = 'users', concurrency = '32'] = positional;
const measureMs = Number(flags.ms ?? 3_000);
const top = Number(flags.top ?? 25);
const compiler = flags.build ?? (existsSync(join(ROOT, 'bench/.build/index.js')) ? 'none' : 'tsc');
const libDir = compiler === 'none' ? join(ROOT, 'bench/.build') : await buildLib({ compiler, outDir: 'bench/.build' });

const server = fork(join(ROOT, 'bench', 'server.mjs'), [], {
  env: { ...process.env, BENCH_LIB: libDir, BENCH_SERVER: JSON.stringify({ pageItems: 1_000 }) },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const info = await new Promise((resolve) => {
  server.on('message', (m) => {
    if (m.ready) server.send({ cmd: 'info', id: 1 });
    else if (m.info) resolve(m.info);
  });
});

const dir = join(ROOT, 'bench', '.tmp', 'profiles', `${client}-${op}-c${concurrency}`.replace(/[^\w.+-]/g, '_'));
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const cfg = {
  lib: libDir,
  client,
  scenario: 'request',
  op,
  concurrency: Number(concurrency),
  n: 1,
  warmup: 1_000,
  warmupMs: 1_500,
  durationMs: measureMs,
  fake: info.fakes.main,
  ...(flags['cache-ttl'] ? { cacheTtl: Number(flags['cache-ttl']) } : {}),
  ...(flags.redis ? { redisUrl: flags.redis === true ? (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') : flags.redis } : {}),
  ...(flags['cache-manager'] ? { cacheManager: flags['cache-manager'] } : {}),
};
const result = await new Promise((resolve, reject) => {
  const child = fork(join(ROOT, 'bench', 'client.mjs'), [JSON.stringify(cfg)], {
    execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let out;
  child.on('message', (m) => {
    if (m.ready) child.send({ cmd: 'go' });
    else if (m.result) out = m.result;
    else if (m.error) reject(new Error(m.error));
  });
  child.on('exit', () => (out ? resolve(out) : reject(new Error('client exited without a result'))));
});
server.kill();

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
const requests = result.rps * (measureMs / 1000);
console.log(
  `${client} ${op} c=${concurrency}: ${result.cpuUs.toFixed(0)} µs CPU/request (process.cpuUsage), ${result.rps.toFixed(0)} req/s`,
);
console.log(
  `profile of the last ${measureMs} ms (≈ ${requests.toFixed(0)} requests), self time in µs per request (wall-clock samples):`,
);
report(profile, measureMs, requests);
console.log(`\nprofile: ${join(dir, file)} (open in Chrome DevTools > Performance)`);
process.exit(0);

function report(p, lastMs, n) {
  const byId = new Map(p.nodes.map((node) => [node.id, node]));
  let t = p.startTime;
  const from = p.endTime - lastMs * 1000;
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (t < from) continue;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const where = (url) => {
    if (!url) return null;
    const m = url.match(/node_modules\/((@[^/]+\/)?[^/]+)/);
    if (m) return m[1];
    if (url.includes('/bench/.build/')) return `nestjs-twitch ${url.split('/bench/.build/')[1]}`;
    if (url.startsWith('node:')) return 'node internals';
    return url.split('/').slice(-2).join('/');
  };
  const byPkg = new Map();
  const byFn = new Map();
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const pkg = where(cf.url) ?? cf.functionName;
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
    const fn = `${cf.functionName || '(anonymous)'}  ${where(cf.url) ?? ''}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
  }
  const print = (title, m) => {
    console.log(`\n${title}`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(v / n).toFixed(1).padStart(8)}  ${k}`);
  };
  print('by package / file:', byPkg);
  print('by function:', byFn);
}
