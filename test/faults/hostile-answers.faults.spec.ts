import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  TwitchBadRequestException,
  TwitchException,
  TwitchInvalidResponseException,
  TwitchServiceUnavailableException,
} from '../../lib/exceptions/twitch.exception.js';
import { TWITCH_MESSAGE_MAX_LENGTH } from '../../lib/exceptions/twitch-exception.factory.js';
import { TWITCH_DEFAULTS } from '../../lib/twitch.constants.js';
import { createTwitchApp, FakeTwitch, type TestApp } from '../support/app.js';
import { freePort } from '../support/net.js';

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

const USER = {
  id: '141981764',
  login: 'twitchdev',
  display_name: 'TwitchDev',
  type: '',
  broadcaster_type: 'partner',
  description: '',
  profile_image_url: '',
  offline_image_url: '',
  view_count: 0,
  created_at: '2016-12-14T20:32:28Z',
};

const send =
  (status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): Answer =>
  (_req, res) => {
    res.writeHead(status, { 'Content-Type': type, 'Ratelimit-Limit': '800', 'Ratelimit-Remaining': '799', ...headers });
    res.end(body);
  };
const json = (status: number, value: unknown) => send(status, 'application/json; charset=utf-8', JSON.stringify(value));

/**
 * A gzip body that inflates to `mb` MiB of zeros (about 1 KB per MiB): one member holding 1 MiB of zeros,
 * repeated (a gzip stream may hold several members, and gunzip reads them all), so making it costs
 * compressing 1 MiB rather than `mb`.
 */
function gzipBomb(mb: number): Buffer {
  const member = gzipSync(Buffer.alloc(1 << 20), { level: 9 });
  return Buffer.concat(Array.from({ length: mb }, () => member));
}

/** Longest stall of the event loop and highest RSS while `work` runs. */
async function watch<T>(work: () => Promise<T>): Promise<{ result: T; maxLagMs: number; rssGrowthMb: number }> {
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  let last = performance.now();
  let maxLagMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - last - 10);
    last = now;
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, maxLagMs, rssGrowthMb: (peak - rssBefore) / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

