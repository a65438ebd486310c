import { describe, expect, it } from 'vitest';
import { createTwitchApp, FakeTwitch, flushPrefix, REDIS_URL, uniquePrefix } from './support/app.js';

/** Handles that would keep a process alive: sockets, servers and timers. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

describe('clean shutdown', () => {
  it('app.close() closes every connection and timer the module opened (with Redis)', async () => {
    const before = handles();
    const fake = await FakeTwitch.start({ seed: { streams: 10 } });
    const keyPrefix = uniquePrefix();
    const t = await createTwitchApp(fake, { redis: { url: REDIS_URL() }, keyPrefix });
    await t.api.streams.getStreams({ first: 5 }, { cacheTtl: 1_000 });
    await t.api.users.getUsers({ login: ['twitchdev'] });
    expect(handles().TCPSocketWrap ?? 0).toBeGreaterThan(before.TCPSocketWrap ?? 0);
    await t.close();
    await fake.close();
    // Closed handles leave the list within a tick or two; give a loaded machine a moment.
    await expect.poll(() => handles().TCPSocketWrap ?? 0, { timeout: 2_000 }).toBe(before.TCPSocketWrap ?? 0);
    await expect.poll(() => handles().TCPServerWrap ?? 0, { timeout: 2_000 }).toBe(before.TCPServerWrap ?? 0);
    await expect.poll(() => handles().Timeout ?? 0, { timeout: 2_000 }).toBeLessThanOrEqual(before.Timeout ?? 0);
    await flushPrefix(keyPrefix);
  });
});
