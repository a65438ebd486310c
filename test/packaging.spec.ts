import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushPrefix, REDIS_URL, uniquePrefix } from './support/app.js';
import { pinnedRootExports } from './support/exports.js';

const root = resolve(import.meta.dirname, '..');
/** The root's runtime names as committed (test/packaging/exports.txt), which the installed package must match exactly. */
const rootExports = pinnedRootExports().sort();

/** A user's app: loads the installed package by name, starts the fake Twitch, calls Get Users, closes. */
const body = (load: string) => `
${load}
const { Module } = common;
const { NestFactory } = core;
const fake = await testing.FakeTwitch.start();
class AppModule {}
Module({ imports: [twitch.TwitchModule.forRoot({ ...fake.moduleOptions() })] })(AppModule);
const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
const res = await app.get(twitch.TwitchApiService).users.getUsers({ login: ['twitchdev'] });
const names = Object.keys(twitch).filter((k) => !['default', 'module.exports', '__esModule'].includes(k)).sort();
const dto = res.constructor.name;
const helixDto = res instanceof helix.GetUsersResponse && res.data[0] instanceof helix.User;
console.log(JSON.stringify({ login: res.data[0].login, endpoints: twitch.TWITCH_ENDPOINTS.length, dto, helixDto, exports: names }));
await app.close();
await fake.close();
`;

/**
 * A user's HTTP app (Express or Fastify) with Redis: a route guarded by \`@TwitchAuth()\` that calls Twitch as the
 * bearer caller with \`{ user }\`, decorated by hand as compiled TypeScript would.
 */
const httpBody = (load: string, platform: 'express' | 'fastify', redisUrl: string, keyPrefix: string) => `
${load}
const { Controller, Get, Inject, Module } = common;
const fake = await testing.FakeTwitch.start();
fake.respondWith('GET', '/channels/followed', 200, { total: 0, data: [], pagination: {} });
class MeController {
  constructor(twitch) { this.twitch = twitch; }
  async follows(user) {
    const res = await this.twitch.channels.getFollowedChannels({ userId: user.userId }, { user });
    return { login: user.login, total: res.total };
  }
}
Inject(twitch.TwitchApiService)(MeController, undefined, 0);
const follows = Object.getOwnPropertyDescriptor(MeController.prototype, 'follows');
for (const d of [Get('follows'), twitch.TwitchAuth('user:read:follows')]) d(MeController.prototype, 'follows', follows);
twitch.TwitchUser()(MeController.prototype, 'follows', 0);
Controller('me')(MeController);
class AppModule {}
Module({
  imports: [
    twitch.TwitchModule.forRoot({
      ...fake.moduleOptions(),
      redis: { url: ${JSON.stringify(redisUrl)} },
      keyPrefix: ${JSON.stringify(keyPrefix)},
      isGlobal: true,
    }),
  ],
  controllers: [MeController],
})(AppModule);
const adapter = ${platform === 'fastify' ? 'new fastify.FastifyAdapter()' : 'undefined'};
const app = adapter ? await core.NestFactory.create(AppModule, adapter, { logger: false }) : await core.NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const { accessToken } = fake.issueUserToken({ userId: '141981764', scopes: ['user:read:follows'] });
const res = await fetch(\`\${await app.getUrl()}/me/follows\`, { headers: { authorization: \`Bearer \${accessToken}\` } });
const sent = fake.requestsTo('GET', '/channels/followed')[0];
const asUser = sent?.headers.authorization === \`Bearer \${accessToken}\`;
console.log(JSON.stringify({ status: res.status, body: await res.json(), asUser }));
await app.close();
await fake.close();
`;

/** What a consumer's type checker sees of the installed package (ESM or CommonJS). */
const typesCheck = `
import { TwitchModule, type TwitchIdentity, type TwitchModuleOptions } from 'nestjs-twitch';
import { FakeTwitch } from 'nestjs-twitch/testing';
import type { Stream } from 'nestjs-twitch/helix';
import type { ChannelFollowEvent } from 'nestjs-twitch/eventsub-types';
export type Live = Stream['viewerCount'] | ChannelFollowEvent['userId'];
const options: TwitchModuleOptions = { clientId: 'id', redis: { url: 'redis://127.0.0.1:6379' } };
export const mod = TwitchModule.forRoot({ ...options, isGlobal: true });
export const start: typeof FakeTwitch.start = FakeTwitch.start;
export type Who = TwitchIdentity['userId'];
`;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/**
 * The package as npm publishes it: built into a temporary folder (the working tree's `dist/` is left
 * alone), packed with `npm pack`, and unpacked into a user's `node_modules`.
 */
