import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const bin = (name: string, file: string) => join(root, 'node_modules', name, 'bin', file);

/** Runs a Node.js script from the repository's root; its exit status and everything it printed. */
function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    // Background work: the linters take the CPU time the test files leave (nice 10).
    if (child.pid) setPriority(child.pid, 10);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

/** The house tooling runs with `npm test` (and so in CI): ESLint and Prettier leave nothing to say. Both at once. */
describe.concurrent('house tooling', () => {
  it('ESLint (typescript-eslint, eslint.config.mjs) finds no problem', async ({ expect }) => {
    const res = await run([bin('eslint', 'eslint.js'), 'lib', 'test', 'sample', 'bench', 'scripts']);
    expect(res.stdout + res.stderr).toBe('');
    expect(res.status).toBe(0);
  }, 180_000);

  it('Prettier (.prettierrc.json) finds every file formatted', async ({ expect }) => {
    // V8 on one thread: Prettier's CPU time drops by about a sixth (no background compiles it does not use);
    // the suite keeps every core busy, so that time goes to the other files.
    const res = await run([
      '--single-threaded',
      bin('prettier', 'prettier.cjs'),
      '--list-different',
      'lib',
      'test',
      'sample',
      'bench',
      'scripts',
    ]);
    expect(res.stdout.trim().split('\n').filter(Boolean)).toEqual([]);
    expect(res.status).toBe(0);
  }, 180_000);
});
