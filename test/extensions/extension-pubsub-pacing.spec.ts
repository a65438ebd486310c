import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { TwitchExtensionService } from '../../lib/extensions/twitch-extension.service.js';
import { TwitchExtensionPubSubLimitException } from '../../lib/exceptions/twitch-extension.exception.js';
import type { TwitchExtensionModuleOptions } from '../../lib/extensions/twitch-extension-options.interface.js';
import type { FakeExtension } from '../../lib/testing/fake-twitch/index.js';
import { FakeTwitch, flushPrefix, REDIS_URL, uniquePrefix } from '../support/app.js';
import { createExtensionApp } from './support.js';

const OWNER = '141981764';
const LIMIT = 10;
const WINDOW_MS = 1_000;

/** Most messages the fake accepted for one channel within any window of `windowMs`. */
function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while (sorted[j] - sorted[i] >= windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

describe('PubSub pacing per channel, shared by instances through Redis', () => {
  let fake: FakeTwitch;
  let ext: FakeExtension;
  let prefix: string;
  const apps: INestApplicationContext[] = [];

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await fake?.close();
    await flushPrefix(prefix);
  });

  async function setUp(pubsub: TwitchExtensionModuleOptions['pubsub'], instances: number): Promise<TwitchExtensionService[]> {
    // The fake holds Twitch's rule (LIMIT per WINDOW_MS per channel), scaled down from 100 per minute.
    fake = await FakeTwitch.start({ recordRequests: false });
    ext = fake.extensions.add({ ownerId: OWNER, pubsubLimit: { limit: LIMIT, windowMs: WINDOW_MS } });
    prefix = `t-ext-pacing-${Math.random().toString(36).slice(2, 8)}:${uniquePrefix()}`;
    const services: TwitchExtensionService[] = [];
    for (let i = 0; i < instances; i++) {
      // The pacing is shared through Redis; a machine too busy to answer within the default command timeout
      // would switch the instances to pacing in memory (each on its own), which is another test's subject.
      const app = await createExtensionApp(
        fake,
        prefix,
        { secret: ext.currentSecret, ownerId: OWNER, fetchSecrets: false, pubsub },
        { redis: { url: REDIS_URL(), commandTimeoutMs: 5_000 } },
      );
      apps.push(app);
      services.push(app.get(TwitchExtensionService));
    }
    return services;
  }

  it('holds 3 instances on one Redis to the limit: every message accepted, 0 refusals from the fake', async () => {
    const services = await setUp({ limit: LIMIT, windowMs: WINDOW_MS, marginMs: 50, maxWaitMs: 30_000 }, 3);
    const perInstance = 7;
    const sends = services.flatMap((ebs, i) =>
      Array.from({ length: perInstance }, (_, n) =>
        ebs.sendPubSubMessage({ broadcasterId: '12826', target: 'broadcast', message: `instance ${i} message ${n}` }),
      ),
    );
    // And a second channel, paced on its own.
    sends.push(
      ...Array.from({ length: 5 }, (_, n) =>
        services[n % 3].sendPubSubMessage({ broadcasterId: '777', target: 'broadcast', message: `${n}` }),
      ),
    );
    const results = await Promise.allSettled(sends);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(ext.refusals.pubsub).toBe(0);
    const channel = ext.pubsubMessages.filter((m) => m.broadcasterId === '12826');
    expect(channel).toHaveLength(3 * perInstance);
    expect(
      busiestWindow(
        channel.map((m) => m.at),
        WINDOW_MS,
      ),
    ).toBeLessThanOrEqual(LIMIT);
    // 21 messages at 10 per window cannot all have gone in the first two windows: the pacing waited.
    const times = channel.map((m) => m.at);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(2 * WINDOW_MS);
    expect(ext.pubsubMessages.filter((m) => m.broadcasterId === '777')).toHaveLength(5);
  });

  it('keeps to the limit when requests take long on the way: a slot counts until its answer came back', async () => {
    const services = await setUp({ limit: LIMIT, windowMs: WINDOW_MS, marginMs: 50, maxWaitMs: 30_000 }, 3);
    // The first window's messages are held 600 ms before the fake counts them (a slow network on the way in),
    // the next ones are not: had their slots been freed a window after they were taken, the next window's
    // messages would reach the fake together with them.
    fake.inject({ method: 'POST', path: '/extensions/pubsub', delayMs: 600, times: LIMIT });
    const sends = services.flatMap((ebs, i) =>
      Array.from({ length: 4 }, (_, n) =>
        ebs.sendPubSubMessage({ broadcasterId: '12826', target: 'broadcast', message: `${i}:${n}` }),
      ),
    );
    const results = await Promise.allSettled(sends);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(ext.refusals.pubsub).toBe(0);
    expect(
      busiestWindow(
        ext.pubsubMessages.map((m) => m.at),
        WINDOW_MS,
      ),
    ).toBeLessThanOrEqual(LIMIT);
  });

  it('without pacing the same load is refused by the fake (the check above can fail)', async () => {
    const services = await setUp({ enabled: false }, 3);
    const sends = services.flatMap((ebs) =>
      Array.from({ length: 7 }, (_, n) =>
        ebs.sendPubSubMessage({ broadcasterId: '12826', target: 'broadcast', message: `${n}` }),
      ),
    );
    const results = await Promise.allSettled(sends);
    expect(ext.refusals.pubsub).toBeGreaterThan(0);
    expect(results.some((r) => r.status === 'rejected')).toBe(true);
  });

  it('fails with a 429 TwitchExtensionPubSubLimitException, without sending, when no slot frees up within maxWaitMs', async () => {
    const [ebs] = await setUp({ limit: 2, windowMs: 60_000, marginMs: 0, maxWaitMs: 200 }, 1);
    await ebs.sendPubSubMessage({ broadcasterId: '12826', target: 'broadcast', message: '1' });
    await ebs.sendPubSubMessage({ broadcasterId: '12826', target: 'broadcast', message: '2' });
    const err = await ebs
      .sendPubSubMessage({ broadcasterId: '12826', target: 'broadcast', message: '3' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwitchExtensionPubSubLimitException);
    expect((err as TwitchExtensionPubSubLimitException).getStatus()).toBe(429);
    expect((err as TwitchExtensionPubSubLimitException).retryAfter).toBeGreaterThan(0);
    expect(ext.pubsubMessages).toHaveLength(2);
  });

  it('an aborted wait rejects and sends nothing', async () => {
    const [ebs] = await setUp({ limit: 1, windowMs: 60_000, marginMs: 0, maxWaitMs: 30_000 }, 1);
    await ebs.sendPubSubMessage({ broadcasterId: '12826', target: 'broadcast', message: '1' });
    const controller = new AbortController();
    const pending = ebs.sendPubSubMessage(
      { broadcasterId: '12826', target: 'broadcast', message: '2' },
      { signal: controller.signal },
    );
    const reason = new Error('viewer left');
    setTimeout(() => controller.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);
    expect(ext.pubsubMessages).toHaveLength(1);
  });
});
