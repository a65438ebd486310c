import 'reflect-metadata';
import { Controller, Get, Injectable } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchAuth } from '../../lib/auth/decorators/twitch-auth.decorator.js';
import { TwitchUser } from '../../lib/auth/decorators/twitch-user.decorator.js';
import type { TwitchIdentity } from '../../lib/auth/guards/twitch-identity.js';
import { TwitchLoginModule } from '../../lib/auth/login/twitch-login.module.js';
import { TwitchTokenStore } from '../../lib/auth/token-store/twitch-token-store.js';
import { TwitchUserTokenService } from '../../lib/auth/twitch-user-token.service.js';
import { OnTwitchEvent } from '../../lib/eventsub/decorators/on-twitch-event.decorator.js';
import type { TwitchEventSubNotification } from '../../lib/eventsub/interfaces/twitch-eventsub-message.interface.js';
import { TwitchEventSubService } from '../../lib/eventsub/twitch-eventsub.service.js';
import { TwitchRedisConduitCoordinator } from '../../lib/eventsub/conduit/twitch-conduit-coordinator.js';
import type { TwitchModuleOptions } from '../../lib/interfaces/twitch-module-options.interface.js';
import type { TwitchRedisClient } from '../../lib/redis/twitch-redis.provider.js';
import { twitchKey } from '../../lib/redis/twitch-redis-key.js';
import { createTwitchApp, FakeTwitch } from '../support/app.js';
import { createEventSubApp, example, post, signedRequest } from '../eventsub/support.js';
import { createHttpApp } from '../support/http-app.js';
import { freePort } from '../support/net.js';
import { clusterUnavailable, type LocalRedisCluster, startRedisCluster } from '../support/redis-cluster.js';

/**
 * The module on a real Redis Cluster (three local masters, no replicas): the scenarios of the rate-limit,
 * cache, token-store, login and EventSub dedupe specs, with `redis: { client: createCluster(...) }`.
 */
const unavailable = clusterUnavailable();
if (unavailable) console.log(`[tests] ${unavailable}`);

const TWITCHDEV = { userId: '141981764', login: 'twitchdev' };
const TWITCHGAMING = { userId: '527115020', login: 'twitchgaming' };
const prefix = (name: string) => `t-cluster-${name}-${Math.random().toString(36).slice(2, 8)}:`;

