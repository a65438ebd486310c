/**
 * TwitchEventSubModule on the WebSocket and conduit transports, end to end over the fake: real Nest apps,
 * the real Redis (claims, conduit leases), the fake's EventSub WebSocket server and conduits.
 */
import 'reflect-metadata';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchUserTokenService } from '../../lib/auth/twitch-user-token.service.js';
import { OnTwitchEvent } from '../../lib/eventsub/decorators/on-twitch-event.decorator.js';
import type { TwitchEventSubModuleOptions } from '../../lib/eventsub/interfaces/twitch-eventsub-options.interface.js';
import type {
  TwitchEventSubNotification,
  TwitchEventSubSubscriptionInfo,
} from '../../lib/eventsub/interfaces/twitch-eventsub-message.interface.js';
import { TwitchEventSubTransportRunner } from '../../lib/eventsub/transports/twitch-eventsub-transport.runner.js';
import { TwitchEventSubConfigError } from '../../lib/exceptions/twitch-eventsub.exception.js';
import { resolveEventSubOptions } from '../../lib/eventsub/twitch-eventsub.options.js';
import { TwitchEventSubService } from '../../lib/eventsub/twitch-eventsub.service.js';
import { TwitchEventSubModule } from '../../lib/eventsub/twitch-eventsub.module.js';
import type { ChannelFollowEvent, StreamOnlineEvent } from '../../lib/eventsub-types.js';
import { TwitchModule } from '../../lib/twitch.module.js';
import { FakeTwitch, flushPrefix, REDIS_URL, uniquePrefix } from '../support/app.js';
import { freePort } from '../support/net.js';

const USER = { userId: '141981764', login: 'twitchdev' };

interface Seen {
  instance: string;
  messageId: string;
  transport: string;
  event: unknown;
}

function handlers(instance: string, seen: Seen[], revoked: TwitchEventSubSubscriptionInfo[]) {
  @Injectable()
  class Handlers {
    @OnTwitchEvent('channel.follow', {
      version: '2',
      condition: { broadcasterUserId: USER.userId, moderatorUserId: USER.userId },
    })
    follow(event: ChannelFollowEvent, n: TwitchEventSubNotification) {
      seen.push({ instance, messageId: n.messageId, transport: n.transport, event });
    }

    @OnTwitchEvent('stream.online', { version: '1', condition: { broadcasterUserId: USER.userId } })
    online(event: StreamOnlineEvent, n: TwitchEventSubNotification) {
      seen.push({ instance, messageId: n.messageId, transport: n.transport, event });
    }
  }
  @Injectable()
  class Revocations {
    constructor(service: TwitchEventSubService) {
      service.onRevocation((s) => void revoked.push(s));
    }
  }
  return [Handlers, Revocations];
}

async function createApp(
  fake: FakeTwitch,
  keyPrefix: string,
  eventSub: TwitchEventSubModuleOptions,
  providers: ReturnType<typeof handlers>,
  beforeInit?: (app: INestApplication) => Promise<void>,
  listenOn?: number,
): Promise<INestApplication> {
  @Module({
    imports: [
      TwitchModule.forRoot({
        ...fake.moduleOptions(),
        redirectUri: 'http://127.0.0.1:3000/auth/twitch/callback',
        keyPrefix,
        redis: { url: REDIS_URL() },
        retry: { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 20 },
        tokens: { validateOnStartup: false },
        isGlobal: true,
      }),
      TwitchEventSubModule.forRoot(eventSub),
    ],
    providers,
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false, rawBody: true });
  await beforeInit?.(app);
  if (listenOn !== undefined) await app.listen(listenOn, '127.0.0.1');
  else await app.init();
  return app;
}

