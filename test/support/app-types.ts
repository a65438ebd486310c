import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The app that test/public-types.spec.ts type-checks against the built package: its compiler settings and its
 * files (the README's TypeScript blocks, the canaries, the fixtures in test/types/). The check itself runs in
 * the package build's process (test/support/package-build.ts), right after the build.
 */

const root = resolve(import.meta.dirname, '../..');

/**
 * `compilerOptions` of the `tsconfig.json` of `nest new` (strict), with NodeNext resolution: ESM for `.ts`/`.mts`,
 * CommonJS for `.cts`.
 */
export const APP_COMPILER_OPTIONS = {
  target: 'ES2023',
  lib: ['ES2023'],
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
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

export interface Snippet {
  line: number;
  code: string;
}

export function readmeSnippets(): Snippet[] {
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
export const CANARIES: Snippet[] = [
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

export const fixture = (name: string): string => readFileSync(join(root, 'test/types', name), 'utf8');

/** The program's files, by path relative to the app folder. */
export function appSources(snippets: Snippet[]): Map<string, string> {
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
