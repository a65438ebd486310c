import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OnTwitchEvent,
  OnTwitchNotification,
  OnTwitchRevocation,
} from '../../lib/eventsub/decorators/on-twitch-event.decorator.js';
import type {
  TwitchEventSubNotification,
  TwitchEventSubSubscriptionInfo,
} from '../../lib/eventsub/interfaces/twitch-eventsub-message.interface.js';
import type { TwitchEventSubHandlerErrorContext } from '../../lib/eventsub/interfaces/twitch-eventsub-options.interface.js';
import { TwitchEventSubService } from '../../lib/eventsub/twitch-eventsub.service.js';
import {
  ChannelChatMessageEvent,
  ChannelCheerEvent,
  ChannelFollowEvent,
  ChannelSubscribeEvent,
  StreamOnlineEvent,
} from '../../lib/eventsub-types.js';
import { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { flushPrefix, REDIS_URL } from '../support/app.js';
import { createEventSubApp, example, gate, type EventSubTestApp, type Platform, post, signedRequest } from './support.js';

const received: { kind: string; event: unknown; notification: TwitchEventSubNotification }[] = [];
const revocations: TwitchEventSubSubscriptionInfo[] = [];
const audit: string[] = [];
const errors: { error: unknown; context: TwitchEventSubHandlerErrorContext }[] = [];
let slow = gate();
let slowStarted = false;
let slowFinished = false;

@Injectable()
class Handlers {
  @OnTwitchEvent('channel.follow', { version: '2', condition: { broadcasterUserId: '1337', moderatorUserId: '1337' } })
  follow(event: ChannelFollowEvent, n: TwitchEventSubNotification<ChannelFollowEvent>) {
    received.push({ kind: 'follow', event, notification: n });
  }

  @OnTwitchEvent('stream.online', { version: '1', condition: { broadcasterUserId: '1337' } })
  async online(event: StreamOnlineEvent, n: TwitchEventSubNotification) {
    slowStarted = true;
    await slow.promise;
    slowFinished = true;
    received.push({ kind: 'online', event, notification: n });
  }

  @OnTwitchEvent('channel.subscribe', { version: '1', condition: { broadcasterUserId: '1337' } })
  subscribe(event: ChannelSubscribeEvent, n: TwitchEventSubNotification) {
    received.push({ kind: 'subscribe', event, notification: n });
  }

  @OnTwitchEvent('channel.cheer', { version: '1', condition: { broadcasterUserId: '1337' } })
  cheer(event: ChannelCheerEvent, n: TwitchEventSubNotification) {
    if (event.message === 'boom') throw new Error('cheer handler exploded');
    received.push({ kind: 'cheer', event, notification: n });
  }

  @OnTwitchEvent('channel.chat.message', { version: '1', condition: { broadcasterUserId: '1971641', userId: '2914196' } })
  chat(event: ChannelChatMessageEvent, n: TwitchEventSubNotification) {
    received.push({ kind: 'chat', event, notification: n });
  }

  @OnTwitchNotification()
  all(n: TwitchEventSubNotification) {
    audit.push(n.messageId);
  }

  @OnTwitchRevocation()
  revoked(subscription: TwitchEventSubSubscriptionInfo) {
    revocations.push(subscription);
  }
}

describe.each<Platform>(['express', 'fastify'])('EventSub webhook on %s', (platform) => {
  let fake: FakeTwitch;
  let t: EventSubTestApp;
  const keyPrefix = `t-eventsub-webhook-${platform}-${Math.random().toString(36).slice(2)}:`;
  const hook: unknown[] = [];

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    fake.issueUserToken({ userId: '1337', scopes: ['moderator:read:followers', 'channel:read:subscriptions', 'bits:read'] });
    fake.issueUserToken({ userId: '2914196', scopes: ['user:read:chat', 'user:bot'] });
    t = await createEventSubApp({
      platform,
      fake,
      keyPrefix,
      redisUrl: REDIS_URL(),
      providers: [Handlers],
      eventSub: {
        onHandlerError: (error, context) => {
          errors.push({ error, context });
        },
        onRevocation: (s) => {
          hook.push(s.status);
        },
      },
    });
    const report = await t.app.get(TwitchEventSubService).startupReconcile();
    expect(report?.created).toHaveLength(5);
    await fake.eventSub.settled();
  });

  afterAll(async () => {
    slow.open();
    await t?.close();
    await fake?.close();
    await flushPrefix(keyPrefix);
  });

  const fresh = () => {
    received.length = 0;
    audit.length = 0;
    errors.length = 0;
  };
  const service = () => t.app.get(TwitchEventSubService);

  it('answers the verification challenge with the challenge as text/plain, which enables the subscriptions', () => {
    const challenges = fake.eventSub.deliveries.filter((d) => d.messageType === 'webhook_callback_verification');
    expect(challenges).toHaveLength(5);
    for (const d of challenges) {
      expect(d.status).toBe(200);
      expect(d.contentType).toMatch(/^text\/plain/);
      expect(d.body).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(fake.eventSub.subscriptions().map((s) => s.status)).toEqual(Array(5).fill('enabled'));
  });

  it("delivers each of Twitch's example payloads to its typed handler", async () => {
    fresh();
    slow.open();
    for (const name of [
      'channel.follow.v2',
      'stream.online.v1',
      'channel.subscribe.v1',
      'channel.cheer.v1',
      'channel.chat.message.v1',
    ]) {
      const { subscription, event } = example(name);
      const [d] = await fake.eventSub.emit(String(subscription.type), event);
      expect(d?.status, name).toBe(204);
    }
    await service().idle();
    const byKind = Object.fromEntries(received.map((r) => [r.kind, r.event]));
    expect(byKind.follow).toBeInstanceOf(ChannelFollowEvent);
    expect(byKind.follow).toMatchObject({ userId: '1234', userLogin: 'cool_user', broadcasterUserId: '1337' });
    expect((byKind.follow as ChannelFollowEvent).followedAt).toEqual(new Date('2020-07-15T18:16:11.171Z'));
    expect(byKind.online).toBeInstanceOf(StreamOnlineEvent);
    expect(byKind.online).toMatchObject({ id: '9001', type: 'live', startedAt: new Date('2020-10-11T10:11:12.123Z') });
    expect(byKind.subscribe).toMatchObject({ tier: '1000', isGift: false });
    expect(byKind.cheer).toMatchObject({ bits: 1000, message: 'pogchamp', isAnonymous: false });
    const chat = byKind.chat as ChannelChatMessageEvent;
    expect(chat).toBeInstanceOf(ChannelChatMessageEvent);
    expect(chat.message.text).toBe('Hi chat');
    expect(chat.message.fragments[0].type).toBe('text');
    expect(chat.badges.map((b) => b.setId)).toEqual(['moderator', 'subscriber', 'sub-gifter']);
    expect(audit).toHaveLength(5);
    const n = received[0].notification;
    expect(n.transport).toBe('webhook');
    expect(n.subscription.status).toBe('enabled');
    expect(n.timestamp).toBeInstanceOf(Date);
  });

  it('refuses a bad signature with 403 and takes no claim: the same id, correctly signed, is handled afterwards', async () => {
    fresh();
    const { event } = example('channel.follow.v2');
    const [bad] = await fake.eventSub.emit('channel.follow', event, { messageId: `bad-${platform}`, signature: 'bad' });
    expect(bad.status).toBe(403);
    expect(JSON.parse(bad.body!)).toMatchObject({ reason: 'invalid_signature' });
    const [tampered] = await fake.eventSub.emit('channel.follow', event, { messageId: `bad-${platform}`, signature: 'tampered' });
    expect(tampered.status).toBe(403);
    const [missing] = await fake.eventSub.emit('channel.follow', event, { messageId: `bad-${platform}`, signature: 'missing' });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('Twitch-Eventsub-Message-Signature');
    await service().idle();
    expect(received).toHaveLength(0);
    const [good] = await fake.eventSub.emit('channel.follow', event, { messageId: `bad-${platform}` });
    expect(good.status).toBe(204);
    await service().idle();
    expect(received).toHaveLength(1);
  });

  it('refuses a signature made with another secret, and an unsigned request', async () => {
    fresh();
    const body = example('channel.follow.v2');
    const other = signedRequest('notification', body, { secret: 'another-secret-value' });
    expect((await post(`${t.url}/eventsub`, other)).status).toBe(403);
    const unsigned = signedRequest('notification', body);
    delete unsigned.headers['Twitch-Eventsub-Message-Signature'];
    delete unsigned.headers['Twitch-Eventsub-Message-Id'];
    const res = await post(`${t.url}/eventsub`, unsigned);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ reason: 'missing_headers' });
    await service().idle();
    expect(received).toHaveLength(0);
  });

  it('refuses a body that is not JSON', async () => {
    fresh();
    const req = signedRequest('notification', example('channel.follow.v2'));
    req.headers['Content-Type'] = 'text/plain';
    const res = await post(`${t.url}/eventsub`, req);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    await service().idle();
    expect(received).toHaveLength(0);
  });

  it('refuses a stale timestamp (older than 10 minutes) without claiming it', async () => {
    fresh();
    const { event } = example('channel.follow.v2');
    const old = new Date(Date.now() - 11 * 60 * 1000);
    const [d] = await fake.eventSub.emit('channel.follow', event, { messageId: `old-${platform}`, timestamp: old });
    expect(d.status).toBe(400);
    expect(JSON.parse(d.body!)).toMatchObject({ reason: 'stale_message' });
    await service().idle();
    expect(received).toHaveLength(0);
    const [again] = await fake.eventSub.emit('channel.follow', event, { messageId: `old-${platform}` });
    expect(again.status).toBe(204);
    await service().idle();
    expect(received).toHaveLength(1);
  });

  it('acknowledges a replayed message id and does not handle it again', async () => {
    fresh();
    const { event } = example('channel.follow.v2');
    const deliveries = await fake.eventSub.emit('channel.follow', event, { duplicates: 2 });
    expect(deliveries.map((d) => d.status)).toEqual([204, 204, 204]);
    expect(new Set(deliveries.map((d) => d.messageId)).size).toBe(1);
    await service().idle();
    expect(received).toHaveLength(1);
    expect(audit).toHaveLength(1);
  });

  it('acknowledges before a slow handler finishes', async () => {
    fresh();
    slow = gate();
    slowStarted = false;
    slowFinished = false;
    const { event } = example('stream.online.v1');
    const [d] = await fake.eventSub.emit('stream.online', event);
    expect(d.status).toBe(204);
    await expect.poll(() => slowStarted).toBe(true);
    expect(slowFinished).toBe(false);
    slow.open();
    await service().idle();
    expect(slowFinished).toBe(true);
    expect(received.map((r) => r.kind)).toEqual(['online']);
  });

  it('reports a throwing handler through onHandlerError, after acknowledging', async () => {
    fresh();
    const { event } = example('channel.cheer.v1');
    const [d] = await fake.eventSub.emit('channel.cheer', { ...event, message: 'boom' }, { messageId: `boom-${platform}` });
    expect(d.status).toBe(204);
    await service().idle();
    expect(errors).toHaveLength(1);
    expect((errors[0].error as Error).message).toBe('cheer handler exploded');
    expect(errors[0].context.handler).toBe('Handlers.cheer');
    expect(errors[0].context.notification.messageId).toBe(`boom-${platform}`);
    expect(audit).toEqual([`boom-${platform}`]);
  });

  it('handles a revocation: acknowledged, reported with the reason to @OnTwitchRevocation and onRevocation', async () => {
    fresh();
    const sub = fake.eventSub.subscriptions({ type: 'channel.subscribe' })[0];
    const [d] = await fake.eventSub.revoke(sub.id, 'authorization_revoked');
    expect(d.status).toBe(204);
    await service().idle();
    expect(revocations.at(-1)).toMatchObject({ id: sub.id, type: 'channel.subscribe', status: 'authorization_revoked' });
    expect(hook.at(-1)).toBe('authorization_revoked');
    expect(received).toHaveLength(0);
  });
});

