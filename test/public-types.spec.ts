import { readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, readmeSnippets } from './support/app-types.js';
import {
  appTypeCheck,
  builtPackage,
  type AppDiagnostic as Diagnostic,
  type AppTypeCheck,
  type BuiltPackage,
} from './support/built-package.js';

/**
 * What an app's type checker sees of the package: one TypeScript program, with the compiler settings of a
 * new Nest app (strict), over code that imports the package by name, resolved to the built declarations
 * installed as an app has them (test/support/built-package.ts). It holds the README's TypeScript blocks,
 * the EventSub typing checks (test/types/*.check.ts) and the entry points as ESM and CommonJS
 * (test/support/app-types.ts); each `describe` below reads the diagnostics of its own files. The program runs
 * in the build's process, right after the build (test/support/package-build.ts).
 */

const root = resolve(import.meta.dirname, '..');

const say = (d: Diagnostic) => `${d.file}:${d.line} TS${d.code}: ${d.text}`;

const snippets = readmeSnippets();
let built: BuiltPackage;
let result: AppTypeCheck;
const of = (prefix: string) => result.diagnostics.filter((d) => d.file.startsWith(prefix));

beforeAll(async () => {
  built = await builtPackage();
  result = await appTypeCheck();
}, 200_000);

describe('the built package', () => {
  it('type-checks: the build (tsconfig.build.json) reports no error in lib/', () => {
    expect(built.tscOutput).toBe('');
    expect(built.tscStatus).toBe(0);
  });

  it('is what the program sees: the installed declarations, not the sources', () => {
    const files = result.sourceFiles;
    expect(files).toContain(realpathSync(join(built.dist, 'index.d.ts')));
    expect(files.filter((f) => f.startsWith(join(root, 'lib') + '/'))).toEqual([]);
  });

  it('has no diagnostics outside the checked files', () => {
    expect(result.diagnostics.filter((d) => !/^(readme|eventsub|package)\//.test(d.file)).map(say)).toEqual([]);
  });
});

describe('README', () => {
  /** README line of a diagnostic in a block. */
  const where = (d: Diagnostic) => {
    const m = /readme\/(line|canary)-(\d+)\.(c?)ts$/.exec(d.file)!;
    return `${m[1] === 'line' ? 'README.md' : 'canary'}:${Number(m[2]) + d.line - 1}${m[3] ? ' (CommonJS)' : ''} TS${d.code}: ${d.text}`;
  };

  it('has TypeScript blocks to check', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(8);
  });

  it('compiles every TypeScript block under strict, as ESM and (without top-level await) as CommonJS', () => {
    expect(
      of('readme/')
        .filter((d) => !d.file.includes('canary-'))
        .map(where),
    ).toEqual([]);
  });

  it('the check sees what a new app would refuse (string | undefined for a string, a class used before its declaration)', () => {
    const canary = of('readme/canary-').map(where).join('\n');
    expect(canary).toMatch(/^canary:2 TS2322/m);
    expect(canary).toMatch(/^canary:102 TS2449/m);
  });

  it('lists every package a Quick start import needs in the install line', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const install = /```bash\n(npm install [^\n]+)\n```/.exec(readme)?.[1] ?? '';
    const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Configuration'));
    const imported = [...quickStart.matchAll(/from '((?:@[^/']+\/)?[^/']+)/g)].map((m) => m[1]);
    const peers = ['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs']; // every Nest app has them
    for (const pkg of new Set(imported)) {
      if (!peers.includes(pkg)) expect(install.split(' '), pkg).toContain(pkg);
    }
  });
});

describe('EventSub typing', () => {
  it('types the handler argument by subscription type and version, and the condition by its class', () => {
    const expected = fixture('eventsub-handlers.check.ts')
      .split('\n')
      .flatMap((l, i) => (l.includes('// error:') ? [i + 1] : []));
    const errors = of('eventsub/handlers.ts');
    expect(expected).toHaveLength(4);
    expect([...new Set(errors.map((d) => d.line))], errors.map(say).join('\n')).toEqual(expected);
  });

  it('TwitchEventSubEventOf / ConditionOf resolve to the generated classes; wrong fields, types and versions do not compile', () => {
    // Every `@ts-expect-error` there met its error (an unused one is TS2578), and nothing else failed.
    expect(of('eventsub/catalog.ts').map(say)).toEqual([]);
    expect(fixture('eventsub-catalog.check.ts').match(/@ts-expect-error/g)?.length).toBeGreaterThanOrEqual(5);
  });
});

describe('the entry points', () => {
  it('give their types to ESM and CommonJS apps (strict, NodeNext)', () => {
    expect(of('package/').map(say)).toEqual([]);
  });
});
