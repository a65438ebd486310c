import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OnTwitchEvent } from '../../lib/eventsub/decorators/on-twitch-event.decorator.js';
import { TwitchEventSubService } from '../../lib/eventsub/twitch-eventsub.service.js';
import {
  TwitchEventSubCostExceededException,
  TwitchEventSubMissingAuthorizationException,
} from '../../lib/exceptions/twitch-eventsub.exception.js';
import { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { flushPrefix, REDIS_URL } from '../support/app.js';
import { freePort } from '../support/net.js';
import { createEventSubApp, type EventSubTestApp, SECRET } from './support.js';

@Injectable()
class Handlers {
  @OnTwitchEvent('stream.online', { version: '1', condition: { broadcasterUserId: '1337' } })
  online() {}

  @OnTwitchEvent('channel.follow', { version: '2', condition: { broadcasterUserId: '1337', moderatorUserId: '1337' } })
  follow() {}
}

@Injectable()
class DropHandlers {
  @OnTwitchEvent('drop.entitlement.grant', { version: '1', condition: { organizationId: '9001' } })
  grant() {}
}

@Injectable()
class NoScopeHandlers {
  @OnTwitchEvent('channel.subscribe', { version: '1', condition: { broadcasterUserId: '999' } })
  subscribe() {}
}

describe('EventSub subscription reconciler against the fake Twitch', () => {
  let fake: FakeTwitch;
  let apps: EventSubTestApp[] = [];
  let keyPrefix: string;

  beforeEach(async () => {
    fake = await FakeTwitch.start();
    fake.issueUserToken({ userId: '1337', scopes: ['moderator:read:followers'] });
    keyPrefix = `t-eventsub-reconcile-${Math.random().toString(36).slice(2)}:`;
    apps = [];
  });

  afterEach(async () => {
    for (const a of apps) await a.close();
    await fake.close();
    await flushPrefix(keyPrefix);
  });

  const start = async (o: Partial<Parameters<typeof createEventSubApp>[0]> = {}) => {
    const app = await createEventSubApp({
      platform: 'express',
      fake,
      keyPrefix,
      redisUrl: REDIS_URL(),
      providers: [Handlers],
      ...o,
    });
    apps.push(app);
    return app;
  };
  const service = (a: EventSubTestApp) => a.app.get(TwitchEventSubService);
  const ourSubs = (callback: string) => fake.eventSub.subscriptions().filter((s) => s.transport.callback === callback);
  /** A subscription put straight into the fake, as if created earlier. */
  const seed = (type: string, version: string, condition: Record<string, string>, callback: string, status = 'enabled') => {
    const id = randomUUID();
    fake.state.eventSubSubscriptions.set(id, {
      id,
      status,
      type,
      version,
      condition,
      createdAt: new Date().toISOString(),
      transport: { method: 'webhook', callback, secret: SECRET },
      cost: 0,
      clientId: fake.clientId,
    });
    return id;
  };

  it('creates the missing subscriptions at startup; they become enabled after the challenge', async () => {
    const a = await start();
    const report = (await service(a).startupReconcile())!;
    expect(report.created.map((e) => e.type).sort()).toEqual(['channel.follow', 'stream.online']);
    expect(report.failed).toEqual([]);
    await fake.eventSub.settled();
    expect(ourSubs(`${a.url}/eventsub`).map((s) => s.status)).toEqual(['enabled', 'enabled']);
    expect(report.maxTotalCost).toBe(10_000);
    expect(report.totalCost).toBe(0); // the broadcaster has authorized the app: cost 0
  });

  it('creates a batched type (drop.entitlement.grant) with is_batching_enabled: true, which Twitch requires', async () => {
    const a = await start({ providers: [DropHandlers] });
    const report = (await service(a).startupReconcile())!;
    expect(report.failed).toEqual([]);
    expect(report.created.map((e) => e.type)).toEqual(['drop.entitlement.grant']);
    const [create] = fake.requestsTo('POST', '/eventsub/subscriptions');
    expect(create?.body).toMatchObject({ type: 'drop.entitlement.grant', is_batching_enabled: true });
    expect(ourSubs(`${a.url}/eventsub`).map((s) => s.type)).toEqual(['drop.entitlement.grant']);
  });

  it('adopts existing subscriptions, re-creates failed ones, answers 409 by adopting, and prunes what nothing wants', async () => {
    const port = await freePort();
    const callback = `http://127.0.0.1:${port}/eventsub`;
    const adopted = seed('stream.online', '1', { broadcaster_user_id: '1337' }, callback);
    const failed = seed(
      'channel.follow',
      '2',
      { broadcaster_user_id: '1337', moderator_user_id: '1337' },
      callback,
      'notification_failures_exceeded',
    );
    const unwanted = seed('stream.online', '1', { broadcaster_user_id: '4242' }, callback);
    const foreign = seed('stream.online', '1', { broadcaster_user_id: '5151' }, 'https://other.example.com/eventsub');
    const a = await start({ port, eventSub: { reconcile: { onStartup: false } } });

    const report = await service(a).reconcile({ prune: true });
    expect(report.adopted).toEqual([expect.objectContaining({ type: 'stream.online', id: adopted })]);
    expect(report.recreated).toEqual([
      expect.objectContaining({ type: 'channel.follow', status: 'notification_failures_exceeded' }),
    ]);
    expect(report.recreated[0].id).not.toBe(failed);
    expect(report.pruned).toEqual([expect.objectContaining({ id: unwanted })]);
    expect(report.created).toEqual([]);
    expect(fake.state.eventSubSubscriptions.has(failed)).toBe(false);
    expect(fake.state.eventSubSubscriptions.has(unwanted)).toBe(false);
    expect(fake.state.eventSubSubscriptions.has(foreign)).toBe(true);
    await fake.eventSub.settled();
    expect(ourSubs(callback).map((s) => s.status)).toEqual(['enabled', 'enabled']);

    // Runtime subscribe of a subscription that already exists elsewhere: Twitch's 409 is adopted, not an error.
    const existing = seed('stream.online', '1', { broadcaster_user_id: '6161' }, callback);
    const entry = await service(a).subscribe('stream.online', '1', { broadcasterUserId: '6161' });
    // The adopted entry carries the existing subscription's id.
    expect(entry).toMatchObject({ type: 'stream.online', condition: { broadcaster_user_id: '6161' }, id: existing });
    expect(fake.requestsTo('POST', '/eventsub/subscriptions').at(-1)?.status).toBe(409);
    expect(
      service(a)
        .wanted()
        .map((w) => w.condition.broadcaster_user_id),
    ).toContain('6161');
    // ... and unsubscribe deletes it and stops wanting it.
    expect(await service(a).unsubscribe('stream.online', '1', { broadcasterUserId: '6161' })).toBe(1);
    expect(fake.eventSub.subscriptions().some((s) => s.condition.broadcaster_user_id === '6161')).toBe(false);
  });

  it('reports a missing authorization per subscription with the scopes and a login URL, without failing the app', async () => {
    const a = await start({ providers: [Handlers, NoScopeHandlers] });
    const report = (await service(a).startupReconcile())!;
    expect(report.created).toHaveLength(2);
    expect(report.failed).toHaveLength(1);
    const f = report.failed[0];
    expect(f).toMatchObject({
      type: 'channel.subscribe',
      reason: 'missing_authorization',
      scopes: [['channel:read:subscriptions']],
    });
    expect(f.error).toBeInstanceOf(TwitchEventSubMissingAuthorizationException);
    expect(f.authorizationUrl).toContain('scope=channel%3Aread%3Asubscriptions');
    expect(f.error.message).toContain('channel:read:subscriptions');
    // Runtime subscribe throws the same typed exception; nothing is added to the wanted list.
    await expect(service(a).subscribe('channel.subscribe', '1', { broadcasterUserId: '998' })).rejects.toBeInstanceOf(
      TwitchEventSubMissingAuthorizationException,
    );
    // A bad condition is refused before anything is sent.
    const before = fake.requests.length;
    await expect(service(a).subscribe('stream.online', '1', { broadcasterUserId: 42 } as never)).rejects.toThrow(
      /broadcasterUserId/,
    );
    expect(fake.requests.length).toBe(before);
  });

  it('tracks total_cost and reports reaching max_total_cost as a clear error', async () => {
    fake.eventSub.maxTotalCost = 1;
    const a = await start({ eventSub: { reconcile: { onStartup: false } } });
    const first = await service(a).subscribe('stream.online', '1', { broadcasterUserId: '7001' }); // cost 1: not authorized
    expect(first.id).toBeDefined();
    expect(service(a).cost).toEqual({ totalCost: 1, maxTotalCost: 1 });
    // Another unauthorized broadcaster would cost 1 more: a clear, typed error.
    const error = await service(a)
      .subscribe('stream.online', '1', { broadcasterUserId: '7002' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TwitchEventSubCostExceededException);
    expect((error as Error).message).toMatch(/total_cost 1 of max_total_cost 1/);
    expect(
      service(a)
        .wanted()
        .some((w) => w.condition.broadcaster_user_id === '7002'),
    ).toBe(false);
    // In a reconcile it is reported per subscription; subscriptions that cost 0 are still created.
    const report = await service(a).reconcile();
    expect(report.created.map((e) => e.type).sort()).toEqual(['channel.follow', 'stream.online']);
    expect(report.adopted.map((e) => e.condition.broadcaster_user_id)).toEqual(['7001']);
    expect(report).toMatchObject({ totalCost: 1, maxTotalCost: 1, failed: [] });
  });

  it('prune on one instance keeps the subscriptions another instance made at runtime', async () => {
    const port = await freePort();
    const callbackUrl = `http://127.0.0.1:${port}/eventsub`;
    const off = { reconcile: { onStartup: false } };
    const a = await start({ port, eventSub: off });
    const b = await start({ callbackUrl, eventSub: off });
    await service(a).subscribe('stream.online', '1', { broadcasterUserId: '8080' });
    await fake.eventSub.settled();
    const report = await service(b).reconcile({ prune: true });
    expect(report.pruned).toEqual([]);
    expect(report.adopted.map((e) => e.condition.broadcaster_user_id)).toContain('8080');
    expect(fake.eventSub.subscriptions().some((s) => s.condition.broadcaster_user_id === '8080')).toBe(true);
    // Once unsubscribed (on any instance), it is no longer wanted anywhere.
    await service(a).unsubscribe('stream.online', '1', { broadcasterUserId: '8080' });
    seed('stream.online', '1', { broadcaster_user_id: '8080' }, callbackUrl);
    expect((await service(b).reconcile({ prune: true })).pruned.map((e) => e.condition.broadcaster_user_id)).toEqual(['8080']);
  });

  it('logs failures and revocations without the webhook secret', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
    const logger = { log: capture, warn: capture, error: capture, debug: capture, verbose: capture, fatal: capture };
    fake.inject({ method: 'POST', path: '/eventsub/subscriptions', status: 400, message: 'The callback is not valid', times: 1 });
    const a = await start({ logger, providers: [Handlers, NoScopeHandlers] });
    const report = (await service(a).startupReconcile())!;
    expect(report.failed.map((f) => f.reason).sort()).toEqual(['error', 'missing_authorization']);
    await fake.eventSub.settled();
    const sub = ourSubs(`${a.url}/eventsub`).find((s) => s.status === 'enabled')!;
    await fake.eventSub.revoke(sub.id, 'authorization_revoked');
    await service(a).idle();
    const eventSubLines = lines.filter((l) => l.includes('TwitchEventSub') || l.includes('EventSub'));
    expect(eventSubLines.some((l) => l.includes('The callback is not valid'))).toBe(true);
    expect(eventSubLines.some((l) => l.includes('revoked by Twitch: authorization_revoked'))).toBe(true);
    expect(lines.filter((l) => l.includes(SECRET))).toEqual([]);
  });

  it('two instances starting together create each subscription once', async () => {
    const port = await freePort();
    const callbackUrl = `http://127.0.0.1:${port}/eventsub`;
    const [a, b] = await Promise.all([start({ port }), start({ callbackUrl })]);
    const [ra, rb] = await Promise.all([service(a).startupReconcile(), service(b).startupReconcile()]);
    expect(fake.requestsTo('POST', '/eventsub/subscriptions')).toHaveLength(2);
    expect([ra!.created.length, rb!.created.length].sort()).toEqual([0, 2]);
    expect([ra!.adopted.length, rb!.adopted.length].sort()).toEqual([0, 2]);
    await fake.eventSub.settled();
    expect(ourSubs(callbackUrl).map((s) => s.status)).toEqual(['enabled', 'enabled']);
  });
});
