import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planShardOwners } from '../../lib/eventsub/conduit/twitch-conduit-coordinator.js';
import { TwitchConduitManager, type TwitchConduitManagerConfig } from '../../lib/eventsub/conduit/twitch-conduit-manager.js';
import type { TwitchEventSubDelivery } from '../../lib/eventsub/transports/twitch-eventsub-transport.interface.js';
import { TwitchEventSubLimitException } from '../../lib/exceptions/twitch-eventsub-limit.exception.js';
import type { TwitchRedisHandle } from '../../lib/redis/twitch-redis.provider.js';
import { TwitchKvStore } from '../../lib/store/twitch-kv.store.js';
import { TWITCH_REDIS } from '../../lib/twitch.constants.js';
import { createTwitchApp, FakeTwitch, flushPrefix, REDIS_URL, type TestApp, uniquePrefix } from '../support/app.js';

describe('planShardOwners', () => {
  it('spreads shards evenly, keeps what live instances own, and moves as few as it can', () => {
    const first = planShardOwners(6, ['a', 'b', 'c'], new Map());
    expect([...first.values()].sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
    // b dies: its two shards go to a and c, nothing else moves.
    const owners = new Map(first);
    const afterDeath = planShardOwners(6, ['a', 'c'], owners);
    expect([...afterDeath.keys()].sort()).toEqual(
      [...owners]
        .filter(([, o]) => o === 'b')
        .map(([s]) => s)
        .sort(),
    );
    for (const [s, o] of afterDeath) owners.set(s, o);
    expect([...owners.values()].filter((o) => o === 'a')).toHaveLength(3);
    // d joins: it takes one shard from each.
    const afterJoin = planShardOwners(6, ['a', 'c', 'd'], owners);
    expect([...afterJoin.values()]).toEqual(['d', 'd']);
    // Stable: nothing to do once spread.
    for (const [s, o] of afterJoin) owners.set(s, o);
    expect(planShardOwners(6, ['a', 'c', 'd'], owners).size).toBe(0);
    expect(planShardOwners(3, [], owners).size).toBe(0);
  });

  it('on any membership: balanced within one shard, every shard on a live instance, settled within two plans', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 500; trial++) {
      const shardCount = 1 + Math.floor(random() * 12);
      const owners = new Map<string, string>();
      for (let step = 0; step < 6; step++) {
        const live = ['a', 'b', 'c', 'd', 'e'].filter(() => random() < 0.6);
        if (!live.length) continue;
        for (let round = 0; round < 2; round++) for (const [k, v] of planShardOwners(shardCount, live, owners)) owners.set(k, v);
        expect(planShardOwners(shardCount, live, owners).size).toBe(0);
        const counts = live.map((l) => [...owners].filter(([s, o]) => Number(s) < shardCount && o === l).length);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        for (let i = 0; i < shardCount; i++) expect(live).toContain(owners.get(String(i)));
      }
    }
  });

  it('keeps neighbouring shards on different instances where it can (Twitch falls back to the next shard)', () => {
    const owners = new Map<string, string>();
    for (const live of [['a'], ['a', 'b']]) for (const [k, v] of planShardOwners(6, live, owners)) owners.set(k, v);
    expect([...owners].sort().map(([, o]) => o)).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
  });
});

