import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const bin = (name: string, file: string) => join(root, 'node_modules', name, 'bin', file);

/** The house tooling runs with `npm test` (and so in CI): ESLint and Prettier leave nothing to say. */
describe('house tooling', () => {
  it('ESLint (typescript-eslint, eslint.config.mjs) finds no problem', () => {
    const res = spawnSync(process.execPath, [bin('eslint', 'eslint.js'), 'lib', 'test', 'sample', 'bench', 'scripts'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(res.stdout + res.stderr).toBe('');
    expect(res.status).toBe(0);
  }, 120_000);

  it('Prettier (.prettierrc.json) finds every file formatted', () => {
    // V8 on one thread: Prettier's CPU time drops by about a sixth (no background compiles it does not use);
    // the suite keeps every core busy, so that time goes to the other files.
    const res = spawnSync(
      process.execPath,
      ['--single-threaded', bin('prettier', 'prettier.cjs'), '--list-different', 'lib', 'test', 'sample', 'bench', 'scripts'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(res.stdout.trim().split('\n').filter(Boolean)).toEqual([]);
  }, 120_000);
});
