import { describe, expect, it } from 'vitest';
import { TwitchMemoryKvStore } from './twitch-kv.store.js';
import { ifLockFree, TwitchLockTimeoutError, underSharedLock } from './twitch-lock.js';

describe('underSharedLock', () => {
  it('runs the work once among concurrent contenders; the others read its result', async () => {
    const kv = new TwitchMemoryKvStore();
    let result: string | undefined;
    let runs = 0;
    const contender = () =>
      underSharedLock(
        kv,
        'lock',
        { what: 'test', ttlMs: 1_000, waitMs: 2_000, pollMs: 5 },
        {
          ready: async () => result,
          work: async () => {
            runs++;
            await new Promise((r) => setTimeout(r, 30));
            result = 'done';
            return result;
          },
        },
      );
    expect(await Promise.all([contender(), contender(), contender()])).toEqual(['done', 'done', 'done']);
    expect(runs).toBe(1);
    expect(await kv.get('lock')).toBeUndefined();
  });

  it('releases the lock when the work fails', async () => {
    const kv = new TwitchMemoryKvStore();
    await expect(
      underSharedLock(
        kv,
        'lock',
        { what: 'test', ttlMs: 1_000, waitMs: 1_000 },
        {
          ready: async () => undefined,
          work: async () => {
            throw new Error('failed');
          },
        },
      ),
    ).rejects.toThrow('failed');
    expect(await kv.get('lock')).toBeUndefined();
  });

  it('gives up after waitMs while another holder keeps the lock', async () => {
    const kv = new TwitchMemoryKvStore();
    await kv.set('lock', 'someone-else', 10_000);
    await expect(
      underSharedLock(
        kv,
        'lock',
        { what: 'do the thing', ttlMs: 1_000, waitMs: 60, pollMs: 10 },
        {
          ready: async () => undefined,
          work: async () => 'never',
        },
      ),
    ).rejects.toBeInstanceOf(TwitchLockTimeoutError);
    expect(await kv.get('lock')).toBe('someone-else');
  });
});

describe('ifLockFree', () => {
  it('skips the work while the lock is held and runs it once free', async () => {
    const kv = new TwitchMemoryKvStore();
    await kv.set('lock', 'other', 10_000);
    let ran = 0;
    expect(await ifLockFree(kv, 'lock', 1_000, async () => void ran++)).toBe(false);
    await kv.delete('lock');
    expect(await ifLockFree(kv, 'lock', 1_000, async () => void ran++)).toBe(true);
    expect(ran).toBe(1);
    expect(await kv.get('lock')).toBeUndefined();
  });
});

describe('underSharedLock, a holder finishing between the first look and taking the lock', () => {
  it('looks again once it holds the lock, and does not repeat the work', async () => {
    const kv = new TwitchMemoryKvStore();
    let result: string | undefined;
    let runs = 0;
    // The other holder finishes (result written, lock released) just before this contender's setIfAbsent.
    const racing = Object.create(kv) as TwitchMemoryKvStore;
    racing.setIfAbsent = async (key, value, ttlMs) => {
      result ??= 'made by the other holder';
      return kv.setIfAbsent(key, value, ttlMs);
    };
    const got = await underSharedLock(
      racing,
      'lock',
      { what: 'test', ttlMs: 1_000, waitMs: 1_000 },
      {
        ready: async () => result,
        work: async () => {
          runs++;
          return 'made twice';
        },
      },
    );
    expect(got).toBe('made by the other holder');
    expect(runs).toBe(0);
    expect(await kv.get('lock')).toBeUndefined();
  });
});