describe('TwitchConduitManager', () => {
  let fake: FakeTwitch;
  let t: TestApp;
  const keyPrefix = uniquePrefix();
  const managers: TwitchConduitManager[] = [];
  let made = 0;

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    t = await createTwitchApp(fake, { redis: { url: REDIS_URL() }, keyPrefix });
    // Every test makes its own conduit; the limit has its own test.
    fake.eventSubWs.configure({ maxConduits: 100 });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
    await flushPrefix(keyPrefix);
  });
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.stop()));
    fake.eventSubWs.configure({ maxConduits: 100 });
  });

  function manager(overrides: Partial<TwitchConduitManagerConfig> = {}) {
    const deliveries: TwitchEventSubDelivery[] = [];
    const m = new TwitchConduitManager({
      api: t.api,
      clientId: fake.clientId,
      kv: t.app.get(TwitchKvStore),
      redis: t.app.get<TwitchRedisHandle>(TWITCH_REDIS).client,
      keyPrefix,
      name: `c${Math.random().toString(36).slice(2, 8)}`,
      shardCount: 3,
      heartbeatMs: 200,
      leaseMs: 800,
      // A condition of its own: Twitch refuses (409) a second subscription with the same type and condition.
      subscriptions: [{ type: 'stream.online', version: '1', condition: { broadcaster_user_id: String(100_000 + ++made) } }],
      transport: { method: 'websocket', connection: { url: fake.eventSubWsUrl, reconnectBaseDelayMs: 20 } },
      sink: async (d) => void deliveries.push(d),
      ...overrides,
    });
    managers.push(m);
    return { m, deliveries };
  }

  const conduitOf = (m: TwitchConduitManager) => fake.eventSubWs.conduits.get(m.conduitId!)!;
  const allServed = (m: TwitchConduitManager) => {
    const open = new Set(fake.eventSubWs.openSessions().map((s) => s.id));
    return conduitOf(m).shards.every((s) => s.status === 'enabled' && open.has(s.transport.sessionId ?? ''));
  };

  it('creates the conduit, subscribes once with the app token, points every shard at a session and routes events to the sink', async () => {
    const { m, deliveries } = manager();
    await m.start();
    expect(conduitOf(m).shards).toHaveLength(3);
    await expect.poll(() => allServed(m)).toBe(true);
    const subs = [...fake.state.eventSubSubscriptions.values()].filter((s) => s.transport.conduitId === m.conduitId);
    expect(subs.map((s) => s.type).sort()).toEqual(['conduit.shard.disabled', 'stream.online']);
    expect(subs.find((s) => s.type === 'conduit.shard.disabled')?.condition).toEqual({
      client_id: fake.clientId,
      conduit_id: m.conduitId,
    });
    expect(m.status().shards.map((s) => s.shardId)).toEqual(['0', '1', '2']);

    const online = subs.find((s) => s.type === 'stream.online')!;
    const record = fake.eventSubWs.emit(online.id, { broadcaster_user_id: '141981764' });
    expect(record.outcome).toBe('delivered');
    await expect.poll(() => deliveries.length).toBe(1);
    expect(deliveries[0]).toMatchObject({
      messageId: record.messageId,
      transport: 'conduit',
      shardId: record.shardId,
      sessionId: record.sessionId,
    });
    expect(deliveries[0].subscription.transport).toEqual({ method: 'conduit', conduit_id: m.conduitId });
  });

  it('finds its conduit again and resizes it; subscriptions are not made twice', async () => {
    const name = 'resize';
    const subscriptions = [{ type: 'stream.online', version: '1', condition: { broadcaster_user_id: '99' } }];
    const first = manager({ name, subscriptions });
    await first.m.start();
    const id = first.m.conduitId;
    await first.m.stop();
    const creates = fake.requestsTo('POST', '/eventsub/subscriptions').length;
    const second = manager({ name, subscriptions, shardCount: 5 });
    await second.m.start();
    expect(second.m.conduitId).toBe(id);
    expect(conduitOf(second.m).shards).toHaveLength(5);
    await expect.poll(() => allServed(second.m)).toBe(true);
    // The new shard count changes nothing about the subscriptions: already made.
    expect(fake.requestsTo('POST', '/eventsub/subscriptions').length).toBe(creates);
  });

  it('uses the conduit named by "conduitId" (no Redis: nothing else remembers it), and refuses an unknown one', async () => {
    const first = manager({ redis: null });
    await first.m.start();
    const id = first.m.conduitId!;
    await first.m.stop();
    const conduits = fake.eventSubWs.conduits.size;
    const again = manager({ redis: null, conduitId: id });
    await again.m.start();
    expect(again.m.conduitId).toBe(id);
    expect(fake.eventSubWs.conduits.size).toBe(conduits);
    await expect.poll(() => allServed(again.m)).toBe(true);
    await expect(manager({ redis: null, conduitId: 'not-a-conduit' }).m.start()).rejects.toThrow(/"conduitId"/);
  });

  it("a shard's session_reconnect: the shard follows the new session and no event is lost", async () => {
    const { m, deliveries } = manager({ shardCount: 1 });
    await m.start();
    await expect.poll(() => allServed(m)).toBe(true);
    const before = conduitOf(m).shards[0].transport.sessionId!;
    const online = [...fake.state.eventSubSubscriptions.values()].find(
      (s) => s.transport.conduitId === m.conduitId && s.type === 'stream.online',
    )!;
    const records = [];
    for (let i = 0; i < 200; i++) {
      if (i === 50) fake.eventSubWs.requestReconnect(before);
      records.push(fake.eventSubWs.emit(online.id, { broadcaster_user_id: String(i) }));
      await new Promise((r) => setImmediate(r));
    }
    expect(records.filter((r) => r.outcome !== 'delivered')).toEqual([]);
    await expect.poll(() => deliveries.length).toBe(200);
    expect(new Set(deliveries.map((d) => d.messageId)).size).toBe(200);
    const after = conduitOf(m).shards[0].transport.sessionId;
    expect(after).not.toBe(before);
    expect(m.status().shards[0].target).toBe(after);
    await expect.poll(() => fake.eventSubWs.sessions.get(before)?.status).toBe('closed');
    expect(conduitOf(m).shards[0].status).toBe('enabled');
  });

  it('conduit.shard.disabled: the owner serves the shard again with a new session', async () => {
    const { m } = manager();
    await m.start();
    await expect.poll(() => allServed(m)).toBe(true);
    const before = conduitOf(m).shards.find((s) => s.id === '1')!.transport.sessionId;
    // The session stays up: only the notification tells the manager.
    fake.eventSubWs.disableShard(m.conduitId!, '1', { keepSession: true });
    expect(conduitOf(m).shards[1].status).toBe('websocket_disconnected');
    await expect.poll(() => allServed(m) && conduitOf(m).shards[1].transport.sessionId !== before, { timeout: 5_000 }).toBe(true);
  });

  for (const pointerToo of [true, false]) {
    it(`takes a shard back when a late Update Conduit Shards pointed it elsewhere (${pointerToo ? 'seen in the pointers' : 'seen only at Twitch'})`, async () => {
      const name = `heal-${pointerToo}`;
      const { m } = manager({ name, verifyEveryBeats: 2 });
      await m.start();
      await expect.poll(() => allServed(m)).toBe(true);
      const mine = conduitOf(m).shards[0].transport.sessionId;
      // A former owner's session (a raw socket) that shard 0 is pointed at behind the manager's back.
      const stray = new WebSocket(fake.eventSubWsUrl);
      const welcome = await new Promise<{ payload: { session: { id: string } } }>((r) =>
        stray.once('message', (d) => r(JSON.parse(d.toString()))),
      );
      const res = await fetch(`${fake.helixUrl}/eventsub/conduits/shards`, {
        method: 'PATCH',
        headers: {
          'Client-Id': fake.clientId,
          Authorization: `Bearer ${fake.issueAppToken()}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({
          conduit_id: m.conduitId,
          shards: [{ id: '0', transport: { method: 'websocket', session_id: welcome.payload.session.id } }],
        }),
      });
      expect(res.status).toBe(202);
      if (pointerToo) {
        await t.app
          .get<TwitchRedisHandle>(TWITCH_REDIS)
          .client.hSet(`${keyPrefix}{eventsub:conduit:${name}}:pointers`, '0', `gone ${welcome.payload.session.id}`);
      }
      expect(conduitOf(m).shards[0].transport.sessionId).toBe(welcome.payload.session.id);
      await expect.poll(() => conduitOf(m).shards[0].transport.sessionId, { timeout: 5_000 }).toBe(mine);
      stray.terminate();
    });
  }

  it('two instances share the shards; when one stops, the other takes them before it closes its sessions', async () => {
    const name = 'pair';
    const a = manager({ name, instanceId: 'a', shardCount: 4 });
    const b = manager({ name, instanceId: 'b', shardCount: 4 });
    await a.m.start();
    await b.m.start();
    await expect
      .poll(() => a.m.status().shards.length === 2 && b.m.status().shards.length === 2 && allServed(a.m), { timeout: 5_000 })
      .toBe(true);
    const online = [...fake.state.eventSubSubscriptions.values()].find(
      (s) => s.transport.conduitId === a.m.conduitId && s.type === 'stream.online',
    )!;
    await b.m.stop();
    expect(a.m.status().shards.map((s) => s.shardId)).toEqual(['0', '1', '2', '3']);
    expect(allServed(a.m)).toBe(true);
    // Every routing key reaches a live session right after the handover.
    for (let i = 0; i < 50; i++)
      expect(fake.eventSubWs.emit(online.id, { broadcaster_user_id: String(i) }).outcome).toBe('delivered');
    await expect.poll(() => a.deliveries.length).toBe(50);
  });

  it('webhook shards: pointed at the callback, verified, and the fake posts signed notifications to it', async () => {
    const secret = 'a-secret-of-20-chars';
    const posts: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        posts.push({ headers: req.headers, body });
        const json = JSON.parse(body) as { challenge?: string };
        if (req.headers['twitch-eventsub-message-type'] === 'webhook_callback_verification') {
          res
            .writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(json.challenge!) })
            .end(json.challenge);
        } else {
          res.writeHead(204).end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const callback = `http://127.0.0.1:${(server.address() as AddressInfo).port}/eventsub`;
      const { m } = manager({ transport: { method: 'webhook', callback, secret }, shardCount: 2 });
      await m.start();
      await expect
        .poll(() =>
          conduitOf(m)
            .shards.map((s) => s.status)
            .join(','),
        )
        .toBe('enabled,enabled');
      expect(posts.filter((p) => p.headers['twitch-eventsub-message-type'] === 'webhook_callback_verification')).toHaveLength(2);
      const online = [...fake.state.eventSubSubscriptions.values()].find(
        (s) => s.transport.conduitId === m.conduitId && s.type === 'stream.online',
      )!;
      const record = fake.eventSubWs.emit(online.id, { broadcaster_user_id: '141981764' });
      await expect.poll(() => record.outcome).toBe('delivered');
      const note = posts.find((p) => p.headers['twitch-eventsub-message-id'] === record.messageId)!;
      const expected = createHmac('sha256', secret)
        .update(`${record.messageId}${note.headers['twitch-eventsub-message-timestamp']}${note.body}`)
        .digest('hex');
      expect(note.headers['twitch-eventsub-message-signature']).toBe(`sha256=${expected}`);
      expect(JSON.parse(note.body)).toMatchObject({
        subscription: { id: online.id },
        event: { broadcaster_user_id: '141981764' },
      });
      // The secret is never sent back.
      expect(JSON.stringify(fake.eventSubWs.conduits.get(m.conduitId!)!.shards.map((s) => s.id))).not.toContain(secret);
    } finally {
      server.close();
    }
  });

  it('the conduit limit is a clear error', async () => {
    fake.eventSubWs.configure({ maxConduits: fake.eventSubWs.conduits.size });
    const { m } = manager();
    const error = await m.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TwitchEventSubLimitException);
    expect(error).toMatchObject({ limit: 'conduits', max: 5 });
    expect((error as Error).message).toMatch(/Twitch allows 5/);
  });

  it('bad configuration names the parameter', () => {
    expect(() => manager({ shardCount: 0 })).toThrow(/"shardCount"/);
    expect(() => manager({ heartbeatMs: 500, leaseMs: 400 })).toThrow(/"leaseMs"/);
    expect(() => manager({ transport: { method: 'webhook', callback: 'https://x.example/cb', secret: 'short' } })).toThrow(
      /"transport.secret"/,
    );
    expect(() => manager({ name: 'a b' })).toThrow(/"name"/);
    managers.length = 0;
  });
});

