import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchApiService } from '../lib/api/twitch-api.service.js';
import { TwitchAuthService } from '../lib/auth/twitch-auth.service.js';
import type { TwitchModuleOptions } from '../lib/interfaces/twitch-module-options.interface.js';
import { FakeTwitch } from '../lib/testing/index.js';
import { TWITCH_RESOLVED_OPTIONS } from '../lib/twitch.constants.js';
import { TwitchModule } from '../lib/twitch.module.js';
import type { TwitchOptionsFactory } from '../lib/twitch.module-definition.js';
import { resolveTwitchOptions, type TwitchResolvedOptions } from '../lib/twitch-options.js';

describe('option validation', () => {
  const ok: TwitchModuleOptions = { clientId: 'id', clientSecret: 'secret' };

  it('fills in the defaults', () => {
    const r = resolveTwitchOptions(ok);
    expect(r.helixUrl).toBe('https://api.twitch.tv/helix');
    expect(r.authUrl).toBe('https://id.twitch.tv/oauth2');
    expect(r.timeout).toBe(10_000);
    expect(r.connectTimeout).toBe(3_000);
    expect(r.maxResponseBytes).toBe(8 * 1024 * 1024);
    // Connecting is part of one attempt.
    expect(resolveTwitchOptions({ ...ok, timeout: 500 }).connectTimeout).toBe(500);
    expect(r.rateLimit.enabled).toBe(true);
    expect(r.cache.defaultTtl).toBe(0);
  });

  it.each([
    [{ clientSecret: 's' }, 'clientId'],
    [{ clientId: '' }, 'clientId'],
    [{ clientId: 'a', clientSecret: 42 }, 'clientSecret'],
    [{ clientId: 'a', helixUrl: 'not a url' }, 'helixUrl'],
    [{ clientId: 'a', authUrl: 'ftp://x' }, 'authUrl'],
    [{ clientId: 'a', redirectUri: '/relative' }, 'redirectUri'],
    [{ clientId: 'a', timeout: -1 }, 'timeout'],
    [{ clientId: 'a', connectTimeout: 0 }, 'connectTimeout'],
    [{ clientId: 'a', maxResponseBytes: 10 }, 'maxResponseBytes'],
    [{ clientId: 'a', redis: {} }, 'redis'],
    [{ clientId: 'a', redis: { url: 'http://x' } }, 'redis.url'],
    [{ clientId: 'a', redis: { client: {} } }, 'redis.client'],
    [{ clientId: 'a', rateLimit: { windowMs: 0 } }, 'rateLimit.windowMs'],
    [{ clientId: 'a', rateLimit: { enabled: 'yes' } }, 'rateLimit.enabled'],
    [{ clientId: 'a', retry: { maxRetries: 1.5 } }, 'retry.maxRetries'],
    [{ clientId: 'a', cache: { defaultTtl: -5 } }, 'cache.defaultTtl'],
    [{ clientId: 'a', cache: { manager: {} } }, 'cache.manager'],
  ])('rejects %j naming %s', (input, option) => {
    expect(() => resolveTwitchOptions(input as unknown as TwitchModuleOptions)).toThrow(`option "${option}"`);
  });

  it('fails the bootstrap of a Nest app with the option named', async () => {
    @Module({ imports: [TwitchModule.forRoot({ clientId: 'id', timeout: 0 })] })
    class BadModule {}
    await expect(NestFactory.createApplicationContext(BadModule, { logger: false, abortOnError: false })).rejects.toThrow(
      'option "timeout"',
    );
  });

  it('fails the bootstrap when Redis does not answer, naming redis.url', async () => {
    @Module({ imports: [TwitchModule.forRoot({ clientId: 'id', redis: { url: 'redis://127.0.0.1:1' } })] })
    class NoRedisModule {}
    await expect(
      NestFactory.createApplicationContext(NoRedisModule, { logger: false, abortOnError: false }),
    ).rejects.toThrow('redis.url');
  });
});

describe('forRoot / forRootAsync', () => {
  let fake: FakeTwitch;
  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterAll(() => fake.close());

  it('forRootAsync with ConfigModule and useFactory + inject', async () => {
    @Module({
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          load: [() => ({ TWITCH_CLIENT_ID: fake.clientId, TWITCH_CLIENT_SECRET: fake.clientSecret, HELIX: fake.helixUrl, AUTH: fake.authUrl })],
        }),
        TwitchModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            clientId: config.getOrThrow('TWITCH_CLIENT_ID'),
            clientSecret: config.getOrThrow('TWITCH_CLIENT_SECRET'),
            helixUrl: config.getOrThrow('HELIX'),
            authUrl: config.getOrThrow('AUTH'),
          }),
        }),
      ],
    })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    const users = await app.get(TwitchApiService).users.getUsers({ login: ['twitchdev'] });
    expect(users.data[0].login).toBe('twitchdev');
    await app.close();
  });

  it('forRootAsync with useClass, and isGlobal makes the services injectable everywhere', async () => {
    @Injectable()
    class Options implements TwitchOptionsFactory {
      createTwitchOptions(): TwitchModuleOptions {
        return { ...fake.moduleOptions(), timeout: 1234 };
      }
    }
    @Injectable()
    class Consumer {
      constructor(readonly auth: TwitchAuthService) {}
    }
    @Module({ providers: [Consumer] })
    class FeatureModule {}
    @Module({ imports: [TwitchModule.forRootAsync({ useClass: Options, isGlobal: true }), FeatureModule] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    expect(app.get(TWITCH_RESOLVED_OPTIONS, { strict: false }).timeout).toBe(1234);
    const token = await app.get(Consumer).auth.getAppToken();
    expect(typeof token).toBe('string');
    await app.close();
  });

  it('forRootAsync with useExisting', async () => {
    @Injectable()
    class Options implements TwitchOptionsFactory {
      createTwitchOptions(): TwitchModuleOptions {
        return { ...fake.moduleOptions(), timeout: 4321 };
      }
    }
    @Module({ providers: [Options], exports: [Options] })
    class OptionsModule {}
    @Module({ imports: [TwitchModule.forRootAsync({ imports: [OptionsModule], useExisting: Options })] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    expect(app.get<TwitchResolvedOptions>(TWITCH_RESOLVED_OPTIONS, { strict: false }).timeout).toBe(4321);
    await app.close();
  });
});
