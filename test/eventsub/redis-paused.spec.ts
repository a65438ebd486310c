import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnTwitchEvent } from '../../lib/eventsub/decorators/on-twitch-event.decorator.js';
import type { TwitchEventSubNotification } from '../../lib/eventsub/interfaces/twitch-eventsub-message.interface.js';
import { TwitchEventSubService } from '../../lib/eventsub/twitch-eventsub.service.js';
import type { ChannelFollowEvent } from '../../lib/eventsub-types.js';
import { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { hasRedisServer, startPrivateRedis } from '../support/redis.js';
import { createEventSubApp, example, type EventSubTestApp, post, signedRequest } from './support.js';

const handled: string[] = [];

@Injectable()
class Handlers {
  @OnTwitchEvent('channel.follow', { version: '2' })
  follow(_event: ChannelFollowEvent, n: TwitchEventSubNotification) {
    handled.push(n.messageId);
  }
}

const counts = (ids: string[]) => ids.map((id) => handled.filter((h) => h === id).length);

describe.skipIf(!hasRedisServer())('EventSub claims while Redis is paused', () => {
  let fake: FakeTwitch;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let a: EventSubTestApp;
  let b: EventSubTestApp;
  let pid: number;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    const probe = createClient({ url: redis.url });
    await probe.connect();
    pid = Number(/process_id:(\d+)/.exec(await probe.info('server'))![1]);
    await probe.close();
    fake = await FakeTwitch.start();
    const common = {
      fake,
      keyPrefix: 't-eventsub-paused:',
      redisUrl: redis.url,
      providers: [Handlers],
      eventSub: { reconcile: { onStartup: false }, redisTimeoutMs: 200 },
    };
    a = await createEventSubApp({ ...common, platform: 'express' });
    b = await createEventSubApp({ ...common, platform: 'fastify' });
  });

  afterAll(async () => {
    if (pid) process.kill(pid, 'SIGCONT');
    await a?.close();
    await b?.close();
    await fake?.close();
    await redis?.stop();
  });

  const body = example('channel.follow.v2');
  const send = async (to: EventSubTestApp, id: string) => {
    const started = Date.now();
    const res = await post(`${to.url}/eventsub`, signedRequest('notification', body, { messageId: id }));
    return { status: res.status, ms: Date.now() - started };
  };
  const idle = async () => {
    await a.app.get(TwitchEventSubService).idle();
    await b.app.get(TwitchEventSubService).idle();
  };
  const ids = (tag: string, n: number) =>
    Array.from({ length: n }, (_, i) => `${tag}-${i}-${Math.random().toString(36).slice(2)}`);

  it('claims through Redis, falls back to local claims while it is paused (bounded), and shares them again after', async () => {
    const before = ids('before', 30);
    for (const id of before) {
      expect((await send(a, id)).status).toBe(204);
      expect((await send(b, id)).status).toBe(204);
    }
    await idle();
    expect(counts(before)).toEqual(Array(30).fill(1));

    process.kill(pid, 'SIGSTOP');
    // Same instance twice: the local claim still recognises the retry. Each answer is bounded by redisTimeoutMs.
    // The messages go side by side (each one's delivery and retry in order): each waits out the timeout once.
    const sameInstance = ids('paused-same', 10);
    await Promise.all(
      sameInstance.map(async (id) => {
        const first = await send(a, id);
        const second = await send(a, id);
        expect([first.status, second.status]).toEqual([204, 204]);
        expect(first.ms).toBeLessThan(5_000);
      }),
    );
    // Both instances: each claims locally, so both may handle it (the documented duplicate window).
    const acrossInstances = ids('paused-across', 10);
    await Promise.all(
      acrossInstances.map(async (id) => {
        const [x, y] = await Promise.all([send(a, id), send(b, id)]);
        expect([x.status, y.status]).toEqual([204, 204]);
      }),
    );
    await idle();
    expect(counts(sameInstance)).toEqual(Array(10).fill(1));
    const across = counts(acrossInstances);
    expect(across.every((c) => c === 1 || c === 2)).toBe(true);
    expect(across.some((c) => c === 2)).toBe(true);

    process.kill(pid, 'SIGCONT');
    const probe = createClient({ url: redis.url });
    await probe.connect();
    await probe.ping();
    await probe.close();
    const after = ids('after', 30);
    for (const id of after) {
      expect((await send(b, id)).status).toBe(204);
      expect((await send(a, id)).status).toBe(204);
    }
    await idle();
    expect(counts(after)).toEqual(Array(30).fill(1));
  });
});
