import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushPrefix, REDIS_URL, uniquePrefix } from './support/app.js';
import { builtPackage, linkDependencies } from './support/built-package.js';
import { pinnedRootExports } from './support/exports.js';

/** The root's runtime names as committed (test/packaging/exports.txt), which the installed package must match exactly. */
const rootExports = pinnedRootExports().sort();

/** A user's app: loads the installed package by name, starts the fake Twitch, calls Get Users, closes. */
const body = () => `
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
console.log(JSON.stringify({ part: 'load', login: res.data[0].login, endpoints: twitch.TWITCH_ENDPOINTS.length, dto, helixDto, exports: names }));
await app.close();
await fake.close();
`;

/**
 * A user's HTTP app (Express or Fastify) with Redis: a route guarded by \`@TwitchAuth()\` that calls Twitch as the
 * bearer caller with \`{ user }\`, decorated by hand as compiled TypeScript would.
 */
const httpBody = (platform: 'express' | 'fastify', redisUrl: string, keyPrefix: string) => `
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
console.log(JSON.stringify({ part: '${platform}', status: res.status, body: await res.json(), asUser }));
await app.close();
await fake.close();
`;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/**
 * The package as npm publishes it: built once per run into a temporary folder (test/support/built-package.ts;
 * the working tree's `dist/` is left alone), packed with `npm pack`, and unpacked into a user's `node_modules`.
 * (What its declarations give an app's type checker is in test/public-types.spec.ts.)
 */
describe('the packed package', () => {
  let dir: string;
  let app: string;
  let packed: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nestjs-twitch-pack-'));
    const { pkg } = await builtPackage();
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
    linkDependencies(join(app, 'node_modules'));
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

  /**
   * One app per module system, loading the package once: Get Users and the export list (`load`), then a
   * guarded route on Express and on Fastify, each part printing one JSON line named by its part.
   */
  const loaders = {
    esm: `import 'reflect-metadata';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';
import * as fastify from '@nestjs/platform-fastify';
import * as twitch from 'nestjs-twitch';
import * as helix from 'nestjs-twitch/helix';
import * as testing from 'nestjs-twitch/testing';`,
    cjs: `require('reflect-metadata');
const common = require('@nestjs/common');
const core = require('@nestjs/core');
const fastify = require('@nestjs/platform-fastify');
const twitch = require('nestjs-twitch');
const helix = require('nestjs-twitch/helix');
const testing = require('nestjs-twitch/testing');`,
  };
  const parts = (kind: 'esm' | 'cjs') =>
    [
      `{${body()}}`,
      `{${httpBody('express', REDIS_URL(), `${keyPrefix}${kind}-express:`)}}`,
      `{${httpBody('fastify', REDIS_URL(), `${keyPrefix}${kind}-fastify:`)}}`,
    ].join('\n');
  const apps: Record<'esm' | 'cjs', Promise<Record<string, unknown>[]>> = {} as never;

  function run(file: string, code: string): Promise<Record<string, unknown>[]> {
    writeFileSync(join(app, file), code);
    return new Promise((done, fail) => {
      execFile(process.execPath, [file], { cwd: app, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
        const warnings = stderr.replace(/.*ExperimentalWarning.*\n|.*--trace-warnings.*\n/g, '');
        if (err || warnings) return fail(new Error(`${file} failed (${err?.message ?? 'stderr'}):\n${stderr}\n${stdout}`));
        done(
          stdout
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as Record<string, unknown>),
        );
      });
    });
  }
  beforeAll(() => {
    apps.esm = run('app.mjs', `${loaders.esm}\n${parts('esm')}`);
    apps.cjs = run(
      'app.cjs',
      `${loaders.cjs}\n(async () => {\n${parts('cjs')}\n})().catch((e) => { console.error(e); process.exit(1); });`,
    );
    // Both settle before the tests read them (a failure is reported by each test that reads it).
    apps.esm.catch(() => undefined);
    apps.cjs.catch(() => undefined);
  });
  const part = async (kind: 'esm' | 'cjs', name: string) => (await apps[kind]).find((p) => p.part === name);

  it.each([
    ['import (ESM)', 'esm'],
    ['require (CommonJS)', 'cjs'],
  ] as const)('loads with %s', async (_how, kind) => {
    expect(await part(kind, 'load')).toEqual({
      part: 'load',
      login: 'twitchdev',
      endpoints: 149,
      dto: 'GetUsersResponse',
      helixDto: true,
      exports: rootExports,
    });
  });

  it.each([
    ['esm', 'express'],
    ['esm', 'fastify'],
    ['cjs', 'express'],
    ['cjs', 'fastify'],
  ] as const)('serves a guarded route calling Twitch as the bearer user (%s, %s, Redis)', async (kind, platform) => {
    expect(await part(kind, platform)).toEqual({
      part: platform,
      status: 200,
      body: { login: 'twitchdev', total: 0 },
      asUser: true,
    });
  });
});
