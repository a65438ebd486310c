// One EventSub webhook receiver of the EventSub bench (bench/eventsub.mjs starts one per side, each
// pinned to one core): `module` (a Nest app on Express with TwitchModule on Redis and
// TwitchEventSubModule: signature, replay window, claim in Redis, typed DTO, handlers after the ack),
// `twurple` (@twurple/eventsub-http's EventSubMiddleware on a plain Express app, unmanaged: signature,
// replay window, duplicates remembered in memory, handler) and `node:http` (the floor: node:http,
// HMAC check, JSON.parse, duplicates in a Map, handler). Every handler records the notification's
// sequence number (carried in the user id) and the monotonic time it ran; the parent reads them over IPC.
import http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const cfg = JSON.parse(process.argv[2] ?? '{}');
const send = (msg) => process.connected && process.send(msg);

const BROADCASTER = '1337';
const CHATTER = '9001';
let handled = 0;
let twice = 0;
let lastNs = 0n;
let seen = new Set();
let times = [];
let cpuStart = process.cpuUsage();
let recordTimes = false;

/** Called by every side's handler with the notification's sequence number. */
function onEvent(seq) {
  const now = process.hrtime.bigint();
  handled++;
  lastNs = now;
  if (seen.has(seq)) twice++;
  else seen.add(seq);
  if (recordTimes) times.push([seq, String(now)]);
}

async function moduleSide() {
  await import('reflect-metadata');
  const twitch = await import(pathToFileURL(`${cfg.lib}/index.js`).href);
  const { NestFactory } = await import('@nestjs/core');
  const { Module } = await import('@nestjs/common');
  class BenchModule {}
  Module({
    imports: [
      twitch.TwitchModule.forRoot({
        clientId: 'benchclientid',
        clientSecret: 'benchclientsecret',
        redirectUri: 'http://127.0.0.1:3000/auth/twitch/callback',
        // Never called: no subscription is created and no token is needed to receive webhooks.
        helixUrl: 'http://127.0.0.1:9/helix',
        authUrl: 'http://127.0.0.1:9/oauth2',
        // module:memory: claims in the process (no Redis), to show what the Redis round trip costs.
        ...(cfg.side === 'module:memory' ? {} : { redis: { url: cfg.redisUrl } }),
        keyPrefix: cfg.keyPrefix,
        tokens: { validateOnStartup: false },
        isGlobal: true,
      }),
      twitch.TwitchEventSubModule.forRoot({
        webhook: { callbackUrl: 'https://example.com/eventsub', secret: cfg.secret },
        reconcile: { onStartup: false },
      }),
    ],
  })(BenchModule);
  const app = await NestFactory.create(BenchModule, { logger: false, rawBody: true });
  const service = app.get(twitch.TwitchEventSubService);
  service.on('channel.follow', '2', (event) => onEvent(Number(event.userId)));
  service.on('channel.chat.message', '1', (event) => onEvent(Number(event.chatterUserId)));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  return { paths: { follow: '/eventsub', chat: '/eventsub' }, port, close: () => app.close() };
}

async function twurpleSide() {
  const { default: express } = await import('express');
  const { EventSubMiddleware } = await import('@twurple/eventsub-http');
  const app = express();
  const middleware = new EventSubMiddleware({
    managed: false,
    clientId: 'benchclientid',
    secret: cfg.secret,
    hostName: 'example.com',
    pathPrefix: '/twitch',
    logger: { minLevel: 'critical' },
  });
  middleware.apply(app);
  const follow = middleware.onChannelFollow(BROADCASTER, BROADCASTER, (event) => onEvent(Number(event.userId)));
  const chat = middleware.onChannelChatMessage(BROADCASTER, CHATTER, (event) => onEvent(Number(event.chatterId)));
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  await middleware.markAsReady();
  return {
    paths: { follow: `/twitch/event/${follow.id}`, chat: `/twitch/event/${chat.id}` },
    port: server.address().port,
    close: () => new Promise((r) => server.close(r)),
  };
}

/** The floor: what any receiver has to do, and nothing more. */
async function floorSide() {
  const claimed = new Map();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const id = req.headers['twitch-eventsub-message-id'];
      const timestamp = req.headers['twitch-eventsub-message-timestamp'];
      const given = Buffer.from(String(req.headers['twitch-eventsub-message-signature'] ?? ''));
      const expected = Buffer.from(
        `sha256=${createHmac('sha256', cfg.secret).update(id).update(timestamp).update(raw).digest('hex')}`,
      );
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        res.writeHead(403).end();
        return;
      }
      if (Math.abs(Date.now() - Date.parse(timestamp)) > 600_000) {
        res.writeHead(400).end();
        return;
      }
      const body = JSON.parse(raw.toString('utf8'));
      res.writeHead(204).end();
      if (claimed.has(id)) return;
      claimed.set(id, Date.now());
      const e = body.event;
      onEvent(Number(body.subscription.type === 'channel.follow' ? e.user_id : e.chatter_user_id));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    paths: { follow: '/eventsub', chat: '/eventsub' },
    port: server.address().port,
    close: () => new Promise((r) => server.close(r)),
  };
}

const SIDES = { module: moduleSide, 'module:memory': moduleSide, twurple: twurpleSide, 'node:http': floorSide };

async function main() {
  const side = await SIDES[cfg.side]();
  process.on('message', async (msg) => {
    if (msg.cmd === 'reset') {
      handled = 0;
      twice = 0;
      lastNs = 0n;
      seen = new Set();
      times = [];
      recordTimes = Boolean(msg.recordTimes);
      cpuStart = process.cpuUsage();
      send({ id: msg.id });
    } else if (msg.cmd === 'stats') {
      const cpu = process.cpuUsage(cpuStart);
      send({
        id: msg.id,
        handled,
        twice,
        lastNs: String(lastNs),
        cpuUs: cpu.user + cpu.system,
        rssMB: process.memoryUsage().rss / 2 ** 20,
        ...(msg.times ? { times } : {}),
      });
    } else if (msg.cmd === 'close') {
      await side.close();
      send({ id: msg.id });
      setTimeout(() => process.exit(0), 100).unref();
    }
  });
  send({ ready: true, port: side.port, paths: side.paths });
}

main().catch((err) => {
  send({ error: String(err?.stack ?? err) });
  process.exit(1);
});