describe('TwitchEventSubModule options: transports', () => {
  const resolve = (o: unknown) => resolveEventSubOptions(o as TwitchEventSubModuleOptions, '/eventsub');

  it('defaults to webhook when a webhook is given, else websocket; every bad value names its option', () => {
    expect(resolve({ webhook: { callbackUrl: 'https://example.com/eventsub', secret: 'x'.repeat(12) } }).transport).toBe(
      'webhook',
    );
    const ws = resolve({ websocket: { userId: USER.userId } });
    expect(ws.transport).toBe('websocket');
    expect(ws.websocket).toMatchObject({ url: 'wss://eventsub.wss.twitch.tv/ws', userId: USER.userId, keepaliveMarginMs: 3_000 });
    expect(resolve({ transport: 'conduit' }).conduit).toEqual({
      shardCount: 4,
      name: 'default',
      shardTransport: 'websocket',
      url: 'wss://eventsub.wss.twitch.tv/ws',
      heartbeatMs: 2_000,
      leaseMs: 6_000,
    });
    const bad: [unknown, RegExp][] = [
      [{ websocket: 'yes' }, /option "websocket" must be an object/],
      [{ transport: 'sse' }, /option "transport" must be/],
      [{ websocket: { userId: 'twitchdev' } }, /option "websocket.userId"/],
      [{ websocket: { userId: USER.userId, url: 'https://x' } }, /option "websocket.url" must be a wss/],
      [{ websocket: { userId: USER.userId, keepaliveTimeoutSeconds: 5 } }, /option "websocket.keepaliveTimeoutSeconds"/],
      [{ transport: 'conduit', conduit: { heartbeatMs: 1_000, leaseMs: 1_000 } }, /option "conduit.leaseMs" must be greater/],
      [{ transport: 'conduit', conduit: { shardCount: 0 } }, /option "conduit.shardCount"/],
      [
        { transport: 'conduit', conduit: { shardTransport: 'webhook' } },
        /option "webhook" is required with conduit.shardTransport/,
      ],
      [{ transport: 'webhook' }, /option "webhook" is required with transport "webhook"/],
      [
        { transport: 'conduit', websocket: { userId: USER.userId } },
        /option "websocket" is only read with transport "websocket"/,
      ],
    ];
    for (const [input, message] of bad) expect(() => resolve(input), JSON.stringify(input)).toThrow(message);
    expect(() => resolve({ transport: 'webhook' })).toThrow(TwitchEventSubConfigError);
    // Nothing at all: the WebSocket transport, each subscription with the token of the user its condition names.
    expect(resolve({})).toMatchObject({ transport: 'websocket', websocket: { url: 'wss://eventsub.wss.twitch.tv/ws' } });
    expect(resolve({}).websocket?.userId).toBeUndefined();
  });
});

