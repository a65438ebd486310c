import { createClient, type RedisClientType } from '@redis/client';

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

let shared: Promise<RedisClientType> | undefined;

/**
 * One connection to the shared Redis per test worker, for the tests' own reads and clean-up (test files share
 * a worker's modules: vitest.config.ts). Opening a node-redis client builds its command tables, which costs
 * more CPU than the few commands a clean-up sends; so the helpers keep one open. It does not keep the worker
 * alive (`unref`), does not reconnect on its own, and is opened again on the next call once closed or failed.
 */
export function sharedRedis(): Promise<RedisClientType> {
  if (!shared) {
    const client = createClient({
      url: REDIS_URL(),
      socket: { connectTimeout: 2_000, reconnectStrategy: false },
    }) as RedisClientType;
    client.on('error', () => undefined);
    shared = client.connect().then(
      () => {
        client.unref();
        return client;
      },
      (err: unknown) => {
        shared = undefined; // with reconnectStrategy false, a failed connect leaves the client closed
        throw err;
      },
    );
  }
  return shared.then((client) => {
    if (client.isOpen) return client;
    shared = undefined;
    return sharedRedis();
  });
}

/** Deletes every key under a prefix (test clean-up). */
export async function flushPrefix(prefix: string): Promise<void> {
  const client = await sharedRedis();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length) await client.del(keys);
  }
}
