import { afterAll } from 'vitest';
import { issuedPrefixes, sharedRedis } from './prefixes.js';

/**
 * Runs after every other hook of each test file (vitest runs "after" hooks in reverse order of
 * registration, and this file registers first): fails the file when keys are left in the shared Redis
 * under a prefix `uniquePrefix()` gave it, and deletes them.
 */
afterAll(async () => {
  if (issuedPrefixes.size === 0) return;
  // Test files share a worker's modules (vitest.config.ts: isolate false): check this file's prefixes only.
  const prefixes = [...issuedPrefixes];
  issuedPrefixes.clear();
  let client: Awaited<ReturnType<typeof sharedRedis>>;
  try {
    client = await sharedRedis();
  } catch {
    return; // no shared Redis to leave keys in
  }
  const left: string[] = [];
  for (const prefix of prefixes) {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      if (keys.length) {
        left.push(...keys);
        await client.del(keys);
      }
    }
  }
  if (left.length) {
    throw new Error(
      `This test file left ${left.length} key(s) in Redis (now deleted); delete them with flushPrefix(): ` +
        left.slice(0, 5).join(', '),
    );
  }
});