describe.skipIf(unavailable !== undefined)('Redis Cluster (three local masters)', () => {
  let cluster: LocalRedisCluster;
  let redis: TwitchModuleOptions['redis'];
  let fake: FakeTwitch;
  const prefixes: string[] = [];
  const fresh = (name: string) => {
    const p = prefix(name);
    prefixes.push(p);
    return p;
  };
  const statuses = () => fake.requests.filter((r) => r.route === 'helix').map((r) => r.status);

  beforeAll(async () => {
    cluster = await startRedisCluster();
    redis = { client: await cluster.client() };
    fake = await FakeTwitch.start();
  }, 30_000);
  afterAll(async () => {
    cluster?.resume();
    if (cluster) for (const p of prefixes) await cluster.flush(p);
    await fake?.close();
    await cluster?.stop();
  });

  it('every key the module writes carries a hash tag right after the prefix, and the keys spread over the masters', async () => {
    const keyPrefix = fresh('keys');
    const t = await createTwitchApp(fake, { redis, keyPrefix, tokens: { validateOnStartup: false } });
    await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
    for (const user of [TWITCHDEV, TWITCHGAMING]) {
      const issued = fake.issueUserToken({ ...user, scopes: [] });
      const { accessToken, refreshToken } = issued;
      await t.app.get(TwitchUserTokenService).save({ accessToken, refreshToken, scopes: [], tokenType: 'bearer' });
      await t.api.users.getUsers({}, { userId: user.userId, cacheTtl: 30_000 });
    }
    await t.app.get(TwitchUserTokenService).validateAll();
    await t.close();
    const keys = await cluster.keys(keyPrefix);
    expect(keys.length).toBeGreaterThanOrEqual(8);
    for (const key of keys) expect(key.slice(keyPrefix.length)).toMatch(/^\{[^{}]+\}(:.*)?$/);
    // Every kind of key is there: buckets, the app token, user tokens and their index, claims, the cache.
    for (const kind of ['rl:', 'app-token:', 'user-token:', 'user-tokens}', 'validated:', 'cache:GET:']) {
      expect(keys.some((k) => k.startsWith(`${keyPrefix}{${kind}`))).toBe(true);
    }
    const perMaster = await Promise.all(cluster.urls.map((url) => cluster.keys(keyPrefix, url)));
    expect(perMaster.filter((k) => k.length > 0).length).toBeGreaterThanOrEqual(2);
  });

  it('a stalled cluster: every command is bounded by redis.commandTimeoutMs, calls still settle and succeed', async () => {
    fake.clearRequests();
    const keyPrefix = fresh('stall');
    const t = await createTwitchApp(fake, { redis: { ...redis, commandTimeoutMs: 200 }, keyPrefix });
    try {
      await t.api.users.getUsers({ login: ['twitchdev'] });
      cluster.pause();
      const started = Date.now();
      const call = () => t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
      const answers = await Promise.all([call(), call(), call()]);
      for (const a of answers) expect(a.data[0].login).toBe('twitchdev');
      // Each Redis command waits at most 200 ms; nothing waits for the cluster to come back.
      expect(Date.now() - started).toBeLessThan(8_000);
    } finally {
      cluster.resume();
      await t.close();
    }
  });

  it('redis: { cluster: { rootNodes } }: the module finds the other nodes from one, and closes its connections with the app', async () => {
    fake.clearRequests();
    const keyPrefix = fresh('owned');
    const named = async () => {
      const lists = await cluster.sendEach(['CLIENT', 'LIST']);
      return lists
        .join('\n')
        .split('\n')
        .filter((line) => line.includes('name=nestjs-twitch')).length;
    };
    const t = await createTwitchApp(fake, { redis: { cluster: { rootNodes: [cluster.urls[0]] } }, keyPrefix });
    await t.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
    expect((await cluster.keys(keyPrefix)).length).toBeGreaterThanOrEqual(2);
    expect(await named()).toBeGreaterThanOrEqual(1);
    await t.close();
    await expect.poll(named).toBe(0);
  });

  it('redis.cluster with no node answering fails the bootstrap naming the option, without the password', async () => {
    const url = `redis://:hunter2-secret@127.0.0.1:${await freePort()}`;
    const err = await createTwitchApp(fake, { redis: { cluster: { rootNodes: [url] } } }).catch((e: unknown) => e);
    expect(String((err as Error).message)).toContain('redis.cluster.rootNodes');
    expect(String((err as Error).message)).not.toContain('hunter2');
  });

  it('rate limit: two instances share one bucket through the cluster (no 429 from a burst twice the bucket)', async () => {
    fake.clearRequests();
    fake.setRateLimit({ capacity: 20, refillMs: 1_000 });
    const keyPrefix = fresh('rl');
    const opts = { redis, keyPrefix, rateLimit: { windowMs: 1_000, reserve: 1 } };
    const a = await createTwitchApp(fake, opts);
    const b = await createTwitchApp(fake, opts);
    try {
      await Promise.all([a.auth.getAppToken(), b.auth.getAppToken()]);
      const burst = (x: typeof a) => Array.from({ length: 30 }, () => x.api.users.getUsers({ login: ['twitchdev'] }));
      await Promise.all([...burst(a), ...burst(b)]);
      expect(statuses()).toHaveLength(60);
      expect(statuses().filter((s) => s === 429)).toHaveLength(0);
      expect((await cluster.keys(`${keyPrefix}{rl:`)).length).toBe(1);
    } finally {
      await a.close();
      await b.close();
      fake.setRateLimit({ capacity: 800, refillMs: 60_000 });
    }
  });

  it('cache: an answer one instance stored is read by another from the cluster', async () => {
    fake.clearRequests();
    const keyPrefix = fresh('cache');
    const opts = { redis, keyPrefix, cache: { localMaxEntries: 0 } };
    const a = await createTwitchApp(fake, opts);
    const b = await createTwitchApp(fake, opts);
    try {
      const first = await a.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
      const second = await b.api.users.getUsers({ login: ['twitchdev'] }, { cacheTtl: 30_000 });
      expect(second).toEqual(first);
      expect(fake.requestsTo('GET', '/users')).toHaveLength(1);
      expect(await cluster.keys(`${keyPrefix}{cache:GET:${fake.helixUrl}/users?login=twitchdev:app}`)).toHaveLength(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('token store: records and the index of user IDs, encrypted, refreshed once across two instances', async () => {
    fake.clearRequests();
    const keyPrefix = fresh('tokens');
    const opts = { redis, keyPrefix, tokens: { encryptionKey: 'a'.repeat(64), validateOnStartup: false } };
    const a = await createTwitchApp(fake, opts);
    const b = await createTwitchApp(fake, opts);
    try {
      const issued = fake.issueUserToken({ ...TWITCHDEV, scopes: ['user:read:follows'] });
      await a.app.get(TwitchUserTokenService).save({
        accessToken: issued.accessToken,
        refreshToken: issued.refreshToken,
        scopes: ['user:read:follows'],
        tokenType: 'bearer',
      });
      const store = b.app.get(TwitchTokenStore);
      expect(await store.userIds()).toEqual([TWITCHDEV.userId]);
      expect(await store.get(TWITCHDEV.userId)).toMatchObject({ ...TWITCHDEV, accessToken: issued.accessToken });
      const [raw] = await cluster.keys(`${keyPrefix}{user-token:${TWITCHDEV.userId}}`);
      expect(raw).toBeDefined();
      // Expired: both instances call at once, one refresh (under the lock in the cluster) serves both.
      fake.expireToken(issued.accessToken);
      fake.clearRequests();
      const calls = [a, b].flatMap((x) => [1, 2, 3].map(() => x.api.users.getUsers({}, { userId: TWITCHDEV.userId })));
      for (const me of await Promise.all(calls)) expect(me.data[0].login).toBe('twitchdev');
      const tokenCalls = fake.requestsTo('POST', '/oauth2/token');
      const refreshes = tokenCalls.filter((r) => (r.body as Record<string, string>).grant_type === 'refresh_token');
      expect(refreshes).toHaveLength(1);
      await store.delete(TWITCHDEV.userId);
      expect(await a.app.get(TwitchTokenStore).userIds()).toEqual([]);
      expect(await a.app.get(TwitchTokenStore).get(TWITCHDEV.userId)).toBeUndefined();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('login: state, callback, session and logout with everything in the cluster; a replayed state is refused', async () => {
    @Controller('me')
    class MeController {
      @Get()
      @TwitchAuth()
      me(@TwitchUser() user: TwitchIdentity) {
        return { login: user.login };
      }
    }
    const keyPrefix = fresh('login');
    const redirectUri = 'http://127.0.0.1:3000/auth/twitch/callback';
    const app = await createHttpApp('express', fake, {
      keyPrefix,
      redis,
      redirectUri,
      login: { scopes: ['user:read:email'], successRedirect: '/welcome' },
      imports: [TwitchLoginModule.forRoot({ path: 'auth/twitch' })],
      controllers: [MeController],
    });
    const http = () => request(app.getHttpServer());
    const cookieOf = (res: request.Response, name: string) => {
      const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
      const found = (raw ?? []).map((c) => c.split(';')[0]).find((c) => c.startsWith(`${name}=`));
      return found;
    };
    try {
      const start = await http().get('/auth/twitch/login').expect(302);
      const stateCookie = cookieOf(start, 'twitch_session_state')!;
      const consent = await fetch(`${start.headers.location}&fake_auto=approve&login=twitchdev`, { redirect: 'manual' });
      const callback = new URL(consent.headers.get('location')!);
      expect(callback.origin + callback.pathname).toBe(redirectUri);
      const done = await http()
        .get(callback.pathname + callback.search)
        .set('Cookie', stateCookie)
        .expect(302);
      expect(done.headers.location).toBe('/welcome');
      const session = cookieOf(done, 'twitch_session')!;
      expect((await http().get('/me').set('Cookie', session).expect(200)).body).toEqual({ login: 'twitchdev' });
      expect(await cluster.keys(`${keyPrefix}{session:`)).toHaveLength(1);
      expect(await cluster.keys(`${keyPrefix}{login-state-used:`)).toHaveLength(1);
      // The used state is remembered in the cluster: the same callback again is refused.
      await http()
        .get(callback.pathname + callback.search)
        .set('Cookie', stateCookie)
        .expect(400);
      await http().post('/auth/twitch/logout').set('Cookie', session).type('form').send('').expect(303);
      await http().get('/me').set('Cookie', session).expect(401);
      expect(await cluster.keys(`${keyPrefix}{session:`)).toHaveLength(0);
    } finally {
      await app.close();
    }
  });

  it('conduit coordination: leases, shard owners and pointers of one conduit, on one slot of the cluster', async () => {
    const keyPrefix = fresh('conduit');
    const client = (redis as { client: TwitchRedisClient }).client;
    const c = new TwitchRedisConduitCoordinator(client, `${twitchKey(keyPrefix, 'eventsub:conduit:main')}:`);
    const now = Date.now();
    await c.setConduitId('conduit-1');
    await c.heartbeat('b', now + 60_000);
    await c.heartbeat('a', now + 60_000);
    await c.heartbeat('dead', now - 1);
    expect(await c.live(now)).toEqual(['a', 'b']);
    await c.setOwners(
      new Map([
        ['0', 'a'],
        ['1', 'b'],
      ]),
      [],
    );
    await c.setPointer('0', 'a', 'session-a');
    expect(Object.fromEntries(await c.owners())).toEqual({ 0: 'a', 1: 'b' });
    expect((await c.pointers()).get('0')).toEqual({ instanceId: 'a', target: 'session-a' });
    expect(await c.conduitId()).toBe('conduit-1');
    const keys = await cluster.keys(keyPrefix);
    expect(keys.sort()).toEqual(['id', 'instances', 'owners', 'pointers'].map((k) => `${keyPrefix}{eventsub:conduit:main}:${k}`));
  });

  it('EventSub: 100 notifications sent twice to either of two instances are each handled once', async () => {
    const handled: string[] = [];
    @Injectable()
    class Handlers {
      @OnTwitchEvent('channel.follow', { version: '2' })
      follow(_event: unknown, n: TwitchEventSubNotification) {
        handled.push(n.messageId);
      }
    }
    const keyPrefix = fresh('eventsub');
    // Generous timeouts: a busy machine must not switch an instance to claiming in memory (another test's subject).
    const common = {
      fake,
      keyPrefix,
      twitch: { redis: { ...redis, commandTimeoutMs: 5_000 } as TwitchModuleOptions['redis'] },
      eventSub: { reconcile: { onStartup: false }, redisTimeoutMs: 5_000 },
      providers: [Handlers],
    };
    const a = await createEventSubApp({ ...common, platform: 'express' });
    const b = await createEventSubApp({ ...common, platform: 'fastify' });
    try {
      const body = example('channel.follow.v2');
      const ids = Array.from({ length: 100 }, (_, i) => `cluster-${i}-${Math.random().toString(36).slice(2)}`);
      const sends = ids.flatMap((id) => [id, id]).sort(() => Math.random() - 0.5);
      const statuses: number[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < sends.length) {
            const id = sends[next];
            const to = next++ % 2 === 0 ? a : b;
            statuses.push((await post(`${to.url}/eventsub`, signedRequest('notification', body, { messageId: id }))).status);
          }
        }),
      );
      expect(statuses.filter((s) => s !== 204)).toEqual([]);
      await a.app.get(TwitchEventSubService).idle();
      await b.app.get(TwitchEventSubService).idle();
      expect(handled).toHaveLength(100);
      expect(new Set(handled).size).toBe(100);
      expect(await cluster.keys(`${keyPrefix}{eventsub:msg:`)).toHaveLength(100);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
