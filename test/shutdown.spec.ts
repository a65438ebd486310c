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
    expect((handles().TCPSocketWrap ?? 0)).toBeGreaterThan(before.TCPSocketWrap ?? 0);
    await t.close();
    await fake.close();
    await new Promise((r) => setTimeout(r, 50));
    const after = handles();
    expect(after.TCPSocketWrap ?? 0).toBe(before.TCPSocketWrap ?? 0);
    expect(after.TCPServerWrap ?? 0).toBe(before.TCPServerWrap ?? 0);
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
    await flushPrefix(keyPrefix);
  });
});
