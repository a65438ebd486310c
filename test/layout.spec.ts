import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const lib = resolve(import.meta.dirname, '..', 'lib');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [relative(lib, p)];
  });
}

describe('layout', () => {
  it('keeps every exception in lib/exceptions, one file per area named twitch-<area>.exception.ts', () => {
    const files = walk(lib).filter((f) => !f.startsWith('generated') && /exception/i.test(f));
    const misplaced = files.filter((f) => !f.startsWith('exceptions/'));
    expect(misplaced).toEqual([]);
    const named = files.filter(
      (f) => !/^exceptions\/twitch(-[a-z]+)*\.exception\.ts$/.test(f) && f !== 'exceptions/twitch-exception.factory.ts',
    );
    expect(named).toEqual([]);
  });
});
