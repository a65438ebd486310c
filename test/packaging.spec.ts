import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

/** A user's app: loads the built package by name, starts the fake Twitch, calls Get Users, closes. */
const body = (load: string) => `
${load}
const { Module } = common;
const { NestFactory } = core;
const fake = await testing.FakeTwitch.start();
class AppModule {}
Module({ imports: [twitch.TwitchModule.forRoot({ ...fake.moduleOptions() })] })(AppModule);
const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
const res = await app.get(twitch.TwitchApiService).users.getUsers({ login: ['twitchdev'] });
console.log(JSON.stringify({ login: res.data[0].login, endpoints: twitch.TWITCH_ENDPOINTS.length, dto: res.constructor.name }));
await app.close();
await fake.close();
`;

describe('the built package', () => {
  let dir: string;
  beforeAll(() => {
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'pipe' });
    dir = mkdtempSync(join(tmpdir(), 'nestjs-twitch-pack-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'nestjs-twitch'));
    for (const dep of ['reflect-metadata', '@nestjs']) symlinkSync(join(root, 'node_modules', dep), join(dir, 'node_modules', dep));
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(file: string, code: string) {
    writeFileSync(join(dir, file), code);
    const out = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
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
import * as testing from 'nestjs-twitch/testing';`),
    );
    expect(result).toEqual({ login: 'twitchdev', endpoints: 144, dto: 'GetUsersResponse' });
  });

  it('loads with require (CommonJS)', () => {
    const result = run(
      'app.cjs',
      `(async () => {${body(`require('reflect-metadata');
const common = require('@nestjs/common');
const core = require('@nestjs/core');
const twitch = require('nestjs-twitch');
const testing = require('nestjs-twitch/testing');`)}})().catch((e) => { console.error(e); process.exit(1); });`,
    );
    expect(result).toEqual({ login: 'twitchdev', endpoints: 144, dto: 'GetUsersResponse' });
  });
});