describe('hostile answers from Helix', () => {
  let fake: FakeTwitch;
  let server: Server;
  let base: string;
  let answer: Answer;
  let hits = 0;
  let t: TestApp;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    server = createServer((req, res) => {
      hits++;
      req.resume();
      req.on('end', () => answer(req, res));
    });
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // OAuth at the fake Twitch, Helix at the hostile server.
    t = await createTwitchApp(fake, { helixUrl: `${base}/helix`, retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20 } });
    await t.auth.getAppToken();
  });
  afterAll(async () => {
    await t.close();
    for (const s of sockets) s.destroy();
    server.close();
    await fake.close();
  });
  afterEach(() => {
    hits = 0;
  });

  it('an HTML maintenance page with 200 is a 502, retried like one, and never cached', async () => {
    answer = send(200, 'text/html; charset=utf-8', '<!doctype html><html><body><h1>Down for maintenance</h1></body></html>');
    const err = await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 60_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(TwitchInvalidResponseException);
    expect(err.getStatus()).toBe(502);
    expect(err.twitchStatus).toBe(200);
    expect(err.reason).toMatch(/HTML/);
    expect(err.message).toContain('GET /users (Get Users)');
    expect(hits).toBe(3); // first try and retry.maxRetries
    // Twitch recovers: the next identical call asks it again and gets the real answer.
    answer = json(200, { data: [USER] });
    const res = await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 60_000 });
    expect(res.data[0].login).toBe('twitchdev');
    expect(hits).toBe(4);
    // And that one is cached.
    await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 60_000 });
    expect(hits).toBe(4);
  });

  it('truncated JSON, JSON without "data" and a JSON array are 502s', async () => {
    const cases: [Answer, RegExp][] = [
      [send(200, 'application/json', '{"data":[{"id":"141981764","login":"twit'), /not valid JSON/],
      [json(200, { total: 3, pagination: {} }), /no "data"/],
      [json(200, [USER]), /not a JSON object/],
      [json(200, { data: 'twitchdev' }), /neither an array nor an object/],
      [send(200, 'application/json', ''), /empty/],
    ];
    for (const [a, reason] of cases) {
      answer = a;
      const err = await t.api.users.getUsers({ login: ['someone'] }, { cacheTtl: 60_000 }).catch((e) => e);
      expect(err).toBeInstanceOf(TwitchInvalidResponseException);
      expect(err.getStatus()).toBe(502);
      expect(err.reason).toMatch(reason);
    }
  });

  it('JSON nested 200,000 deep is a Nest exception, not a RangeError', async () => {
    const depth = 200_000;
    answer = send(200, 'application/json', `{"data":[${'['.repeat(depth)}${']'.repeat(depth)}]}`);
    const err = await t.api.users.getUsers({ login: ['twitchdev'] }).catch((e) => e);
    expect(err).toBeInstanceOf(TwitchException);
    expect(err).toBeInstanceOf(TwitchInvalidResponseException);
    expect(err.reason).toMatch(/nested more than/);
  });

  it('still takes the answers endpoints document: text for iCalendar, nothing for a 204', async () => {
    const ical = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n';
    answer = send(200, 'text/calendar', ical);
    await expect(t.api.schedule.getChannelICalendar({ broadcasterId: '141981764' })).resolves.toBe(ical);
    answer = (_req, res) => {
      res.writeHead(204, { 'Ratelimit-Limit': '800', 'Ratelimit-Remaining': '798' });
      res.end();
    };
    await expect(
      t.api.channels.modifyChannelInformation({ broadcasterId: '141981764', title: 'x' }, { accessToken: 'user-token' }),
    ).resolves.toBeUndefined();
    // An HTML page where nothing but 204 is documented: the action may not have happened.
    answer = send(200, 'text/html', '<html>maintenance</html>');
    const err = await t.api.channels
      .modifyChannelInformation({ broadcasterId: '141981764', title: 'x' }, { accessToken: 'user-token' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(TwitchInvalidResponseException);
  });

  it('a gzip bomb (unasked-for gzip) is stopped at maxResponseBytes without blocking the loop or filling memory', async () => {
    const bomb = gzipBomb(400);
    expect(bomb.length).toBeLessThan(1_000_000);
    expect(gunzipSync(bomb.subarray(0, bomb.length / 200)).length).toBe(2 << 20); // two members: 2 MiB
    answer = send(200, 'application/json', bomb, { 'Content-Encoding': 'gzip' });
    const call = () => t.api.users.getUsers({ login: ['twitchdev'] }).catch((e) => e);
    const { result: err, maxLagMs, rssGrowthMb } = await watch(call);
    expect(err).toBeInstanceOf(TwitchInvalidResponseException);
    expect(err.reason).toContain(`larger than maxResponseBytes (${TWITCH_DEFAULTS.maxResponseBytes} bytes)`);
    // Inflating 400 MB in one go takes seconds of loop time and GBs of RSS; streamed and bounded, neither.
    expect(maxLagMs).toBeLessThan(1_000);
    expect(rssGrowthMb).toBeLessThan(300);
  });

  it('a 50 MB body is refused as soon as it passes maxResponseBytes, not read whole', async () => {
    let finished = 0;
    answer = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.on('finish', () => finished++);
      const chunk = Buffer.alloc(1 << 20, 'x');
      let sent = 0;
      const pump = () => {
        if (res.destroyed) return;
        if (sent === 0) res.write('{"data":["');
        while (sent < 50) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('"]}');
      };
      pump();
    };
    const err = await t.api.users.getUsers({ login: ['twitchdev'] }).catch((e) => e);
    expect(err).toBeInstanceOf(TwitchInvalidResponseException);
    expect(err.reason).toContain('larger than maxResponseBytes');
    expect(finished).toBe(0);
  });

  it("caps Twitch's message on the exception", async () => {
    const huge = 'm'.repeat(2_000_000);
    answer = json(400, { error: 'Bad Request'.repeat(100), status: 400, message: huge });
    const err = await t.api.users.getUsers({ login: ['twitchdev'] }).catch((e) => e);
    expect(err).toBeInstanceOf(TwitchBadRequestException);
    expect(err.twitchMessage.length).toBeLessThanOrEqual(TWITCH_MESSAGE_MAX_LENGTH + 1);
    expect(err.twitchMessage.startsWith('mmmm')).toBe(true);
    expect(err.message.length).toBeLessThan(TWITCH_MESSAGE_MAX_LENGTH + 200);
    expect(JSON.stringify(err.getResponse()).length).toBeLessThan(2 * TWITCH_MESSAGE_MAX_LENGTH + 500);
  });
});

