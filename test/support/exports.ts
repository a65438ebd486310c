import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The committed list of the package root's runtime names (`test/packaging/exports.txt`), one a line. */
export function pinnedRootExports(): string[] {
  return readFileSync(resolve(import.meta.dirname, '..', 'packaging', 'exports.txt'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}
