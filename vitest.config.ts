import { readFileSync } from 'node:fs';
import swc from 'unplugin-swc';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * Files that wait for the package build (test/support/built-package.ts) run last, so the build (started by the
 * global setup) goes on while the others run; the rest keep Vitest's order (longest or largest first).
 */
class BuildLastSequencer extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const waits = (f: TestSpecification) => readFileSync(f.moduleId, 'utf8').includes('/built-package.js');
    return [...sorted.filter((f) => !waits(f)), ...sorted.filter(waits)];
  }
}

export default defineConfig({
  plugins: [
    swc.vite({
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        target: 'es2022',
      },
    }),
  ],
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
    sequence: { sequencer: BuildLastSequencer },
  },
});
