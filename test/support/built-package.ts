import { spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The package as `npm run build` makes it, built once per test run into a temporary folder (the working
 * tree's `dist/` is left alone) by test/support/package-build.ts, which then also type-checks an app against
 * it. test/global-setup.ts starts that process in the background as the run begins; the tests that need it
 * (the packed package, the type checks against the published declarations) wait for it with
 * `builtPackage()` and `appTypeCheck()`, while the other tests run meanwhile.
 *
 * Layout of the folder: `pkg/` is the package (package.json, README, LICENSE, CHANGELOG and `dist/`);
 * `node_modules/` holds links to this repository's dependencies and `nestjs-twitch` → `pkg/`, so code in
 * the folder resolves the package and `@nestjs/*` as an app with the package installed would.
 */
const ENV = 'NESTJS_TWITCH_TEST_BUILD';
const root = resolve(import.meta.dirname, '../..');

export interface BuiltPackage {
  /** The folder holding `pkg/` and `node_modules/`: an app's root with the package installed. */
  dir: string;
  /** The package folder: package.json, README.md, LICENSE, CHANGELOG.md and dist/. */
  pkg: string;
  /** `pkg/dist`. */
  dist: string;
  /** tsc's output (empty when the sources type-check). */
  tscOutput: string;
  /** tsc's exit status: 0 when the sources type-check (it emits either way). */
  tscStatus: number;
}

/** One diagnostic of the app type-checked against the package. */
export interface AppDiagnostic {
  /** Path relative to the app folder. */
  file: string;
  /** 1-based. */
  line: number;
  code: number;
  text: string;
}

/** The app type-checked against the built package (test/support/package-build.ts). */
export interface AppTypeCheck {
  /** The app's folder, beside the installed package. */
  app: string;
  /** Every file the program read (absolute). */
  sourceFiles: string[];
  diagnostics: AppDiagnostic[];
}

/** Fills an app's `node_modules` with links to this repository's dependencies (all but `nestjs-twitch`). */
export function linkDependencies(modules: string): void {
  mkdirSync(modules, { recursive: true });
  for (const dep of readdirSync(join(root, 'node_modules'))) {
    if (dep !== 'nestjs-twitch' && dep !== '.bin') symlinkSync(join(root, 'node_modules', dep), join(modules, dep));
  }
}

/** Starts the build (global setup); returns the teardown that stops it and removes the folder. */
export function startPackageBuild(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-twitch-build-'));
  const pkg = join(dir, 'pkg');
  mkdirSync(pkg);
  linkDependencies(join(dir, 'node_modules'));
  symlinkSync(pkg, join(dir, 'node_modules', 'nestjs-twitch'));
  for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) copyFileSync(join(root, f), join(pkg, f));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', join(root, 'test/support/ts-register.mjs'), join(root, 'test/support/package-build.ts'), dir],
    { cwd: root, env: { ...process.env, [ENV]: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Background work: the build takes the CPU time the test files leave (nice 10); the files that need it
  // run after most others.
  if (child.pid) setPriority(child.pid, 10);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  let stopped = false;
  // The process writes both files itself; if it dies first, each waiting test gets its output instead.
  const finish = (status: number, text: string) => {
    if (stopped) return;
    if (!existsSync(join(dir, 'result.json'))) writeFileSync(join(dir, 'result.json'), JSON.stringify({ status, output: text }));
    if (!existsSync(join(dir, 'consumer.json'))) {
      writeFileSync(join(dir, 'consumer.json'), JSON.stringify({ error: `the build process ended (${status}):\n${text}` }));
    }
  };
  child.on('error', (err) => finish(-1, String(err)));
  child.on('close', (status) => finish(status ?? -1, output));
  process.env[ENV] = dir;
  return () => {
    // A run that ends before the build (one file that does not need it) stops it; nothing is written after.
    stopped = true;
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
}

/** Waits (at most `waitMs`) for `<run folder>/<name>`, written by the build process, and parses it. */
async function waitForJson<T>(name: string, what: string, waitMs: number): Promise<{ dir: string; value: T }> {
  const dir = process.env[ENV];
  if (!dir) throw new Error(`${ENV} is not set: run the tests through vitest (test/global-setup.ts starts the build)`);
  const file = join(dir, name);
  const started = Date.now();
  while (!existsSync(file)) {
    if (Date.now() - started > waitMs) throw new Error(`${what} did not finish within ${waitMs} ms`);
    await sleep(100);
  }
  return { dir, value: JSON.parse(readFileSync(file, 'utf8')) as T };
}

/** Waits for the build started by the global setup (at most `waitMs`) and returns where it is. */
export async function builtPackage(waitMs = 170_000): Promise<BuiltPackage> {
  const { dir, value } = await waitForJson<{ status: number; output: string }>('result.json', 'the package build', waitMs);
  const { status, output } = value;
  const pkg = join(dir, 'pkg');
  const dist = join(pkg, 'dist');
  if (!existsSync(join(dist, 'index.js')) || !existsSync(join(dist, 'index.d.ts'))) {
    throw new Error(`the package build produced no dist/index.js and index.d.ts (tsc exit ${status}):\n${output}`);
  }
  return { dir, pkg, dist, tscOutput: output.trim(), tscStatus: status };
}

/** Waits for the type check of an app against the built package, which follows the build. */
export async function appTypeCheck(waitMs = 200_000): Promise<AppTypeCheck> {
  const { value } = await waitForJson<AppTypeCheck | { error: string }>('consumer.json', 'the app type check', waitMs);
  if ('error' in value) throw new Error(`the app type check failed: ${value.error}`);
  return value;
}