describe('TwitchEventSubModule with transport "websocket"', () => {
  let fake: FakeTwitch;
  let app: INestApplication | undefined;
  const keyPrefix = uniquePrefix();
  const seen: Seen[] = [];
  const revoked: TwitchEventSubSubscriptionInfo[] = [];

  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    seen.length = 0;
    revoked.length = 0;
    fake.state.eventSubSubscriptions.clear();
  });
  afterAll(async () => {
    await fake.close();
    await flushPrefix(keyPrefix);
  });

  async function start(port?: number): Promise<TwitchEventSubTransportRunner> {
    app = await createApp(
      fake,
      keyPrefix,
      {
        transport: 'websocket',
        websocket: { userId: USER.userId, url: fake.eventSubWsUrl, reconnectBaseDelayMs: 20, reconnectMaxDelayMs: 100 },
      },
      handlers('a', seen, revoked),
      async (a) => {
        const issued = fake.issueUserToken({ ...USER, scopes: ['moderator:read:followers'] });
        await a
          .get(TwitchUserTokenService)
          .save({ ...issued, scopes: ['moderator:read:followers'] as never, tokenType: 'bearer' });
      },
      port,
    );
    const runner = app.get(TwitchEventSubTransportRunner);
    await runner.started();
    return runner;
  }

  const subsOn = (sessionId: string | undefined) =>
    [...fake.state.eventSubSubscriptions.values()].filter((s) => s.status === 'enabled' && s.transport.sessionId === sessionId);

  it('subscribes the handlers on the session at bootstrap and hands typed events to them, once each across a session_reconnect', async () => {
    const runner = await start();
    const first = runner.sessionId!;
    expect(first).toBeDefined();
    expect(
      subsOn(first)
        .map((s) => s.type)
        .sort(),
    ).toEqual(['channel.follow', 'stream.online']);
    // No webhook reconcile ran: nothing was listed.
    expect(fake.requestsTo('GET', '/eventsub/subscriptions')).toHaveLength(0);
    const follow = subsOn(first).find((s) => s.type === 'channel.follow')!;

    const sent: string[] = [];
    for (let i = 0; i < 300; i++) {
      if (i === 100) fake.eventSubWs.requestReconnect(first);
      const record = fake.eventSubWs.emit(follow.id, {
        user_id: String(1_000 + i),
        user_login: `u${i}`,
        user_name: `U${i}`,
        broadcaster_user_id: USER.userId,
        broadcaster_user_login: USER.login,
        broadcaster_user_name: 'TwitchDev',
        followed_at: '2026-01-02T03:04:05Z',
      });
      sent.push(record.messageId);
      await new Promise((r) => setImmediate(r));
    }
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(300);
    await app!.get(TwitchEventSubService).idle();
    expect(seen.map((s) => s.messageId).sort()).toEqual([...sent].sort());
    expect(new Set(seen.map((s) => s.messageId)).size).toBe(300);
    expect(runner.sessionId).not.toBe(first);
    expect(fake.eventSubWs.sessions.get(first)?.movedTo).toBe(runner.sessionId);
    // Typed: the catalog's DTO (camelCase, dates as Date).
    const event = seen[0].event as ChannelFollowEvent;
    expect(event.userId).toBe('1000');
    expect(event.followedAt).toBeInstanceOf(Date);
    expect(seen[0].transport).toBe('websocket');
  });

  it('the same message id arriving twice (at-least-once) on a fresh session is handled once (the claim in Redis)', async () => {
    const runner = await start();
    const online = subsOn(runner.sessionId).find((s) => s.type === 'stream.online')!;
    const event = {
      id: '1',
      broadcaster_user_id: USER.userId,
      broadcaster_user_login: USER.login,
      broadcaster_user_name: 'TwitchDev',
      type: 'live',
      started_at: '2026-01-02T03:04:05Z',
    };
    const messageId = `dup-${Math.random().toString(36).slice(2)}`;
    fake.eventSubWs.emit(online.id, event, { messageId });
    await expect.poll(() => seen.length).toBe(1);
    // A fresh session (a network drop) gets the resend: the connection's own memory is gone, the claim is not.
    const first = runner.sessionId!;
    fake.eventSubWs.closeSession(first, 4006);
    await expect.poll(() => runner.sessionId !== first && subsOn(runner.sessionId).length === 2, { timeout: 5_000 }).toBe(true);
    const again = subsOn(runner.sessionId).find((s) => s.type === 'stream.online')!;
    expect(fake.eventSubWs.emit(again.id, event, { messageId }).outcome).toBe('delivered');
    expect(fake.eventSubWs.emit(again.id, event).outcome).toBe('delivered');
    await expect.poll(() => seen.length).toBe(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.filter((s) => s.messageId === messageId)).toHaveLength(1);
  });

  it('a revocation reaches the revocation handlers, and a fresh session no longer asks for the revoked subscription', async () => {
    const runner = await start();
    const first = runner.sessionId!;
    const follow = subsOn(first).find((s) => s.type === 'channel.follow')!;
    fake.eventSubWs.revoke(follow.id, 'authorization_revoked');
    await expect.poll(() => revoked.length).toBe(1);
    expect(revoked[0]).toMatchObject({ id: follow.id, type: 'channel.follow', status: 'authorization_revoked' });
    const creates = fake.requestsTo('POST', '/eventsub/subscriptions').length;
    fake.eventSubWs.closeSession(first, 4000);
    await expect.poll(() => runner.sessionId !== first && subsOn(runner.sessionId).length === 1, { timeout: 5_000 }).toBe(true);
    expect(subsOn(runner.sessionId).map((s) => s.type)).toEqual(['stream.online']);
    expect(fake.requestsTo('POST', '/eventsub/subscriptions').length).toBe(creates + 1);
  });

  it("without websocket.userId: one session per user named in the conditions, each subscribed with that user's token", async () => {
    const OTHER = { userId: '12826', login: 'twitch' };
    app = await createApp(
      fake,
      keyPrefix,
      {
        transport: 'websocket',
        websocket: { url: fake.eventSubWsUrl, reconnectBaseDelayMs: 20, reconnectMaxDelayMs: 100 },
        subscriptions: [{ type: 'stream.online', version: '1', condition: { broadcasterUserId: OTHER.userId } }],
      },
      handlers('a', seen, revoked),
      async (a) => {
        for (const [user, scopes] of [
          [USER, ['moderator:read:followers']],
          [OTHER, []],
        ] as const) {
          const issued = fake.issueUserToken({ ...user, scopes: [...scopes] });
          await a.get(TwitchUserTokenService).save({ ...issued, scopes: [...scopes] as never, tokenType: 'bearer' });
        }
      },
    );
    const runner = app.get(TwitchEventSubTransportRunner);
    await runner.started();
    const sessions = runner.sessionIds();
    expect([...sessions.keys()].sort()).toEqual([OTHER.userId, USER.userId].sort());
    const mine = subsOn(sessions.get(USER.userId));
    expect(mine.map((s) => s.type).sort()).toEqual(['channel.follow', 'stream.online']);
    expect(mine.every((s) => s.ownerUserId === USER.userId)).toBe(true);
    const theirs = subsOn(sessions.get(OTHER.userId));
    expect(theirs.map((s) => [s.type, s.condition.broadcaster_user_id, s.ownerUserId])).toEqual([
      ['stream.online', OTHER.userId, OTHER.userId],
    ]);
  });

  it('a first connection that fails is tried again with the backoff; app.close() stops the retries at once', async () => {
    const closedPort = await freePort();
    app = await createApp(
      fake,
      keyPrefix,
      {
        transport: 'websocket',
        websocket: {
          userId: USER.userId,
          url: `ws://127.0.0.1:${closedPort}/ws`,
          reconnectBaseDelayMs: 20,
          reconnectMaxDelayMs: 50,
        },
      },
      handlers('a', seen, revoked),
    );
    const runner = app.get(TwitchEventSubTransportRunner);
    let settled = false;
    void runner.started().finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 400));
    // Still trying: neither given up nor started.
    expect(settled).toBe(false);
    expect(runner.sessionId).toBeUndefined();
    const t0 = Date.now();
    await app.close();
    app = undefined;
    expect(Date.now() - t0).toBeLessThan(5_000);
    await expect.poll(() => settled).toBe(true);
  });

  it('reconcile() and subscribe() refuse clearly (the session makes its own subscriptions); no webhook route; app.close() closes the session', async () => {
    const port = await freePort();
    const runner = await start(port);
    const res = await fetch(`http://127.0.0.1:${port}/eventsub`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('No EventSub webhook is configured');
    const sessionId = runner.sessionId!;
    const service = app!.get(TwitchEventSubService);
    await expect(service.reconcile()).rejects.toThrow(/reconcile\(\) manages webhook subscriptions; with transport "websocket"/);
    await expect(service.subscribe('stream.offline', '1', { broadcasterUserId: USER.userId })).rejects.toThrow(
      TwitchEventSubConfigError,
    );
    await app!.close();
    app = undefined;
    await expect.poll(() => fake.eventSubWs.sessions.get(sessionId)?.status).toBe('closed');
    expect(fake.eventSubWs.openSessions()).toHaveLength(0);
  });
});

