import { describe, expect, it } from 'vitest';
import { readRateLimitHeaders } from '../exceptions/twitch-exception.factory.js';

const now = Date.UTC(2026, 11, 1, 10, 0, 0);
const epoch = (ms: number) => String(Math.floor(ms / 1000));

describe('readRateLimitHeaders', () => {
  it('reads what Twitch sends', () => {
    const headers = { 'ratelimit-limit': '800', 'ratelimit-remaining': '799', 'ratelimit-reset': epoch(now + 2_000) };
    const state = readRateLimitHeaders(headers, now);
    expect(state).toEqual({ limit: 800, remaining: 799, reset: new Date(now + 2_000) });
  });

  it('is undefined without any Ratelimit-* header, and leaves out what is missing or not a number', () => {
    expect(readRateLimitHeaders({ 'content-type': 'text/calendar' }, now)).toBeUndefined();
    expect(readRateLimitHeaders(undefined, now)).toBeUndefined();
    expect(readRateLimitHeaders({ 'ratelimit-limit': 'lots', 'ratelimit-remaining': '5' }, now)).toEqual({
      limit: undefined,
      remaining: 5,
      reset: undefined,
    });
  });

  it('clamps the limit to 1 … 100000 and the remaining points to 0 … limit', () => {
    const read = (limit: string, remaining: string) =>
      readRateLimitHeaders({ 'ratelimit-limit': limit, 'ratelimit-remaining': remaining }, now);
    expect(read('0', '7')).toMatchObject({ limit: 1, remaining: 1 });
    expect(read('-5', '-100000')).toMatchObject({ limit: 1, remaining: 0 });
    expect(read('1e12', '1e12')).toMatchObject({ limit: 100_000, remaining: 100_000 });
    expect(read('800', '12.9')).toMatchObject({ remaining: 12 });
  });

  it('clamps the reset to now … now + 5 min', () => {
    expect(readRateLimitHeaders({ 'ratelimit-reset': epoch(now + 3_600_000) }, now)?.reset).toEqual(new Date(now + 300_000));
    expect(readRateLimitHeaders({ 'ratelimit-reset': epoch(now - 60_000) }, now)?.reset).toEqual(new Date(now));
    expect(readRateLimitHeaders({ 'ratelimit-reset': String(now) }, now)?.reset).toEqual(new Date(now + 300_000)); // ms, not s
  });

  it("reads the reset on Twitch's clock when the answer's Date is far from ours", () => {
    const twitchNow = now - 3_600_000; // Twitch's clock (or ours) is an hour off
    const headers = { date: new Date(twitchNow).toUTCString(), 'ratelimit-reset': epoch(twitchNow + 10_000) };
    expect(readRateLimitHeaders(headers, now)?.reset).toEqual(new Date(now + 10_000));
    // Within a few seconds the Date header (whole seconds) is not used.
    const close = { date: new Date(now - 2_000).toUTCString(), 'ratelimit-reset': epoch(now + 10_000) };
    expect(readRateLimitHeaders(close, now)?.reset).toEqual(new Date(now + 10_000));
  });
});
