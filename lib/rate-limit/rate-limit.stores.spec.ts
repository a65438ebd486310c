import { createClient, type RedisClientType } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchMemoryRateLimitStore } from './memory-rate-limit.store.js';
import { TwitchRedisRateLimitStore } from './redis-rate-limit.store.js';
import {
  learnWindowMs,
  TWITCH_RATE_LIMIT_BOUNDS,
  type TwitchBucketSettings,
  type TwitchRateLimitStore,
} from './twitch-rate-limit.store.js';

const base: TwitchBucketSettings = {
  windowMs: 60_000,
  reserve: 0,
  ttlMs: 600_000,
  probeMs: 10_000,
  minWindowMs: TWITCH_RATE_LIMIT_BOUNDS.minWindowMs,
  maxWindowMs: TWITCH_RATE_LIMIT_BOUNDS.maxWindowMs,
};

describe('learnWindowMs', () => {
  it('moves from the prior towards limit × time-to-full / missing, by the share of the bucket missing', () => {
    expect(learnWindowMs(60_000, { limit: 40, remaining: 0, fullInMs: 10_000 }, base)).toBe(10_000);
    expect(learnWindowMs(60_000, { limit: 40, remaining: 30, fullInMs: 2_500 }, base)).toBe(47_500);
  });

  it('learns nothing from a full bucket, an unknown reset or no headers', () => {
    expect(learnWindowMs(60_000, { limit: 40, remaining: 40, fullInMs: 1_000 }, base)).toBe(60_000);
    expect(learnWindowMs(60_000, { limit: 40, remaining: 0 }, base)).toBe(60_000);
    expect(learnWindowMs(60_000, { limit: 40, remaining: 0, fullInMs: 0 }, base)).toBe(60_000);
    expect(learnWindowMs(60_000, {}, base)).toBe(60_000);
  });

  it('keeps each estimate within the bounds', () => {
    expect(learnWindowMs(60_000, { limit: 40, remaining: 0, fullInMs: 1 }, base)).toBe(base.minWindowMs);
    expect(learnWindowMs(60_000, { limit: 1, remaining: 0, fullInMs: 10_000_000 }, base)).toBe(base.maxWindowMs);
  });
});