describe('EventSub webhook without rawBody', () => {
  it('answers 500 saying rawBody: true is needed (fastify)', async () => {
    const fake = await FakeTwitch.start();
    const keyPrefix = `t-eventsub-webhook-raw-${Math.random().toString(36).slice(2)}:`;
    const t = await createEventSubApp({
      platform: 'fastify',
      fake,
      keyPrefix,
      rawBody: false,
      eventSub: { reconcile: { onStartup: false } },
    });
    try {
      const res = await post(`${t.url}/eventsub`, signedRequest('notification', example('channel.follow.v2')));
      expect(res.status).toBe(500);
      expect(JSON.parse(res.body).message).toContain('rawBody: true');
    } finally {
      await t.close();
      await fake.close();
    }
  });

  it('works on express: the module reads the webhook body itself', async () => {
    const fake = await FakeTwitch.start();
    const keyPrefix = `t-eventsub-webhook-raw-${Math.random().toString(36).slice(2)}:`;
    const t = await createEventSubApp({
      platform: 'express',
      fake,
      keyPrefix,
      rawBody: false,
      eventSub: { reconcile: { onStartup: false } },
    });
    const seen: TwitchEventSubNotification[] = [];
    t.app.get(TwitchEventSubService).onNotification((n) => {
      seen.push(n);
    });
    try {
      const res = await post(`${t.url}/eventsub`, signedRequest('notification', example('channel.follow.v2')));
      expect(res.status).toBe(204);
      await t.app.get(TwitchEventSubService).idle();
      expect(seen).toHaveLength(1);
      expect(seen[0].event).toBeInstanceOf(ChannelFollowEvent);
    } finally {
      await t.close();
      await fake.close();
    }
  });
});
