// A process of `bench/eventsub-ws.mjs`, driven over IPC. argv[2] is its JSON configuration; `role` is
//   fake     - the fake Twitch (Helix, OAuth, EventSub WebSocket server and conduits), emitting on request
//   ws       - a Nest app with TwitchModule (claims in Redis) and TwitchEventSubModule on transport
//              'websocket': one session, one channel.follow subscription, a handler counting events
//   conduit  - a Nest app with TwitchEventSubModule on transport 'conduit' (leases in Redis)
// Requests are `{ id, cmd, ... }`; every answer is `{ id, ok, ... }` or `{ id, error }`. An app role
// can `become` another (`{ cmd: 'become', cfg }`): it closes its app and starts the other role's in
// this process, answering with what that role's ready message carries.
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';

const now = () => performance.timeOrigin + performance.now();

// The bench is gone (killed, or its pipe closed): so is this worker.
process.on('disconnect', () => process.exit(0));

const handlers = { fake: fakeRole, ws: wsRole, conduit: conduitRole };
const initial = JSON.parse(process.argv[2]);
let commands = await handlers[initial.role](initial);
process.on('message', async (msg) => {
  try {
    if (msg.cmd === 'become') {
      await commands.stop();
      commands = await handlers[msg.cfg.role](msg.cfg);
      process.send({ id: msg.id, ok: true, ...(commands.ready ? await commands.ready() : {}) });
      return;
    }
    const out = await commands[msg.cmd](msg);
    process.send({ id: msg.id, ok: true, ...out });
  } catch (err) {
    process.send({ id: msg.id, error: err?.stack ?? String(err) });
  }
});
process.send({ ready: true, ...(commands.ready ? await commands.ready() : {}) });

/** The module (and Nest) for the app roles; the fake needs only lib/testing. */
async function loadModule(cfg) {
  const [{ Module }, { NestFactory }, lib, runner] = await Promise.all([
    import('@nestjs/common'),
    import('@nestjs/core'),
    import(`${cfg.lib}/index.js`),
    // The transport runner is internal (not in the package root): from its own file.
    import(`${cfg.lib}/eventsub/transports/twitch-eventsub-transport.runner.js`),
  ]);
  return { Module, NestFactory, lib, TwitchEventSubTransportRunner: runner.TwitchEventSubTransportRunner };
}

async function fakeRole(cfg) {
  const { FakeTwitch } = await import(`${cfg.lib}/testing/index.js`);
  const fake = await FakeTwitch.start({ recordRequests: false });
  fake.eventSubWs.configure({ maxConduits: 100 });
  return {
    ready: () => ({ moduleOptions: fake.moduleOptions(), wsUrl: fake.eventSubWsUrl }),
    token: ({ userId, scopes }) => fake.issueUserToken({ userId, scopes }),
    /** The enabled subscription of a type on a WebSocket session. */
    subscription: ({ type }) => {
      const sub = [...fake.state.eventSubSubscriptions.values()].find(
        (s) => s.type === type && s.status === 'enabled' && s.transport.method === 'websocket',
      );
      return { subscriptionId: sub?.id };
    },
    /** Emits `n` notifications, `chunk` per turn of the event loop; returns when the first was written. */
    emit: async ({ subscriptionId, n, chunk, event }) => {
      const startedAt = now();
      let dropped = 0;
      for (let i = 0; i < n; i += chunk) {
        for (let j = i; j < Math.min(n, i + chunk); j++) {
          if (fake.eventSubWs.emit(subscriptionId, { ...event, user_id: String(1_000_000 + j) }).outcome !== 'delivered')
            dropped++;
        }
        await new Promise((r) => setImmediate(r));
      }
      return { startedAt, dropped };
    },
    /** Whether every shard of the conduit is enabled on an open session, and how many. */
    conduit: ({ conduitId }) => {
      const c = fake.eventSubWs.conduits.get(conduitId);
      const open = new Set(fake.eventSubWs.openSessions().map((s) => s.id));
      const served = c ? c.shards.filter((s) => s.status === 'enabled' && open.has(s.transport.sessionId ?? '')).length : 0;
      return { shards: c?.shards.length ?? 0, served, sessions: c ? c.shards.map((s) => s.transport.sessionId ?? '') : [] };
    },
    close: async () => {
      await fake.close();
      setImmediate(() => process.exit(0));
      return {};
    },
  };
}

function nestModule({ Module, lib }, cfg, eventSub) {
  const { TwitchModule, TwitchEventSubModule } = lib;
  class BenchModule {}
  Module({
    imports: [
      TwitchModule.forRoot({
        ...cfg.moduleOptions,
        redirectUri: 'http://127.0.0.1:3000/auth/twitch/callback',
        keyPrefix: cfg.keyPrefix,
        redis: { url: cfg.redisUrl },
        tokens: { validateOnStartup: false },
        isGlobal: true,
      }),
      TwitchEventSubModule.forRoot(eventSub),
    ],
  })(BenchModule);
  return BenchModule;
}

async function wsRole(cfg) {
  const m = await loadModule(cfg);
  const { NestFactory, lib, TwitchEventSubTransportRunner } = m;
  const app = await NestFactory.create(
    nestModule(m, cfg, {
      transport: 'websocket',
      websocket: { userId: cfg.userId, url: cfg.wsUrl },
      subscriptions: [
        { type: 'channel.follow', version: '2', condition: { broadcasterUserId: cfg.userId, moderatorUserId: cfg.userId } },
      ],
    }),
    { logger: ['error'], abortOnError: false },
  );
  await app.get(lib.TwitchUserTokenService).save({ ...cfg.token, scopes: ['moderator:read:followers'], tokenType: 'bearer' });
  let handled = 0;
  let lastAt = 0;
  let typed = true;
  app.get(lib.TwitchEventSubService).on('channel.follow', '2', (event) => {
    handled++;
    lastAt = now();
    if (!(event.followedAt instanceof Date)) typed = false;
  });
  await app.init();
  await app.get(TwitchEventSubTransportRunner).started();
  let cpu = process.cpuUsage();
  return {
    reset: () => {
      handled = 0;
      lastAt = 0;
      cpu = process.cpuUsage();
      return {};
    },
    stats: () => {
      const used = process.cpuUsage(cpu);
      return { handled, lastAt, typed, cpuUs: used.user + used.system, rssMB: process.memoryUsage().rss / 2 ** 20 };
    },
    stop: () => app.close(),
    close: async () => {
      await app.close();
      setImmediate(() => process.exit(0));
      return {};
    },
  };
}

async function conduitRole(cfg) {
  const m = await loadModule(cfg);
  const { NestFactory, TwitchEventSubTransportRunner } = m;
  const app = await NestFactory.create(
    nestModule(m, cfg, {
      transport: 'conduit',
      conduit: {
        shardCount: cfg.shards,
        heartbeatMs: cfg.heartbeatMs,
        leaseMs: cfg.leaseMs,
        url: cfg.wsUrl,
        name: cfg.conduitName,
      },
      subscriptions: [{ type: 'stream.online', version: '1', condition: { broadcasterUserId: cfg.userId } }],
    }),
    { logger: ['error'], abortOnError: false },
  );
  await app.init();
  const runner = app.get(TwitchEventSubTransportRunner);
  await runner.started();
  return {
    ready: () => ({ conduitId: runner.conduitStatus()?.conduitId }),
    /** Sessions this instance's shards are pointed at. */
    status: () => ({ sessions: (runner.conduitStatus()?.shards ?? []).map((s) => s.target).filter(Boolean) }),
    stop: () => app.close(),
  };
}