describe('token bucket arithmetic (memory store, injected clock)', () => {
  it('gives a refused call its point back: refusals cost nothing', async () => {
    let now = 0;
    const store = new TwitchMemoryRateLimitStore(() => now);
    await store.take('b', 1, base, Infinity);
    await store.observe('b', { limit: 10, remaining: 0, fullInMs: 10_000 }, base); // 1 point per second
    for (let i = 0; i < 5; i++) expect(await store.take('b', 1, base, 500)).toEqual({ status: 'refused', waitMs: 1_000 });
    now += 1_000;
    expect(await store.take('b', 1, base, 0)).toEqual({ status: 'taken', waitMs: 0 });
  });

  it('recovers from an empty report within one refill time', async () => {
    let now = 0;
    const store = new TwitchMemoryRateLimitStore(() => now);
    await store.take('b', 1, base, Infinity);
    await store.observe('b', { limit: 10, remaining: 0, fullInMs: 10_000 }, base);
    now += 10_000;
    for (let i = 0; i < 10; i++) expect((await store.take('b', 1, base, 0)).status).toBe('taken');
    expect((await store.take('b', 1, base, 0)).status).toBe('refused');
  });

  it('paces with the refill time learnt from Ratelimit-Reset, windowMs only until then', async () => {
    const now = 0;
    const store = new TwitchMemoryRateLimitStore(() => now);
    await store.take('b', 1, base, Infinity);
    await store.observe('b', { limit: 40, remaining: 0 }, base);
    expect((await store.take('b', 1, base, Infinity)).waitMs).toBe(1_500); // 60 s / 40
    await store.observe('b', { limit: 40, remaining: 0, fullInMs: 10_000 }, base);
    // The debt of the first taker is paid at the learnt rate (250 ms a point).
    expect((await store.take('b', 1, base, Infinity)).waitMs).toBe(500);
  });

  it('shortens a wait handed out before the refill time was learnt', async () => {
    let now = 0;
    const store = new TwitchMemoryRateLimitStore(() => now);
    await store.take('b', 1, base, Infinity);
    await store.observe('b', { limit: 40, remaining: 0 }, base);
    const grants = [];
    for (let i = 0; i < 4; i++) grants.push(await store.take('b', 1, base, Infinity));
    expect(grants.map((g) => g.waitMs)).toEqual([1_500, 3_000, 4_500, 6_000]); // 60 s / 40 a point
    now += 1_000;
    await store.observe('b', { limit: 40, remaining: 0, fullInMs: 10_000 }, base); // 250 ms a point
    // 2/3 of a point refilled in the first second, the 3 1/3 others at 250 ms each (not 1.5 s).
    expect(await store.due('b', grants[3].ticket!, base)).toBe(834);
    expect(await store.due('b', grants[0].ticket!, base)).toBe(84); // was 1.5 s
    now += 834;
    expect(await store.due('b', grants[3].ticket!, base)).toBe(0);
  });

  it('never keeps more than half the bucket in reserve', async () => {
    const store = new TwitchMemoryRateLimitStore(() => 0);
    const s = { ...base, reserve: 2 };
    await store.take('b', 1, s, Infinity);
    await store.observe('b', { limit: 1, remaining: 1 }, s);
    expect(await store.take('b', 1, s, 1_000)).toEqual({ status: 'taken', waitMs: 0 });
  });

  it('lets calls through unpaced while the answers carry no headers, and paces once one does', async () => {
    const store = new TwitchMemoryRateLimitStore(() => 0);
    expect((await store.take('b', 1, base, Infinity)).status).toBe('probe');
    expect((await store.take('b', 1, base, Infinity)).status).toBe('pending');
    await store.observe('b', {}, base);
    for (let i = 0; i < 5; i++) expect(await store.take('b', 1, base, Infinity)).toEqual({ status: 'taken', waitMs: 0 });
    await store.observe('b', { limit: 2, remaining: 0, fullInMs: 2_000 }, base);
    expect(await store.take('b', 1, base, Infinity)).toMatchObject({ status: 'taken', waitMs: 1_000 });
  });

  it('ends a probe that got no answer, and probes again', async () => {
    const store = new TwitchMemoryRateLimitStore(() => 0);
    expect((await store.take('b', 1, base, Infinity)).status).toBe('probe');
    await store.observe('b', { answered: false }, base);
    expect((await store.take('b', 1, base, Infinity)).status).toBe('probe');
    expect((await store.take('b', 1, base, Infinity)).status).toBe('pending');
  });
});

/**
 * The same sequences on both stores. The memory store's clock stands still; Redis runs on its own, so
 * its waits are shorter by the time the sequence took (a few ms; more on a loaded machine).
 */
