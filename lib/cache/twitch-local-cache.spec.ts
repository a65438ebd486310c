import { describe, expect, it } from 'vitest';
import type { TwitchCachedResponse } from './twitch-cache.js';
import { TwitchLocalCache } from './twitch-local-cache.js';

const answer = (data: unknown): TwitchCachedResponse => ({ status: 200, data, headers: {} });
const NOW = 1_000_000;
const LATER = NOW + 60_000;
/** The keys still held, by probing each (a probe counts as a use). */
const held = (cache: TwitchLocalCache, keys: string[]) => keys.filter((k) => cache.get(k, NOW) !== undefined);

describe('TwitchLocalCache', () => {
  it('answers a key with what was stored last', () => {
    const cache = new TwitchLocalCache(10);
    const first = answer(1);
    cache.set('a', first, LATER);
    expect(cache.get('a', NOW)).toBe(first);
    cache.set('a', answer(2), LATER);
    expect(cache.get('a', NOW)?.data).toBe(2);
    expect(cache.size).toBe(1);
    expect(cache.get('b', NOW)).toBeUndefined();
  });

  it('holds an entry until its own expiry (exclusive), then drops it', () => {
    const cache = new TwitchLocalCache(10);
    cache.set('a', answer('a'), NOW + 100);
    cache.set('b', answer('b'), NOW + 200);
    expect(cache.get('a', NOW + 99)?.data).toBe('a');
    expect(cache.get('a', NOW + 100)).toBeUndefined();
    expect(cache.size).toBe(1);
    // Gone for good: an earlier clock does not bring it back.
    expect(cache.get('a', NOW)).toBeUndefined();
    expect(cache.get('b', NOW + 199)?.data).toBe('b');
    // Storing again sets a new expiry.
    cache.set('b', answer('b2'), NOW + 500);
    expect(cache.get('b', NOW + 499)?.data).toBe('b2');
  });

  it('holds at most maxEntries, dropping the least recently stored first', () => {
    const cache = new TwitchLocalCache(3);
    for (const k of ['a', 'b', 'c', 'd', 'e']) cache.set(k, answer(k), LATER);
    expect(cache.size).toBe(3);
    expect(held(cache, ['a', 'b', 'c', 'd', 'e'])).toEqual(['c', 'd', 'e']);
  });

  it('a read or a new store makes an entry the most recently used', () => {
    const cache = new TwitchLocalCache(3);
    for (const k of ['a', 'b', 'c']) cache.set(k, answer(k), LATER);
    cache.get('a', NOW); // order now b, c, a
    cache.set('d', answer('d'), LATER); // drops b
    expect(cache.get('b', NOW)).toBeUndefined();
    cache.set('c', answer('c2'), LATER); // order a, d, c
    cache.set('e', answer('e'), LATER); // drops a
    expect(held(cache, ['a', 'c', 'd', 'e'])).toEqual(['c', 'd', 'e']);
    expect(cache.get('c', NOW)?.data).toBe('c2');
  });

  it('a miss does not change the order', () => {
    const cache = new TwitchLocalCache(2);
    cache.set('a', answer('a'), LATER);
    cache.set('b', answer('b'), LATER);
    expect(cache.get('zzz', NOW)).toBeUndefined();
    cache.set('c', answer('c'), LATER); // drops a, the least recently used
    expect(held(cache, ['a', 'b', 'c'])).toEqual(['b', 'c']);
  });

  it('with maxEntries 1 keeps the last entry only; with 0 (or less) keeps nothing', () => {
    const one = new TwitchLocalCache(1);
    one.set('a', answer('a'), LATER);
    one.set('b', answer('b'), LATER);
    expect(held(one, ['a', 'b'])).toEqual(['b']);
    for (const max of [0, -1]) {
      const none = new TwitchLocalCache(max);
      none.set('a', answer('a'), LATER);
      expect(none.size).toBe(0);
      expect(none.get('a', NOW)).toBeUndefined();
    }
  });

  it('stays within its bound over many keys', () => {
    const cache = new TwitchLocalCache(100);
    for (let i = 0; i < 10_000; i++) {
      cache.set(`k${i}`, answer(i), LATER);
      if (i % 7 === 0) cache.get(`k${i - 50}`, NOW);
    }
    expect(cache.size).toBe(100);
    expect(cache.get('k9999', NOW)?.data).toBe(9_999);
    expect(cache.get('k9899', NOW)).toBeUndefined();
  });

  it('clear() drops everything', () => {
    const cache = new TwitchLocalCache(10);
    cache.set('a', answer('a'), LATER);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.get('a', NOW)).toBeUndefined();
  });

  it('reads the clock itself when not given a time', () => {
    const cache = new TwitchLocalCache(10);
    cache.set('live', answer(1), Date.now() + 60_000);
    cache.set('dead', answer(2), Date.now() - 1);
    expect(cache.get('live')?.data).toBe(1);
    expect(cache.get('dead')).toBeUndefined();
  });
});
