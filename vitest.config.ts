import { readFileSync } from 'node:fs';
import swc from 'unplugin-swc';
import { SWC_JSC } from './test/support/swc-options.mjs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The files that take longest, started first so that they overlap everything else: first those whose time
 * goes to child processes (the linters, the bench harness, app instances, a Redis Cluster), then those that
 * mostly wait (rate-limit windows, pacing, keepalives, timeouts), whose waits then fall while the machine is
 * busy rather than at the end. Named here rather than read from an earlier run's timings, which a fresh clone
 * (CI) does not have.
 */
const LONGEST = [
  'test/lint.spec.ts',
  'test/bench-smoke.spec.ts',
  'test/eventsub/conduit-instances.spec.ts',
  'test/cluster/redis-cluster.spec.ts',
  'test/faults/rate-limit.faults.spec.ts',
  'test/faults/hostile-answers.faults.spec.ts',
  'test/rate-limit.spec.ts',
  'test/extensions/extension-pubsub-pacing.spec.ts',
  'test/chat/limiter.spec.ts',
  'test/eventsub/ws-transport.spec.ts',
  'test/faults/shared-work.faults.spec.ts',
  'test/eventsub/exactly-once.spec.ts',
  'test/cache.spec.ts',
  'lib/testing/fake-twitch.spec.ts',
];

/**
 * Order of the files: the longest (above) first; then the files that wait for the package build
 * (test/support/built-package.ts, started by the global setup), which by then is under way; then the rest in
 * Vitest's own order (an earlier run's durations, else size).
 */
class Sequencer extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONGEST.findIndex((name) => f.moduleId.endsWith(`/${name}`));
      if (i >= 0) return i;
      return readFileSync(f.moduleId, 'utf8').includes('/built-package.js') ? LONGEST.length : LONGEST.length + 1;
    };
    return sorted
      .map((f, i) => ({ f, i, r: rank(f) }))
      .sort((a, b) => a.r - b.r || a.i - b.i)
      .map(({ f }) => f);
  }
}

export default defineConfig({
  plugins: [swc.vite({ jsc: SWC_JSC })],
  test: {
    include: ['lib/**/*.spec.ts', 'test/**/*.spec.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Fails a test file that leaves keys in the shared Redis under a prefix from uniquePrefix().
    setupFiles: ['test/support/redis-leaks.ts'],
    // Generous: a loaded 2-core machine runs four files at once; a test that hangs still fails.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Test files share their worker's loaded modules (Nest, the library) instead of loading them again
    // each: every file cleans up what it starts (apps, servers, Redis keys), and nothing patches globals.
    isolate: false,
    // Most files wait on sockets, Redis and child processes more than they compute: more workers than cores.
    maxWorkers: 4,
    sequence: { sequencer: Sequencer },
  },
});
