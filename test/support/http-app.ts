import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { TwitchLoginOptions } from '../../lib/interfaces/twitch-login-options.interface.js';
import type { TwitchModuleOptions } from '../../lib/interfaces/twitch-module-options.interface.js';
import { TwitchModule } from '../../lib/twitch.module.js';
import { type FakeTwitch, REDIS_URL } from './app.js';

export type Platform = 'express' | 'fastify';

export interface HttpAppOptions {
  keyPrefix: string;
  controllers: Type[];
  login?: TwitchLoginOptions;
  /** Modules imported next to TwitchModule (e.g. TwitchLoginModule). */
  imports?: DynamicModule[];
  redirectUri?: string;
  /** Default: the test Redis at `REDIS_URL`. */
  redis?: TwitchModuleOptions['redis'];
}

/** A listening-ready Nest HTTP app (Express or Fastify) with TwitchModule on the fake Twitch and the test Redis. */
export async function createHttpApp(platform: Platform, fake: FakeTwitch, options: HttpAppOptions): Promise<INestApplication> {
  @Module({
    imports: [
      TwitchModule.forRoot({
        ...fake.moduleOptions(),
        redirectUri: options.redirectUri ?? 'http://127.0.0.1:3000/auth/twitch/callback',
        redis: options.redis ?? { url: REDIS_URL() },
        keyPrefix: options.keyPrefix,
        retry: { maxRetries: 0, baseDelayMs: 5, maxDelayMs: 20 },
        login: options.login ?? {},
        isGlobal: true,
      }),
      ...(options.imports ?? []),
    ],
    controllers: options.controllers,
  })
  class AppModule {}
  const app =
    platform === 'express'
      ? await NestFactory.create(AppModule, { logger: false })
      : await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { logger: false });
  await app.init();
  if (platform === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return app;
}
