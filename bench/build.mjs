// Compiles lib/ for the bench into a private directory (never dist/, which the package tests
// rebuild while they run). Two compilers:
//   tsc - the package's own build (tsconfig.build.json), used by `npm run bench`
//   swc - the same transform the tests use (test/support/swc-options.mjs), ~1 s: used by the smoke test
// Every bench script takes `--build tsc|swc|none` and `--lib-dir DIR` (see libFromArgs): `none`
// compiles nothing and runs on DIR as it is, so several scripts can share one build (the smoke test
// builds once and passes `--build none --lib-dir` to each).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SWC_JSC } from '../test/support/swc-options.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds lib/ into `outDir` (absolute, or relative to the repo root); returns the absolute path. */
export async function buildLib({ outDir = 'bench/.build', compiler = 'tsc', log = console.log } = {}) {
  const out = resolve(ROOT, outDir);
  if (!out.startsWith(join(ROOT, 'bench'))) throw new Error(`bench build output must be under bench/: ${out}`);
  rmSync(out, { recursive: true, force: true });
  const t0 = Date.now();
  if (compiler === 'tsc') {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const res = spawnSync(
      process.execPath,
      [tsc, '-p', 'tsconfig.build.json', '--outDir', out, '--declaration', 'false', '--sourceMap', 'false'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (!existsSync(join(out, 'index.js'))) throw new Error(`tsc produced no output:\n${res.stdout}${res.stderr}`);
    if (res.status !== 0) {
      // tsc still emits on type errors; the bench only needs the JavaScript.
      log(
        `  (tsc reported type errors, using its output anyway)\n${(res.stdout + res.stderr).trim().split('\n').slice(0, 5).join('\n')}`,
      );
    }
  } else if (compiler === 'swc') {
    const swc = await import('@swc/core');
    const files = walk(join(ROOT, 'lib')).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && !f.endsWith('.d.ts'));
    await Promise.all(
      files.map(async (file) => {
        const { code } = await swc.transformFile(file, {
          swcrc: false,
          configFile: false,
          sourceMaps: false,
          module: { type: 'es6' },
          jsc: { ...SWC_JSC, keepClassNames: true },
        });
        const target = join(out, relative(join(ROOT, 'lib'), file)).replace(/\.ts$/, '.js');
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, code);
      }),
    );
  } else {
    throw new Error(`unknown compiler ${compiler}`);
  }
  log(`  built lib/ with ${compiler} into ${relative(ROOT, out)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return out;
}

/**
 * The compiled module a script runs on, from its `--build` and `--lib-dir` flags: compiled with
 * `--build` (default `compiler`) into `--lib-dir` (default `outDir`), or with `--build none` the
 * directory `--lib-dir` as it is (it must hold a build). Returns the absolute path.
 */
export async function libFromArgs(args, { outDir, compiler = 'tsc', log = console.log }) {
  const how = args.build ?? compiler;
  const dir = args['lib-dir'] ?? outDir;
  if (how !== 'none') return buildLib({ outDir: dir, compiler: how, log });
  const out = resolve(ROOT, dir);
  if (!existsSync(join(out, 'index.js'))) throw new Error(`--build none: no compiled module in ${out} (index.js is missing)`);
  return out;
}

function walk(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}