describe('TwitchEventSubModule with transport "conduit": two instances on one Redis', () => {
  let fake: FakeTwitch;
  const apps: INestApplication[] = [];
  const keyPrefix = uniquePrefix();
  const seen: Seen[] = [];
  const BROADCASTERS = Array.from({ length: 12 }, (_, i) => String(30_001 + i));

  beforeAll(async () => {
    fake = await FakeTwitch.start({ recordRequests: false });
  });
  afterAll(async () => {
    for (const a of apps.splice(0)) await a.close();
    await fake.close();
    await flushPrefix(keyPrefix);
  });

  function onlineHandlers(instance: string) {
    @Injectable()
    class Handlers {
      @OnTwitchEvent('stream.online', { version: '1' })
      online(event: StreamOnlineEvent, n: TwitchEventSubNotification) {
        seen.push({ instance, messageId: n.messageId, transport: n.transport, event });
      }
    }
    return [Handlers];
  }

  const options = (): TwitchEventSubModuleOptions => ({
    transport: 'conduit',
    conduit: { shardCount: 4, heartbeatMs: 200, leaseMs: 800, url: fake.eventSubWsUrl },
    subscriptions: BROADCASTERS.map((id) => ({ type: 'stream.online', version: '1', condition: { broadcasterUserId: id } })),
  });

  it('shares the shards, subscribes once with the app token, and each event is handled once; a closing instance hands its shards over', async () => {
    const a = await createApp(fake, keyPrefix, options(), onlineHandlers('a') as never);
    apps.push(a);
    await a.get(TwitchEventSubTransportRunner).started();
    const b = await createApp(fake, keyPrefix, options(), onlineHandlers('b') as never);
    apps.push(b);
    const ra = a.get(TwitchEventSubTransportRunner);
    const rb = b.get(TwitchEventSubTransportRunner);
    await rb.started();
    expect(rb.conduitStatus()?.conduitId).toBe(ra.conduitStatus()?.conduitId);
    const conduitId = ra.conduitStatus()!.conduitId!;
    const conduit = () => fake.eventSubWs.conduits.get(conduitId)!;
    const open = () => new Set(fake.eventSubWs.openSessions().map((s) => s.id));
    const served = () => conduit().shards.every((s) => s.status === 'enabled' && open().has(s.transport.sessionId ?? ''));
    await expect
      .poll(() => served() && ra.conduitStatus()!.shards.length === 2 && rb.conduitStatus()!.shards.length === 2, {
        timeout: 10_000,
      })
      .toBe(true);

    // Once against the conduit, with the app token: the 12 wanted plus conduit.shard.disabled.
    const subs = [...fake.state.eventSubSubscriptions.values()].filter((s) => s.transport.conduitId === conduitId);
    expect(subs.filter((s) => s.type === 'stream.online')).toHaveLength(12);
    expect(subs.filter((s) => s.type === 'conduit.shard.disabled')).toHaveLength(1);

    const emitAll = (n: number) => {
      const ids: string[] = [];
      const online = subs.filter((s) => s.type === 'stream.online');
      for (let i = 0; i < n; i++) {
        const sub = online[i % online.length];
        const b = String(sub.condition.broadcaster_user_id);
        const record = fake.eventSubWs.emit(sub.id, {
          id: String(i),
          broadcaster_user_id: b,
          broadcaster_user_login: `b${b}`,
          broadcaster_user_name: `B${b}`,
          type: 'live',
          started_at: '2026-01-02T03:04:05Z',
        });
        expect(record.outcome).toBe('delivered');
        ids.push(record.messageId);
      }
      return ids;
    };
    const sent = emitAll(240);
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(240);
    expect(new Set(seen.map((s) => s.messageId)).size).toBe(240);
    expect(seen.map((s) => s.messageId).sort()).toEqual([...sent].sort());
    expect(seen.filter((s) => s.instance === 'a').length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.instance === 'b').length).toBeGreaterThan(0);
    expect(seen.every((s) => s.transport === 'conduit')).toBe(true);
    expect((seen[0].event as StreamOnlineEvent).startedAt).toBeInstanceOf(Date);

    // b leaves: its shards are handed to a before its sessions close, then every event reaches a.
    await b.close();
    apps.splice(apps.indexOf(b), 1);
    await expect.poll(() => served() && ra.conduitStatus()!.shards.length === 4, { timeout: 10_000 }).toBe(true);
    seen.length = 0;
    const more = emitAll(120);
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(120);
    expect(seen.map((s) => s.messageId).sort()).toEqual([...more].sort());
    expect(seen.every((s) => s.instance === 'a')).toBe(true);

    // The last instance closes its sessions at once: nothing stays open.
    await a.close();
    apps.splice(apps.indexOf(a), 1);
    await expect.poll(() => fake.eventSubWs.openSessions().length).toBe(0);
  });
});

