// The bench's fake Twitch, in its own process so that its CPU is never counted against a client.
// Started by run.mjs with `fork`; talks to it over IPC. Serves four fake Twitch instances on
// 127.0.0.1, each on its own port:
//   main  - 100 live streams, a bucket too large to matter: the request and cache scenarios
//   hol   - the same, plus "every 10th /users response delayed 300 ms" (re-armed before each run)
//   rl    - a real bucket (default 120 points refilled over 10 s): the rate-limit scenario
//   pages - 100,000 streams served 100 per page by a custom route: the pagination scenario
// Every instance also answers twurple's mock paths (TWURPLE_MOCK_API_PORT): /mock/<path> is
// /helix/<path> and /auth/<path> is /oauth2/<path> (the fake's `pathAliases` option).
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';

const lib = process.env.BENCH_LIB;
if (!lib) throw new Error('BENCH_LIB (the built module directory) is not set');
const { FakeTwitch } = await import(pathToFileURL(`${lib}/testing/index.js`).href);

const BIG = { capacity: 1_000_000_000, refillMs: 60_000 };
const opts = JSON.parse(process.env.BENCH_SERVER ?? '{}');
const rlBucket = { capacity: opts.rlCapacity ?? 120, refillMs: opts.rlRefillMs ?? 10_000 };
const pageItems = opts.pageItems ?? 100_000;

/** Per-instance status counts of Helix answers and, for the rl instance, when each 2xx/429 left. */
const stats = {};
// twurple's mock paths (TWURPLE_MOCK_API_PORT) are the fake's own Helix and OAuth routes.
const pathAliases = { '/mock/': '/helix/', '/auth/': '/oauth2/' };
const startFake = (name, options) => {
  stats[name] = { statuses: {}, okAt: [], limitedAt: [] };
  const onAnswer = (r) => {
    if (r.route !== 'helix') return;
    const s = stats[name];
    s.statuses[r.status] = (s.statuses[r.status] ?? 0) + 1;
    if (name === 'rl') (r.status === 429 ? s.limitedAt : s.okAt).push(Date.now());
  };
  return FakeTwitch.start({ seed: { streams: 100 }, recordRequests: false, pathAliases, onAnswer, ...options });
};
const fakes = {
  main: await startFake('main', { rateLimit: BIG }),
  hol: await startFake('hol', { rateLimit: BIG }),
  rl: await startFake('rl', { rateLimit: rlBucket }),
  pages: await startFake('pages', { rateLimit: BIG }),
};

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