describe('fake conduit endpoints', () => {
  let fake: FakeTwitch;
  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterAll(() => fake.close());

  it('answer with app tokens only, and report per-shard errors of Update Conduit Shards', async () => {
    const app = fake.issueAppToken();
    const user = fake.issueUserToken({ userId: '141981764' }).accessToken;
    const call = (method: string, path: string, token: string, body?: unknown) =>
      fetch(`${fake.helixUrl}${path}`, {
        method,
        headers: { 'Client-Id': fake.clientId, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect((await call('GET', '/eventsub/conduits', user)).status).toBe(401);
    const created = await call('POST', '/eventsub/conduits', app, { shard_count: 2 });
    expect(created.status).toBe(200);
    const { data } = (await created.json()) as { data: { id: string; shard_count: number }[] };
    expect(data[0].shard_count).toBe(2);
    const update = await call('PATCH', '/eventsub/conduits/shards', app, {
      conduit_id: data[0].id,
      shards: [
        { id: '0', transport: { method: 'websocket', session_id: 'nope' } },
        { id: '7', transport: { method: 'websocket', session_id: 'nope' } },
      ],
    });
    expect(update.status).toBe(202);
    const body = (await update.json()) as { data: unknown[]; errors: { id: string; message: string }[] };
    expect(body.data).toEqual([]);
    expect(body.errors.map((e) => [e.id, e.message])).toEqual([
      ['0', 'The websocket session is not connected.'],
      ['7', 'The shard id is outside of the conduit’s range.'],
    ]);
    const shards = (await (await call('GET', `/eventsub/conduits/shards?conduit_id=${data[0].id}`, app)).json()) as {
      data: { id: string }[];
    };
    expect(shards.data.map((s) => s.id)).toEqual(['0', '1']);
    expect((await call('POST', '/eventsub/conduits', app, { shard_count: 0 })).status).toBe(400);
  });
});
