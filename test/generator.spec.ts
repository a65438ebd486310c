import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const check = () => spawnSync(process.execPath, ['scripts/generate.mjs', '--check'], { cwd: root, encoding: 'utf8' });

describe('generated code', () => {
  it('matches what the generator makes from the committed model and overrides (drift check)', () => {
    const out = check();
    expect(out.stderr + out.stdout).not.toMatch(/differs|missing/i);
    expect(out.status).toBe(0);
  });

  it('the README coverage table is up to date with the catalog', () => {
    const out = check();
    expect(out.stdout + out.stderr).not.toContain('README.md');
    expect(out.status).toBe(0);
  });

  it('the drift check notices a stale README coverage table', () => {
    const file = join(root, 'README.md');
    const backup = join(mkdtempSync(join(tmpdir(), 'gen-')), 'README.md');
    copyFileSync(file, backup);
    try {
      writeFileSync(file, readFileSync(file, 'utf8').replace('`streams.getStreams`', '`streams.getStreamz`'));
      const out = check();
      expect(out.status).toBe(1);
      expect(out.stdout + out.stderr).toContain('README.md (differs)');
    } finally {
      copyFileSync(backup, file);
      rmSync(backup);
    }
  });

  it('the drift check notices a hand edit', () => {
    const file = join(root, 'lib/generated/streams/streams.endpoints.ts');
    const backup = join(mkdtempSync(join(tmpdir(), 'gen-')), 'copy.ts');
    copyFileSync(file, backup);
    try {
      writeFileSync(file, readFileSync(file, 'utf8').replace("path: '/streams'", "path: '/streamz'"));
      const out = check();
      expect(out.status).toBe(1);
      expect(out.stdout + out.stderr).toContain('streams.endpoints.ts');
    } finally {
      copyFileSync(backup, file);
      rmSync(backup);
    }
  });
});
