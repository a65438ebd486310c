import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Every TypeScript block of the README compiles under `strict`, with the compiler settings of a new
 * Nest 12 application, against the package's public entry points (`nestjs-twitch`, `nestjs-twitch/testing`,
 * `nestjs-twitch/helix` and `nestjs-twitch/eventsub-types`, mapped to `lib/`). Each block is its own ES module.
 * Short fragments may use the variables the README's prose defines (`twitch`, `auth`, `userTokens`, …), declared below; anything
 * else a block uses it must import itself.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const snippetDir = join(root, 'test', '__readme__');

/** The variables the README's fragments take as given (a script: its declarations are global). */
const GLOBALS = `
declare const twitch: import('nestjs-twitch').TwitchApiService;
declare const auth: import('nestjs-twitch').TwitchAuthService;
declare const userTokens: import('nestjs-twitch').TwitchUserTokenService;
declare const code: string;
declare const sessions: { end(userId: string): void | Promise<void> };
declare const allowList: { has(userId: string): Promise<boolean> };
`;

/** `tsconfig.json` of `nest new` (strict), ESM. */
const COMPILER_OPTIONS: ts.CompilerOptions = {
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
  paths: {
    'nestjs-twitch': [join(root, 'lib/index.ts')],
    'nestjs-twitch/testing': [join(root, 'lib/testing/index.ts')],
    'nestjs-twitch/helix': [join(root, 'lib/helix.ts')],
    'nestjs-twitch/eventsub-types': [join(root, 'lib/eventsub-types.ts')],
    'nestjs-twitch/health': [join(root, 'lib/health/index.ts')],
  },
};

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

/**
 * Compiles the snippets in one program (in memory) and returns the diagnostics, each named by its README
 * line (`canary` snippets by `canary:<line>`).
 */
function compile(snippets: Snippet[], canaries: Snippet[]): string[] {
  const files = new Map<string, string>();
  files.set(join(snippetDir, 'readme-globals.d.ts'), GLOBALS);
  // `export {}` makes every block a module even when it has no import (its names stay its own).
  for (const s of snippets) files.set(join(snippetDir, `line-${s.line}.ts`), `${s.code}\nexport {};\n`);
  for (const s of canaries) files.set(join(snippetDir, `canary-${s.line}.ts`), `${s.code}\nexport {};\n`);
  // Blocks without top-level await also as CommonJS (an app without "type": "module"), which loads the package by require().
  for (const s of snippets) {
    const topLevelAwait = /^\s*(const|let|for|await)\b.*\bawait\b/m.test(s.code);
    if (!topLevelAwait) files.set(join(snippetDir, `line-${s.line}.cts`), `${s.code}\nexport {};\n`);
  }

  const host = ts.createCompilerHost(COMPILER_OPTIONS, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, version, onError, create) => {
    const text = files.get(resolve(name));
    if (text === undefined) return getSourceFile.call(host, name, version, onError, create);
    return ts.createSourceFile(name, text, version, true);
  };
  host.fileExists = (name) => files.has(resolve(name)) || fileExists.call(host, name);
  host.readFile = (name) => files.get(resolve(name)) ?? readFile.call(host, name);

  const program = ts.createProgram([...files.keys()], COMPILER_OPTIONS, host);
  const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const name of files.keys()) {
    const sf = program.getSourceFile(name)!;
    diagnostics.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf));
  }
  return diagnostics.map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return `TS${d.code}: ${text}`;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const m = /(line|canary)-(\d+)\.(c?)ts$/.exec(d.file.fileName);
    const where = m
      ? `${m[1] === 'line' ? 'README.md' : 'canary'}:${Number(m[2]) + line}${m[3] ? ' (CommonJS)' : ''}`
      : `${d.file.fileName}:${line + 1}`;
    return `${where} TS${d.code}: ${text}`;
  });
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

describe('README', () => {
  const snippets = readmeSnippets();
  let errors: string[] = [];
  beforeAll(() => {
    errors = compile(snippets, CANARIES);
  }, 60_000);

  it('has TypeScript blocks to check', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(8);
  });

  it('compiles every TypeScript block under strict, as a new Nest 12 app would', () => {
    expect(errors.filter((e) => !e.startsWith('canary:'))).toEqual([]);
  });

  it('the check sees what a new app would refuse (string | undefined for a string, a class used before its declaration)', () => {
    const canary = errors.filter((e) => e.startsWith('canary:'));
    expect(canary.join('\n')).toMatch(/^canary:2 TS2322/m);
    expect(canary.join('\n')).toMatch(/^canary:102 TS2449/m);
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
