import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TwitchModule } from '../../lib/twitch.module.js';
import type { TwitchModuleOptions } from '../../lib/interfaces/twitch-module-options.interface.js';
import { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { TwitchApiService } from '../../lib/api/twitch-api.service.js';
import { TwitchAuthService } from '../../lib/auth/twitch-auth.service.js';

import { flushPrefix, REDIS_URL, uniquePrefix } from './prefixes.js';

export { flushPrefix, REDIS_URL, uniquePrefix } from './prefixes.js';

export interface TestApp {
  app: INestApplicationContext;
  api: TwitchApiService;
  auth: TwitchAuthService;
  close(): Promise<void>;
}

/** A real Nest application context with TwitchModule pointed at the fake Twitch. */
export async function createTwitchApp(fake: FakeTwitch, overrides: Partial<TwitchModuleOptions> = {}): Promise<TestApp> {
  const keyPrefix = uniquePrefix();
  @Module({
    imports: [
      TwitchModule.forRoot({
        ...fake.moduleOptions(),
        redirectUri: 'http://127.0.0.1:3000/auth/callback',
        keyPrefix,
        retry: { baseDelayMs: 5, maxDelayMs: 20 },
        ...overrides,
      }),
    ],
  })
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  return {
    app,
    api: app.get(TwitchApiService),
    auth: app.get(TwitchAuthService),
    // The generated prefix is this app's alone: its keys in the shared Redis go with it. A prefix the test
    // chose may be shared with other instances, so the test deletes those keys itself.
    close: async () => {
      await app.close();
      const shared = overrides.redis && 'url' in overrides.redis && overrides.redis.url === REDIS_URL();
      if (overrides.keyPrefix === undefined && shared) await flushPrefix(keyPrefix);
    },
  };
}

export { FakeTwitch };
