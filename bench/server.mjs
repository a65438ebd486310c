// The bench's fake Twitch, in its own process so that its CPU is never counted against a client.
// Started by run.mjs with `fork`; talks to it over IPC. Serves four fake Twitch instances on
// 127.0.0.1, each on its own port:
//   main  - 100 live streams, a bucket too large to matter: the request and cache scenarios
//   hol   - the same, plus "every 10th /users response delayed 300 ms" (re-armed before each run)
//   rl    - a real bucket (default 120 points refilled over 10 s): the rate-limit scenario
//   pages - 100,000 streams served 100 per page by a custom route: the pagination scenario
// Every instance also answers twurple's mock paths (TWURPLE_MOCK_API_PORT): /mock/<path> is
// /helix/<path> and /auth/<path> is /oauth2/<path> (a path rewrite in front of the fake's handler).
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';

const lib = process.env.BENCH_LIB;
if (!lib) throw new Error('BENCH_LIB (the built module directory) is not set');
const { FakeTwitch } = await import(pathToFileURL(`${lib}/testing/index.js`).href);

const BIG = { capacity: 1_000_000_000, refillMs: 60_000 };
const opts = JSON.parse(process.env.BENCH_SERVER ?? '{}');
const rlBucket = { capacity: opts.rlCapacity ?? 120, refillMs: opts.rlRefillMs ?? 10_000 };
const pageItems = opts.pageItems ?? 100_000;

const fakes = {
  main: await FakeTwitch.start({ seed: { streams: 100 }, rateLimit: BIG, recordRequests: false }),
  hol: await FakeTwitch.start({ seed: { streams: 100 }, rateLimit: BIG, recordRequests: false }),
  rl: await FakeTwitch.start({ seed: { streams: 100 }, rateLimit: rlBucket, recordRequests: false }),
  pages: await FakeTwitch.start({ seed: { streams: 100 }, rateLimit: BIG, recordRequests: false }),
};

/** Per-instance status counts and, for the rl instance, when each 2xx/429 left the server. */
const stats = {};
for (const [name, fake] of Object.entries(fakes)) {
  // FakeTwitch keeps its node:http server private; the bench only needs to see each request
  // before the fake does (twurple's mock paths) and to count the statuses it answers.
  const server = fake.server;
  if (!server || typeof server.prependListener !== 'function') throw new Error('FakeTwitch#server is not reachable');
  stats[name] = { statuses: {}, okAt: [], limitedAt: [] };
  server.prependListener('request', (req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/mock/')) req.url = `/helix/${url.slice(6)}`;
    else if (url.startsWith('/auth/')) req.url = `/oauth2/${url.slice(6)}`;
    if (!req.url.startsWith('/helix/')) return;
    res.once('finish', () => {
      const s = stats[name];
      s.statuses[res.statusCode] = (s.statuses[res.statusCode] ?? 0) + 1;
      if (name === 'rl') (res.statusCode === 429 ? s.limitedAt : s.okAt).push(Date.now());
    });
  });
}

// Pagination: the built-in Get Streams sorts every live stream on every call, too slow for 100k;
// a custom route serves a precomputed list, 100 per page, with a numeric cursor.
const appToken = fakes.main.issueAppToken();
const template = await (
  await fetch(`${fakes.main.helixUrl}/streams?first=100`, {
    headers: { 'Client-Id': fakes.main.clientId, Authorization: `Bearer ${appToken}` },
  })
).json();
const items = [];
for (let i = 0; i < pageItems; i++) {
  const t = template.data[i % template.data.length];
  items.push({ ...t, id: String(60_000_000_000 + i), user_id: String(2_000_000 + i), user_login: `pager${i}` });
}
fakes.pages.route('GET', '/streams', (req) => {
  const first = Math.min(100, Number(req.query.first?.[0] ?? 20));
  const start = Number(req.query.after?.[0] ?? 0);
  const end = Math.min(items.length, start + first);
  const body = { data: items.slice(start, end), pagination: end < items.length ? { cursor: String(end) } : {} };
  return { status: 200, body };
});

function armHol() {
  fakes.hol.clearFaults();
  fakes.hol.inject({ method: 'GET', path: '/users', every: 10, delayMs: 300 });
}
armHol();

function info() {
  const out = {};
  for (const [name, f] of Object.entries(fakes)) {
    out[name] = {
      url: f.url,
      port: Number(new URL(f.url).port),
      helixUrl: f.helixUrl,
      authUrl: f.authUrl,
      clientId: f.clientId,
      clientSecret: f.clientSecret,
      token: f.issueAppToken(),
    };
  }
  return { fakes: out, rlBucket, pageItems, templateBytes: JSON.stringify(template).length };
}

if (typeof process.send !== 'function') {
  // Run by hand (profiling a client): print what a client config needs and keep serving.
  console.log(JSON.stringify(info(), null, 2));
}

process.on('message', async (msg) => {
  const reply = (data) => process.send({ id: msg.id, ...data });
  try {
    switch (msg.cmd) {
      case 'info':
        return reply({ info: info() });
      case 'reset': {
        const s = stats[msg.fake];
        s.statuses = {};
        s.okAt = [];
        s.limitedAt = [];
        if (msg.fake === 'hol') armHol();
        if (msg.fake === 'rl') fakes.rl.setRateLimit(rlBucket);
        return reply({ ok: true });
      }
      case 'stats':
        return reply({ stats: stats[msg.fake] });
      case 'close':
        await Promise.all(Object.values(fakes).map((f) => f.close()));
        reply({ ok: true });
        return process.exit(0);
      default:
        return reply({ error: `unknown command ${msg.cmd}` });
    }
  } catch (err) {
    reply({ error: String(err?.stack ?? err) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
