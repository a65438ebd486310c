import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchChatService } from '../../lib/chat/twitch-chat.service.js';
import { TwitchChatMessageDroppedException, TwitchChatRateLimitException } from '../../lib/exceptions/twitch-chat.exception.js';
import { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { flushPrefix, uniquePrefix } from '../support/app.js';
import { BOT, CHANNEL, OTHER_CHANNEL, VIEWER, createChatApp, seedChat, type ChatApp } from './support.js';

const WINDOW = { limit: 8, windowMs: 1_000 };
const WHISPERS = { limit: 2, windowMs: 500 };

/** The most messages the fake put in chat within any `windowMs` (sliding). */
function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('chat limiter across instances', () => {
  let fake: FakeTwitch;
  const apps: ChatApp[] = [];
  const prefix = uniquePrefix();

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    seedChat(fake);
    fake.chat.checkAuthorization = true;
    fake.chat.limits.normal = { ...WINDOW };
    // Whispers: 2 a second at Twitch; a window of half a second here.
    fake.chat.limits.whispersPerSecond = { ...WHISPERS };
    for (let i = 0; i < 3; i++) {
      apps.push(
        await createChatApp({
          fake,
          keyPrefix: prefix,
          eventSub: { reconcile: { onStartup: false } },
          chat: {
            limits: { normal: { ...WINDOW }, whispersPerSecond: { ...WHISPERS }, marginMs: 100, maxWaitMs: 30_000 },
          },
        }),
      );
    }
  });

  afterAll(async () => {
    for (const a of apps) await a.close();
    await fake?.close();
    await flushPrefix(prefix);
  });

  it(
    'holds 3 instances on one Redis to the chat limit with no drops, sending as fast as asked',
    { timeout: 60_000 },
    async () => {
      // 15 messages: more than the limit, though each instance's own share is within it.
      const perInstance = 5;
      const started = Date.now();
      const results = await Promise.allSettled(
        apps.flatMap((a, i) =>
          Array.from({ length: perInstance }, (_, n) => a.app.get(TwitchChatService).say(CHANNEL, `instance ${i} message ${n}`)),
        ),
      );
      const failed = results.filter((r) => r.status === 'rejected');
      expect(failed).toEqual([]);
      expect(fake.chat.drops).toEqual([]);
      const sent = fake.chat.messages.filter((m) => m.senderId === BOT && m.at >= started);
      expect(sent).toHaveLength(3 * perInstance);
      // Never more than the limit in one window, and the limit was used: the bot sent as fast as allowed.
      const busiest = busiestWindow(
        sent.map((m) => m.at),
        WINDOW.windowMs,
      );
      expect(busiest).toBeLessThanOrEqual(WINDOW.limit);
      expect(busiest).toBe(WINDOW.limit);
    },
  );

  it('keeps to the limit however long requests take to reach Twitch', { timeout: 60_000 }, async () => {
    // The first window's Send Chat Messages reach the fake's chat 300 ms late, the next ones do not: a limiter
    // that counted a message from the moment it left would let the next window's messages in beside the late ones.
    fake.inject({ method: 'POST', path: '/chat/messages', times: WINDOW.limit, delayMs: 300 });
    // A channel of its own: the places the first test took in CHANNEL still count for a window.
    const channel = '900006';
    const started = Date.now();
    try {
      const results = await Promise.allSettled(
        apps.flatMap((a, i) => Array.from({ length: 5 }, (_, n) => a.app.get(TwitchChatService).say(channel, `late ${i} ${n}`))),
      );
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    } finally {
      fake.clearFaults();
    }
    expect(fake.chat.drops).toEqual([]);
    const sent = fake.chat.messages.filter((m) => m.senderId === BOT && m.channel === channel && m.at >= started);
    expect(sent).toHaveLength(15);
    expect(
      busiestWindow(
        sent.map((m) => m.at),
        WINDOW.windowMs,
      ),
    ).toBeLessThanOrEqual(WINDOW.limit);
  });

  it('the fake counts drops: the same burst without the limiter loses messages', { timeout: 30_000 }, async () => {
    const off = await createChatApp({
      fake,
      keyPrefix: prefix,
      eventSub: { reconcile: { onStartup: false } },
      chat: { limits: { enabled: false } },
    });
    try {
      // A channel of its own so that the window of the first test does not matter.
      const results = await Promise.allSettled(
        Array.from({ length: WINDOW.limit + 4 }, (_, n) => off.app.get(TwitchChatService).say(OTHER_CHANNEL, `burst ${n}`)),
      );
      const dropped = results.filter((r) => r.status === 'rejected' && r.reason instanceof TwitchChatMessageDroppedException);
      expect(dropped).toHaveLength(4);
      expect((dropped[0] as PromiseRejectedResult).reason.dropReason.code).toBe('msg_ratelimit');
      expect(fake.chat.drops.filter((d) => d.channel === OTHER_CHANNEL)).toHaveLength(4);
    } finally {
      await off.close();
    }
  });

  it('refuses at once what would wait longer than maxWaitMs, sending nothing', { timeout: 30_000 }, async () => {
    const service = apps[0].app.get(TwitchChatService);
    fake.chat.addModerator(CHANNEL, BOT);
    await service.shoutout(CHANNEL, OTHER_CHANNEL);
    const before = fake.requestsTo('POST', '/helix/chat/shoutouts').length;
    const error = await apps[1].app
      .get(TwitchChatService)
      .shoutout(CHANNEL, OTHER_CHANNEL)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TwitchChatRateLimitException);
    expect((error as TwitchChatRateLimitException).retryAfter).toBeGreaterThan(100);
    expect(fake.requestsTo('POST', '/helix/chat/shoutouts')).toHaveLength(before);
  });

  it('paces whispers per second across instances', { timeout: 30_000 }, async () => {
    const started = Date.now();
    await Promise.all(apps.map((a, i) => a.app.get(TwitchChatService).whisper(VIEWER, `whisper ${i}`)));
    await Promise.all(apps.map((a, i) => a.app.get(TwitchChatService).whisper(VIEWER, `again ${i}`)));
    const sent = fake.chat.whispers.filter((w) => w.at >= started);
    expect(sent).toHaveLength(6);
    expect(
      busiestWindow(
        sent.map((w) => w.at),
        WHISPERS.windowMs,
      ),
    ).toBeLessThanOrEqual(WHISPERS.limit);
  });

  it('without Redis, keeps to the limit in memory', { timeout: 30_000 }, async () => {
    const alone = await createChatApp({
      fake,
      keyPrefix: prefix,
      memory: true,
      eventSub: { reconcile: { onStartup: false } },
      chat: { limits: { normal: { limit: 3, windowMs: 500 }, marginMs: 50 } },
    });
    fake.chat.limits.normal = { limit: 3, windowMs: 500 };
    try {
      const started = Date.now();
      const channel = '900005';
      await Promise.all(Array.from({ length: 5 }, (_, n) => alone.app.get(TwitchChatService).say(channel, `memory ${n}`)));
      const sent = fake.chat.messages.filter((m) => m.channel === channel && m.at >= started);
      expect(sent).toHaveLength(5);
      expect(fake.chat.drops.filter((d) => d.channel === channel)).toEqual([]);
      expect(
        busiestWindow(
          sent.map((m) => m.at),
          500,
        ),
      ).toBe(3);
    } finally {
      fake.chat.limits.normal = { ...WINDOW };
      await alone.close();
    }
  });
});