const TOLERANCE_MS = 100;
describe('memory and Redis stores agree', () => {
  let redis: RedisClientType;
  const prefix = `t-rate-limit-stores-${Math.random().toString(36).slice(2, 8)}:`;
  let n = 0;
  const frozen = Date.now();
  beforeAll(async () => {
    redis = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
    await redis.connect();
  });
  afterAll(async () => {
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}*` })) keys.push(...batch);
    if (keys.length) await redis.del(keys);
    await redis.close();
  });

  const stores = (): [string, TwitchRateLimitStore, string][] => [
    ['memory', new TwitchMemoryRateLimitStore(() => frozen), `${prefix}${++n}`],
    ['redis', new TwitchRedisRateLimitStore(redis), `${prefix}${++n}`],
  ];

  type Step = (store: TwitchRateLimitStore, key: string) => Promise<unknown>;
  async function both(steps: Step[]): Promise<[unknown[], unknown[]]> {
    const out: unknown[][] = [];
    for (const [, store, key] of stores()) {
      const results: unknown[] = [];
      for (const step of steps) results.push(await step(store, key));
      out.push(results);
    }
    return out as [unknown[], unknown[]];
  }
  const take =
    (maxWaitMs = Infinity, s = base): Step =>
    (st, k) =>
      st.take(k, 1, s, maxWaitMs);
  const observe =
    (seen: Parameters<TwitchRateLimitStore['observe']>[1], s = base): Step =>
    (st, k) =>
      st.observe(k, seen, s);
  const close = (a: unknown[], b: unknown[]) => {
    expect(b.length).toBe(a.length);
    a.forEach((x, i) => {
      const y = b[i] as { status: string; waitMs: number } | undefined;
      if (x && typeof x === 'object') {
        expect(y?.status).toBe((x as { status: string }).status);
        expect(Math.abs((y?.waitMs ?? 0) - (x as { waitMs: number }).waitMs)).toBeLessThanOrEqual(TOLERANCE_MS);
      }
    });
  };

  it('probe, pending, then paced one slot apart', async () => {
    const [mem, red] = await both([take(), take(), observe({ limit: 10, remaining: 2 }), take(), take(), take(), take()]);
    const status = mem.map((g) => (g as { status?: string } | undefined)?.status);
    expect(status).toEqual(['probe', 'pending', undefined, 'taken', 'taken', 'taken', 'taken']);
    expect((mem[6] as { waitMs: number }).waitMs).toBe(12_000);
    close(mem, red);
  });

  it('refusals cost nothing', async () => {
    const empty = observe({ limit: 10, remaining: 0, fullInMs: 10_000 });
    const [mem, red] = await both([take(), empty, take(500), take(500), take(500), take()]);
    expect(mem.slice(2)).toMatchObject([
      { status: 'refused', waitMs: 1_000 },
      { status: 'refused', waitMs: 1_000 },
      { status: 'refused', waitMs: 1_000 },
      { status: 'taken', waitMs: 1_000 },
    ]);
    close(mem, red);
  });

  it('learn the same refill time, weighted by the share missing', async () => {
    const [mem, red] = await both([
      take(),
      observe({ limit: 40, remaining: 30, fullInMs: 2_500 }),
      observe({ limit: 40, remaining: 0 }),
      take(),
    ]);
    expect(mem[3]).toMatchObject({ status: 'taken', waitMs: 1_188 }); // 47.5 s / 40
    close(mem, red);
  });

  it('follow Ratelimit-Remaining down, never up', async () => {
    const [mem, red] = await both([
      take(),
      observe({ limit: 10, remaining: 9 }),
      observe({ limit: 10, remaining: 1 }),
      observe({ limit: 10, remaining: 9 }),
      take(),
      take(),
    ]);
    expect(mem.slice(4)).toMatchObject([
      { status: 'taken', waitMs: 0 },
      { status: 'taken', waitMs: 6_000 },
    ]);
    close(mem, red);
  });

  it('header-less answers leave the bucket unpaced until an answer has them', async () => {
    const headers = observe({ limit: 2, remaining: 0, fullInMs: 2_000 });
    const [mem, red] = await both([take(), observe({}), take(0), take(0), headers, take()]);
    expect(mem).toMatchObject([
      { status: 'probe', waitMs: 0 },
      undefined,
      { status: 'taken', waitMs: 0 },
      { status: 'taken', waitMs: 0 },
      undefined,
      { status: 'taken', waitMs: 1_000 },
    ]);
    close(mem, red);
  });

  it('no answer ends the probe without marking the bucket', async () => {
    const [mem, red] = await both([take(), observe({ answered: false }), take(), take()]);
    expect(mem.map((g) => (g as { status?: string } | undefined)?.status)).toEqual(['probe', undefined, 'probe', 'pending']);
    close(mem, red);
  });

  it('answer the same wait left for a ticket once the refill time is learnt', async () => {
    const tickets: number[] = [];
    const keep = (p: Promise<{ status: string; waitMs: number; ticket?: number }>) =>
      p.then((g) => {
        if (g.ticket !== undefined) tickets.push(g.ticket);
        return g;
      });
    const due: Step = (st, k) => st.due(k, tickets[tickets.length - 1], base);
    const [mem, red] = await both([
      take(),
      observe({ limit: 40, remaining: 0 }),
      (st, k) => keep(st.take(k, 1, base, Infinity)),
      (st, k) => keep(st.take(k, 1, base, Infinity)),
      observe({ limit: 40, remaining: 0, fullInMs: 10_000 }),
      due,
    ]);
    expect(mem[3]).toMatchObject({ status: 'taken', waitMs: 3_000 });
    expect(mem[5]).toBe(500);
    expect(Math.abs((red[5] as number) - 500)).toBeLessThanOrEqual(TOLERANCE_MS);
    close(mem, red);
  });

  it('cap the reserve at half the bucket', async () => {
    const s = { ...base, reserve: 2 };
    const [mem, red] = await both([take(Infinity, s), observe({ limit: 1, remaining: 1 }, s), take(1_000, s)]);
    expect(mem[2]).toEqual({ status: 'taken', waitMs: 0 });
    close(mem, red);
  });
});
