import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnTwitchEvent } from '../../lib/eventsub/decorators/on-twitch-event.decorator.js';
import type { TwitchEventSubNotification } from '../../lib/eventsub/interfaces/twitch-eventsub-message.interface.js';
import { TwitchEventSubService } from '../../lib/eventsub/twitch-eventsub.service.js';
import type { ChannelFollowEvent } from '../../lib/eventsub-types.js';
import { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { flushPrefix, REDIS_URL } from '../support/app.js';
import { createEventSubApp, example, type EventSubTestApp, post, signedRequest } from './support.js';

/** Handled message ids, per instance. */
const handled = new Map<string, string[]>();

function handlersFor(instance: string) {
  @Injectable()
  class Handlers {
    @OnTwitchEvent('channel.follow', { version: '2' })
    follow(_event: ChannelFollowEvent, n: TwitchEventSubNotification) {
      handled.set(instance, [...(handled.get(instance) ?? []), n.messageId]);
    }
  }
  return Handlers;
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

describe('EventSub: exactly once across instances sharing one Redis', () => {
  let fake: FakeTwitch;
  let a: EventSubTestApp;
  let b: EventSubTestApp;
  const keyPrefix = `t-eventsub-once-${Math.random().toString(36).slice(2)}:`;

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    // Redis is healthy here: generous command timeouts, so a machine too busy to answer in the default 500 ms
    // does not switch an instance to claiming in memory (that fallback is test/eventsub/redis-paused.spec.ts's).
    const common = {
      fake,
      keyPrefix,
      twitch: { redis: { url: REDIS_URL(), commandTimeoutMs: 5_000 } },
      eventSub: { reconcile: { onStartup: false }, redisTimeoutMs: 5_000 },
    };
    a = await createEventSubApp({ ...common, platform: 'express', providers: [handlersFor('a')] });
    b = await createEventSubApp({ ...common, platform: 'fastify', providers: [handlersFor('b')] });
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await fake?.close();
    await flushPrefix(keyPrefix);
  });

  it('400 notifications, each sent twice in random order to either instance: every message id handled exactly once', async () => {
    const body = example('channel.follow.v2');
    const ids = Array.from({ length: 400 }, (_, i) => `once-${i}-${Math.random().toString(36).slice(2)}`);
    const sends = ids.flatMap((id) => [id, id]).map((id) => ({ id, to: Math.random() < 0.5 ? a : b }));
    for (let i = sends.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [sends[i], sends[j]] = [sends[j], sends[i]];
    }
    const statuses: number[] = [];
    await pool(sends, 32, async ({ id, to }) => {
      const res = await post(`${to.url}/eventsub`, signedRequest('notification', body, { messageId: id }));
      statuses.push(res.status);
    });
    expect(statuses.filter((s) => s !== 204)).toEqual([]);
    await a.app.get(TwitchEventSubService).idle();
    await b.app.get(TwitchEventSubService).idle();
    const all = [...(handled.get('a') ?? []), ...(handled.get('b') ?? [])];
    const counts = new Map<string, number>();
    for (const id of all) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(all).toHaveLength(400);
    expect(ids.filter((id) => counts.get(id) !== 1)).toEqual([]);
    // Both instances took part.
    expect(handled.get('a')?.length).toBeGreaterThan(100);
    expect(handled.get('b')?.length).toBeGreaterThan(100);
  });
});

describe('EventSub: once per message id without Redis (memory claims)', () => {
  it('an instance without Redis handles each of 200 messages sent twice at once exactly once', async () => {
    const fake = await FakeTwitch.start();
    const keyPrefix = `t-eventsub-once-memory-${Math.random().toString(36).slice(2)}:`;
    const app = await createEventSubApp({
      platform: 'fastify',
      fake,
      keyPrefix,
      providers: [handlersFor('memory')],
      eventSub: { reconcile: { onStartup: false } },
    });
    try {
      const body = example('channel.follow.v2');
      const ids = Array.from({ length: 200 }, (_, i) => `memory-${i}`);
      const statuses: number[] = [];
      await pool(
        ids.flatMap((id) => [id, id]),
        32,
        async (id) =>
          void statuses.push((await post(`${app.url}/eventsub`, signedRequest('notification', body, { messageId: id }))).status),
      );
      expect(statuses.filter((s) => s !== 204)).toEqual([]);
      await app.app.get(TwitchEventSubService).idle();
      const got = handled.get('memory') ?? [];
      expect(got).toHaveLength(200);
      expect(new Set(got).size).toBe(200);
    } finally {
      await app.close();
      await fake.close();
    }
  });
});
