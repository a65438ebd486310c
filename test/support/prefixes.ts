import { createClient } from 'redis';

/** The shared Redis of the tests (set by test/global-setup.ts). */
export const REDIS_URL = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Prefixes handed out in this test file; `test/support/redis-leaks.ts` checks that none keeps keys. */
export const issuedPrefixes = new Set<string>();

/**
 * A unique key prefix per test, so tests sharing one Redis never see each other's keys. A test that
 * writes to Redis under it deletes its keys (`flushPrefix`) before its file ends, or the file fails.
 */
export function uniquePrefix(): string {
  const prefix = `test:${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}:`;
  issuedPrefixes.add(prefix);
  return prefix;
}

/** Deletes every key under a prefix (test clean-up). */
export async function flushPrefix(prefix: string): Promise<void> {
  const client = createClient({ url: REDIS_URL() });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length) await client.del(keys);
  }
  await client.close();
}