describe('the packed package', () => {
  let dir: string;
  let app: string;
  let packed: string[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nestjs-twitch-pack-'));
    const pkg = join(dir, 'pkg');
    mkdirSync(pkg);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) copyFileSync(join(root, f), join(pkg, f));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], {
      stdio: 'pipe',
    });
    const [info] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
        cwd: pkg,
        encoding: 'utf8',
        stdio: 'pipe',
      }),
    ) as { filename: string; files: { path: string }[] }[];
    packed = info.files.map((f) => f.path).sort();

    app = join(dir, 'app');
    const installed = join(app, 'node_modules', 'nestjs-twitch');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', join(dir, info.filename), '-C', installed, '--strip-components=1']);
    // The app's other dependencies: the ones this repository installed.
    for (const dep of readdirSync(join(root, 'node_modules'))) {
      if (dep !== 'nestjs-twitch' && dep !== '.bin') symlinkSync(join(root, 'node_modules', dep), join(app, 'node_modules', dep));
    }
  }, 180_000);
  const keyPrefix = uniquePrefix();
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await flushPrefix(keyPrefix);
  });

  it('holds dist (JavaScript and declarations, no source maps), package.json, README, LICENSE and CHANGELOG', () => {
    const docs = ['LICENSE', 'CHANGELOG.md', 'README.md', 'package.json'];
    expect(packed).toEqual(expect.arrayContaining([...docs, 'dist/index.js', 'dist/index.d.ts']));
    expect(packed.filter((p) => !/^dist\/.+\.(js|d\.ts)$/.test(p) && !docs.includes(p))).toEqual([]);
    expect(packed.some((p) => p.includes('.spec.'))).toBe(false);
    const js = walk(join(app, 'node_modules', 'nestjs-twitch', 'dist')).filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(100);
    expect(js.filter((f) => readFileSync(f, 'utf8').includes('sourceMappingURL'))).toEqual([]);
    expect(readFileSync(join(app, 'node_modules', 'nestjs-twitch', 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  function run(file: string, code: string) {
    writeFileSync(join(app, file), code);
    const out = spawnSync(process.execPath, [file], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    expect(out.stderr.replace(/.*ExperimentalWarning.*\n|.*--trace-warnings.*\n/g, '')).toBe('');
    expect(out.status).toBe(0);
    return JSON.parse(out.stdout.trim().split('\n').pop()!);
  }

  it('loads with import (ESM)', () => {
    const result = run(
      'app.mjs',
      body(`import 'reflect-metadata';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';
import * as twitch from 'nestjs-twitch';
import * as helix from 'nestjs-twitch/helix';
import * as testing from 'nestjs-twitch/testing';`),
    );
    expect(result).toEqual({ login: 'twitchdev', endpoints: 149, dto: 'GetUsersResponse', helixDto: true, exports: rootExports });
  });

  it('loads with require (CommonJS)', () => {
    const result = run(
      'app.cjs',
      `(async () => {${body(`require('reflect-metadata');
const common = require('@nestjs/common');
const core = require('@nestjs/core');
const twitch = require('nestjs-twitch');
const helix = require('nestjs-twitch/helix');
const testing = require('nestjs-twitch/testing');`)}})().catch((e) => { console.error(e); process.exit(1); });`,
    );
    expect(result).toEqual({ login: 'twitchdev', endpoints: 149, dto: 'GetUsersResponse', helixDto: true, exports: rootExports });
  });

  const loaders = {
    esm: `import 'reflect-metadata';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';
import * as fastify from '@nestjs/platform-fastify';
import * as twitch from 'nestjs-twitch';
import * as testing from 'nestjs-twitch/testing';`,
    cjs: `require('reflect-metadata');
const common = require('@nestjs/common');
const core = require('@nestjs/core');
const fastify = require('@nestjs/platform-fastify');
const twitch = require('nestjs-twitch');
const testing = require('nestjs-twitch/testing');`,
  };
  it.each([
    ['esm', 'express'],
    ['esm', 'fastify'],
    ['cjs', 'express'],
    ['cjs', 'fastify'],
  ] as const)('serves a guarded route calling Twitch as the bearer user (%s, %s, Redis)', (kind, platform) => {
    const code = httpBody(loaders[kind], platform, REDIS_URL(), `${keyPrefix}${kind}-${platform}:`);
    const result =
      kind === 'esm'
        ? run(`http-${platform}.mjs`, code)
        : run(`http-${platform}.cjs`, `(async () => {${code}})().catch((e) => { console.error(e); process.exit(1); });`);
    expect(result).toEqual({ status: 200, body: { login: 'twitchdev', total: 0 }, asUser: true });
  });

  it('gives its types to ESM and CommonJS apps (strict, NodeNext)', () => {
    writeFileSync(join(app, 'types.mts'), typesCheck);
    writeFileSync(join(app, 'types.cts'), typesCheck);
    const program = ts.createProgram([join(app, 'types.mts'), join(app, 'types.cts')], {
      target: ts.ScriptTarget.ES2023,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
      typeRoots: [join(app, 'node_modules', '@types')],
    });
    const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(errors).toEqual([]);
    // The declarations came from the installed package, not from the sources.
    const installedTypes = join(app, 'node_modules', 'nestjs-twitch', 'dist', 'index.d.ts');
    expect(program.getSourceFiles().some((f) => resolve(f.fileName) === installedTypes)).toBe(true);
  }, 60_000);
});
