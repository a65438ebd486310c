import { createRequire } from 'node:module';
import type * as TS from 'typescript';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtPackage, type BuiltPackage } from './support/built-package.js';

// Loaded with require: importing TypeScript's 9 MB CommonJS file from ESM makes Node scan it for export
// names first (about a second of CPU).
const ts = createRequire(import.meta.url)('typescript') as typeof TS;

/**
 * What an app's type checker sees of the package: one TypeScript program, with the compiler settings of a
 * new Nest app (strict), over code that imports the package by name, resolved to the built declarations
 * installed as an app has them (test/support/built-package.ts). It holds the README's TypeScript blocks,
 * the EventSub typing checks (test/types/*.check.ts) and the entry points as ESM and CommonJS; each
 * `describe` below reads the diagnostics of its own files.
 */

const root = resolve(import.meta.dirname, '..');

/** `tsconfig.json` of `nest new` (strict), with NodeNext resolution: ESM for `.ts`/`.mts`, CommonJS for `.cts`. */
const COMPILER_OPTIONS: TS.CompilerOptions = {
  target: ts.ScriptTarget.ES2023,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  isolatedModules: true,
  esModuleInterop: true,
  skipLibCheck: true,
  forceConsistentCasingInFileNames: true,
  noEmit: true,
  types: ['node'],
};

/** The variables the README's fragments take as given (a script: its declarations are global). */
const README_GLOBALS = `
declare const twitch: import('nestjs-twitch').TwitchApiService;
declare const auth: import('nestjs-twitch').TwitchAuthService;
declare const userTokens: import('nestjs-twitch').TwitchUserTokenService;
declare const code: string;
declare const sessions: { end(userId: string): void | Promise<void> };
declare const allowList: { has(userId: string): Promise<boolean> };
`;

interface Snippet {
  line: number;
  code: string;
}

function readmeSnippets(): Snippet[] {
  const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end].startsWith('```')) end++;
    out.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return out;
}

/** What a new app refuses and the README once had: the check must see it. */
const CANARIES: Snippet[] = [
  {
    line: 1,
    code: [
      `import { TwitchModule } from 'nestjs-twitch';`,
      `TwitchModule.forRoot({ clientId: 'x', redis: { url: process.env.REDIS_URL } });`,
    ].join('\n'),
  },
  {
    line: 101,
    code: [
      `import { Injectable, Module } from '@nestjs/common';`,
      `@Module({ providers: [Later] })`,
      `export class AppModule {}`,
      `@Injectable()`,
      `export class Later {}`,
    ].join('\n'),
  },
];

const fixture = (name: string) => readFileSync(join(root, 'test/types', name), 'utf8');

/** The program's files, by path relative to the app folder. */
function sources(snippets: Snippet[]): Map<string, string> {
  const files = new Map<string, string>();
  files.set('package.json', JSON.stringify({ type: 'module' }));
  files.set('readme/globals.d.ts', README_GLOBALS);
  // `export {}` makes every block a module even when it has no import (its names stay its own).
  for (const s of snippets) files.set(`readme/line-${s.line}.ts`, `${s.code}\nexport {};\n`);
  for (const s of CANARIES) files.set(`readme/canary-${s.line}.ts`, `${s.code}\nexport {};\n`);
  // Blocks without top-level await also as CommonJS (an app without "type": "module"), which loads the package by require().
  for (const s of snippets) {
    const topLevelAwait = /^\s*(const|let|for|await)\b.*\bawait\b/m.test(s.code);
    if (!topLevelAwait) files.set(`readme/line-${s.line}.cts`, `${s.code}\nexport {};\n`);
  }
  files.set('eventsub/handlers.ts', fixture('eventsub-handlers.check.ts'));
  files.set('eventsub/catalog.ts', fixture('eventsub-catalog.check.ts'));
  files.set('package/consumer.mts', fixture('package-consumer.check.ts'));
  files.set('package/consumer.cts', fixture('package-consumer.check.ts'));
  return files;
}

interface Diagnostic {
  /** Path relative to the app folder. */
  file: string;
  /** 1-based. */
  line: number;
  code: number;
  text: string;
}

/** Writes the files into a new app folder beside the installed package and type-checks them in one program. */
function check(built: BuiltPackage, files: Map<string, string>): { program: TS.Program; app: string; diagnostics: Diagnostic[] } {
  const app = realpathSync(mkdtempSync(join(built.dir, 'app-')));
  for (const [name, text] of files) {
    mkdirSync(dirname(join(app, name)), { recursive: true });
    writeFileSync(join(app, name), text);
  }
  const roots = [...files.keys()].filter((f) => /\.(c|m)?ts$/.test(f)).map((f) => join(app, f));
  const program = ts.createProgram(roots, { ...COMPILER_OPTIONS, typeRoots: [join(built.dir, 'node_modules/@types')] });
  const found = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const name of roots) {
    const sf = program.getSourceFile(name)!;
    found.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf));
  }
  const diagnostics = found.map((d) => ({
    file: d.file ? relative(app, d.file.fileName) : '',
    line: d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0,
    code: d.code,
    text: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  }));
  return { program, app, diagnostics };
}

const say = (d: Diagnostic) => `${d.file}:${d.line} TS${d.code}: ${d.text}`;

const snippets = readmeSnippets();
let built: BuiltPackage;
let result: ReturnType<typeof check>;
const of = (prefix: string) => result.diagnostics.filter((d) => d.file.startsWith(prefix));

beforeAll(async () => {
  built = await builtPackage();
  result = check(built, sources(snippets));
}, 200_000);

describe('the built package', () => {
  it('type-checks: tsc reports no error in lib/', () => {
    expect(built.tscOutput).toBe('');
    expect(built.tscStatus).toBe(0);
  });

  it('is what the program sees: the installed declarations, not the sources', () => {
    const files = result.program.getSourceFiles().map((f) => resolve(f.fileName));
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
