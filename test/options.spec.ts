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

  it.each([
    [{ clientId: 'a', cache: { defaultTTL: 1000 } }, 'cache.defaultTTL', 'cache.defaultTtl'],
    [{ clientId: 'a', rateLimit: { windowMS: 1000 } }, 'rateLimit.windowMS', 'rateLimit.windowMs'],
    [{ clientId: 'a', redisUrl: 'redis://127.0.0.1:6379' }, 'redisUrl', 'redis'],
    [{ clientId: 'a', keyprefix: 'x:' }, 'keyprefix', 'keyPrefix'],
    [{ clientID: 'a' }, 'clientID', 'clientId'],
    [{ clientId: 'a', clientSecert: 's' }, 'clientSecert', 'clientSecret'],
    [{ clientId: 'a', redis: { uri: 'redis://x' } }, 'redis.uri', 'redis.url'],
    [{ clientId: 'a', retry: { maxRetry: 1 } }, 'retry.maxRetry', 'retry.maxRetries'],
    [{ clientId: 'a', tokens: { encryptionkey: 'k' } }, 'tokens.encryptionkey', 'tokens.encryptionKey'],
    [{ clientId: 'a', login: { scope: [] } }, 'login.scope', 'login.scopes'],
    [{ clientId: 'a', login: { cookiename: 'x' } }, 'login.cookiename', 'login.cookieName'],
  ])('refuses the unknown key in %j, naming %s and suggesting %s', (input, option, suggestion) => {
    expect(() => resolveTwitchOptions(input as unknown as TwitchModuleOptions)).toThrow(
      `TwitchModule: option "${option}" is not known; did you mean "${suggestion}"?`,
    );
  });

  it('refuses an unknown key unlike any known one, listing the known keys of its level', () => {
    expect(() => resolveTwitchOptions({ clientId: 'a', cache: { zzz: 1 } } as never)).toThrow(
      'option "cache.zzz" is not known (known here: defaultTtl, localMaxEntries, manager)',
    );
  });

  it('refuses an unknown key even when its value is undefined (a typo fed by a missing variable)', () => {
    expect(() => resolveTwitchOptions({ clientId: 'a', redisUrl: undefined } as never)).toThrow('option "redisUrl" is not known');
  });

  it('says where isGlobal belongs when a factory returns it with the options', () => {
    expect(() => resolveTwitchOptions({ clientId: 'a', isGlobal: true } as never)).toThrow(
      'option "isGlobal" is not an option of the module: give it to TwitchModule.forRoot() or forRootAsync() itself',
    );
  });

  it('knows the options of every level (nothing valid is refused as unknown)', () => {
    const all = {
      clientId: 'a',
      clientSecret: 's',
      redirectUri: 'http://127.0.0.1/cb',
      redis: { url: 'redis://127.0.0.1:6379' },
      helixUrl: 'http://127.0.0.1/helix',
      authUrl: 'http://127.0.0.1/oauth2',
      timeout: 1000,
      keyPrefix: 'x:',
      rateLimit: { enabled: true, windowMs: 1000, reserve: 1, maxRetries: 1, maxWaitMs: 10 },
      retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 },
      cache: { defaultTtl: 1, localMaxEntries: 1 },
      tokens: { validateIntervalMs: 1000, validateOnStartup: false },
      login: {
        scopes: ['user:read:email'],
        successRedirect: '/',
        logoutRedirect: '/',
        forceVerify: false,
        stateTtlMs: 1000,
        sessionTtlMs: 1000,
        cookieName: 's',
        secureCookie: 'auto',
        validationCacheTtlMs: 0,
        invalidTokenCacheTtlMs: 0,
        revalidateAfterMs: 0,
        onLogin: () => undefined,
      },
    } satisfies TwitchModuleOptions;
    expect(() => resolveTwitchOptions(all)).not.toThrow();
  });

  it.each([
    [{ clientId: 'a', timeout: '5000' }, 'timeout', 'must be an integer from 1 to 600000 (got a string)'],
    [{ clientId: 'a', timeout: 0 }, 'timeout', 'must be an integer from 1 to 600000 (got 0)'],
    [{ clientId: 'a', retry: { maxRetries: 1.5 } }, 'retry.maxRetries', 'must be an integer from 0 to 20 (got 1.5)'],
    [{ clientId: 'a', rateLimit: { enabled: 'yes' } }, 'rateLimit.enabled', 'must be a boolean (got a string)'],
    [{ clientId: 'a', cache: [] }, 'cache', 'must be an object (got an array)'],
    [{ clientId: 'a', login: null }, 'login', 'must be an object (got null)'],
    [{ clientId: 42 }, 'clientId', 'must be a non-empty string (got 42)'],
    [{ clientId: '  ' }, 'clientId', 'must be a non-empty string (got an empty string)'],
    [{}, 'clientId', 'must be a non-empty string (got nothing)'],
    [{ clientId: 'a', keyPrefix: 1 }, 'keyPrefix', 'must be a string (got 1)'],
    [{ clientId: 'a', tokens: { validateOnStartup: 'no' } }, 'tokens.validateOnStartup', 'must be a boolean (got a string)'],
  ])('says what it received: %j', (input, option, message) => {
    expect(() => resolveTwitchOptions(input as unknown as TwitchModuleOptions)).toThrow(
      `TwitchModule: option "${option}" ${message}`,
    );
  });

  it('never shows the content of a string it refuses (secrets, URLs with passwords)', () => {
    const messages = [
      { clientId: 'a', clientSecret: ['s3cr3t-value'] },
      { clientId: 'a', redis: { url: 'http://user:s3cr3t-value@127.0.0.1' } },
      { clientId: 'a', helixUrl: 'ftp://s3cr3t-value' },
      { clientId: 'a', timeout: 's3cr3t-value' },
      { clientId: 'a', tokens: { encryptionKey: 's3cr3t-value' } },
    ].map((input) => {
      try {
        resolveTwitchOptions(input as unknown as TwitchModuleOptions);
      } catch (err) {
        return (err as Error).message;
      }
      return 'did not throw';
    });
    for (const m of messages) expect(m).toMatch(/^TwitchModule: option "/);
    expect(messages.join('\n')).not.toContain('s3cr3t');
  });

  it('fails the bootstrap of a forRootAsync app whose factory misspells an option', async () => {
    @Module({
      imports: [
        TwitchModule.forRootAsync({
          useFactory: () => ({ clientId: 'id', redisUrl: 'redis://127.0.0.1:6379' }) as TwitchModuleOptions,
        }),
      ],
    })
    class TypoModule {}
    await expect(NestFactory.createApplicationContext(TypoModule, { logger: false, abortOnError: false })).rejects.toThrow(
      'option "redisUrl" is not known; did you mean "redis"?',
    );
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
    await expect(NestFactory.createApplicationContext(NoRedisModule, { logger: false, abortOnError: false })).rejects.toThrow(
      'redis.url',
    );
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
          load: [
            () => ({
              TWITCH_CLIENT_ID: fake.clientId,
              TWITCH_CLIENT_SECRET: fake.clientSecret,
              HELIX: fake.helixUrl,
              AUTH: fake.authUrl,
            }),
          ],
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
