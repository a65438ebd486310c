// Module hooks that let a child process run the TypeScript sources directly (as Vitest does):
// `.js` specifiers that name a `.ts` file resolve to it, and `.ts` files are compiled with swc. During a
// test run, compiled output is kept by content hash in the run's temporary folder (test/global-setup.ts
// removes it at the end), so the child processes a test starts one after another compile each file once.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from '@swc/core';
import { SWC_JSC } from './swc-options.mjs';

const OPTIONS = { sourceMaps: 'inline', module: { type: 'es6' }, jsc: SWC_JSC };
const RUN_DIR = process.env.NESTJS_TWITCH_TEST_BUILD;
const CACHE = RUN_DIR ? join(RUN_DIR, 'ts-hooks') : undefined;

export async function resolve(specifier, context, next) {
  if (
    specifier.endsWith('.js') &&
    (specifier.startsWith('.') || specifier.startsWith('/')) &&
    context.parentURL?.startsWith('file:')
  ) {
    const url = new URL(specifier, context.parentURL);
    if (!existsSync(fileURLToPath(url))) {
      const ts = new URL(url.href.replace(/\.js$/, '.ts'));
      if (existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true, format: 'module' };
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const filename = fileURLToPath(url);
  const text = readFileSync(filename, 'utf8');
  if (!CACHE) return { format: 'module', source: transformSync(text, { filename, ...OPTIONS }).code, shortCircuit: true };
  const cached = join(CACHE, `${createHash('sha256').update(filename).update('\0').update(text).digest('hex')}.js`);
  if (existsSync(cached)) return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true };
  const { code } = transformSync(text, { filename, ...OPTIONS });
  try {
    mkdirSync(CACHE, { recursive: true });
    // Written whole under a private name, then renamed: a process reading the cache never sees half a file.
    const part = `${cached}.${process.pid}`;
    writeFileSync(part, code);
    renameSync(part, cached);
  } catch {
    // A cache that cannot be written only costs the next process a compile.
  }
  return { format: 'module', source: code, shortCircuit: true };
}