describe('hostile answers from OAuth', () => {
  let server: Server;
  let answer: Answer;
  let t: TestApp;
  let fake: FakeTwitch;

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(req, res));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    t = await createTwitchApp(fake, { authUrl: `${base}/oauth2`, retry: { maxRetries: 0 } });
  });
  afterAll(async () => {
    await t.close();
    server.close();
    await fake.close();
  });

  it('a token answer that is not a JSON object is a 502, not a token named "undefined"', async () => {
    for (const a of [send(200, 'text/html', '<html>sign-in is down</html>'), send(200, 'application/json', '{"access_tok')]) {
      answer = a;
      const err = await t.auth.requestAppToken().catch((e) => e);
      expect(err).toBeInstanceOf(TwitchInvalidResponseException);
      expect(err.getStatus()).toBe(502);
      const viaHelix = await t.api.users.getUsers({ login: ['twitchdev'] }).catch((e) => e);
      expect(viaHelix).toBeInstanceOf(TwitchInvalidResponseException);
    }
    answer = json(200, { access_token: 'fine-token', expires_in: 3600, token_type: 'bearer' });
    await expect(t.auth.requestAppToken()).resolves.toMatchObject({ accessToken: 'fine-token' });
    // /revoke answers 200 with an empty body.
    answer = send(200, 'text/plain', '');
    await expect(t.auth.revokeToken('fine-token')).resolves.toBeUndefined();
  });
});

describe('an unreachable Twitch', () => {
  let fake: FakeTwitch;
  const apps: TestApp[] = [];
  const closers: (() => void)[] = [];

  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    for (const c of closers) c();
    await fake.close();
  });

  const app = async (helixUrl: string, overrides: Parameters<typeof createTwitchApp>[1] = {}) => {
    const a = await createTwitchApp(fake, { helixUrl, timeout: 10_000, ...overrides });
    apps.push(a);
    await a.auth.getAppToken();
    return a;
  };

  it('fails fast on a refused connection, after its retries, far within one timeout', async () => {
    const port = await freePort();
    const a = await app(`http://127.0.0.1:${port}/helix`, { retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20 } });
    const started = Date.now();
    const err = await a.api.users.getUsers({ login: ['twitchdev'] }).catch((e) => e);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(TwitchServiceUnavailableException);
    expect(err.getStatus()).toBe(503);
    expect(err.message).toContain('ECONNREFUSED');
    expect(elapsed).toBeLessThan(5_000); // timeout is 10 s; the retries used to cost one each
  });

  it('retries a refused connection with backoff and succeeds once Twitch listens', async () => {
    const port = await freePort();
    const a = await app(`http://127.0.0.1:${port}/helix`, { retry: { maxRetries: 8, baseDelayMs: 100, maxDelayMs: 400 } });
    const late = createServer((_req, res) => json(200, { data: [USER] })(_req, res));
    closers.push(() => late.close());
    setTimeout(() => late.listen(port, '127.0.0.1'), 100).unref();
    const started = Date.now();
    const res = await a.api.users.getUsers({ login: ['twitchdev'] });
    expect(res.data[0].login).toBe('twitchdev');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('gives up a connect that does not complete within connectTimeout, and retries it', async () => {
    // Accepts TCP connections and never answers the TLS handshake.
    const silent = createTcpServer();
    let accepted = 0;
    const held = new Set<Socket>();
    silent.on('connection', (s) => {
      accepted++;
      held.add(s);
      s.on('error', () => undefined);
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    closers.push(() => {
      for (const s of held) s.destroy();
      silent.close();
    });
    const port = (silent.address() as AddressInfo).port;
    const retry = { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 20 };
    const a = await app(`https://127.0.0.1:${port}/helix`, { connectTimeout: 300, retry });
    const started = Date.now();
    const err = await a.api.users.getUsers({ login: ['twitchdev'] }).catch((e) => e);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(TwitchServiceUnavailableException);
    expect(err.message).toContain('UND_ERR_CONNECT_TIMEOUT');
    expect(accepted).toBe(2);
    expect(elapsed).toBeLessThan(5_000);
  });
});