describe('TwitchEventSubModule with transport "conduit" and webhook shards', () => {
  let fake: FakeTwitch;
  let app: INestApplication | undefined;
  const keyPrefix = uniquePrefix();
  const seen: Seen[] = [];

  beforeAll(async () => {
    fake = await FakeTwitch.start({ recordRequests: false });
  });
  afterAll(async () => {
    await app?.close();
    await fake.close();
    await flushPrefix(keyPrefix);
  });

  it('points the shards at the webhook receiver after listen, answers the conduit shard challenge, and handles events', async () => {
    const port = await freePort();
    @Injectable()
    class Handlers {
      @OnTwitchEvent('stream.online', { version: '1' })
      online(event: StreamOnlineEvent, n: TwitchEventSubNotification) {
        seen.push({ instance: 'a', messageId: n.messageId, transport: n.transport, event });
      }
    }
    app = await createApp(
      fake,
      keyPrefix,
      {
        transport: 'conduit',
        webhook: { callbackUrl: `http://127.0.0.1:${port}/eventsub`, secret: 'conduit-shard-secret-0123' },
        // Heartbeats far apart: the periodic check of Twitch's shards (every 5 heartbeats, 25 s) cannot be what repairs.
        conduit: { shardCount: 2, shardTransport: 'webhook', heartbeatMs: 5_000, leaseMs: 20_000 },
        subscriptions: [{ type: 'stream.online', version: '1', condition: { broadcasterUserId: USER.userId } }],
      },
      [Handlers] as never,
      undefined,
      port,
    );
    const runner = app.get(TwitchEventSubTransportRunner);
    await runner.started();
    const conduitId = runner.conduitStatus()!.conduitId!;
    const conduit = () => fake.eventSubWs.conduits.get(conduitId)!;
    // Enabled only once the receiver answered each shard's challenge (`conduit_shard` in the body).
    await expect.poll(() => conduit().shards.map((s) => s.status), { timeout: 10_000 }).toEqual(['enabled', 'enabled']);
    const sub = [...fake.state.eventSubSubscriptions.values()].find(
      (s) => s.transport.conduitId === conduitId && s.type === 'stream.online',
    )!;
    const record = fake.eventSubWs.emit(sub.id, {
      id: '9',
      broadcaster_user_id: USER.userId,
      broadcaster_user_login: USER.login,
      broadcaster_user_name: 'TwitchDev',
      type: 'live',
      started_at: '2026-01-02T03:04:05Z',
    });
    await expect.poll(() => seen.length, { timeout: 5_000 }).toBe(1);
    expect(seen[0]).toMatchObject({ messageId: record.messageId, transport: 'conduit' });

    // Twitch disables a shard: conduit.shard.disabled reaches the receiver (through the other shard), which
    // hands it to the conduit manager: the shard is pointed at the callback again.
    fake.eventSubWs.disableShard(conduitId, '0', { status: 'webhook_callback_verification_failed' });
    expect(conduit().shards[0].status).toBe('webhook_callback_verification_failed');
    await expect.poll(() => conduit().shards.map((s) => s.status), { timeout: 10_000 }).toEqual(['enabled', 'enabled']);
  });
});
