import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { TwitchExtensionModule } from '../../lib/extensions/twitch-extension.module.js';
import { TwitchExtensionJwtVerifier } from '../../lib/extensions/twitch-extension-jwt.verifier.js';
import { resolveTwitchExtensionOptions } from '../../lib/extensions/twitch-extension-options.js';
import { TWITCH_EXTENSION_DEFAULTS } from '../../lib/extensions/twitch-extension.constants.js';
import { TwitchModule } from '../../lib/twitch.module.js';
import { FakeTwitch } from '../support/app.js';

const TWITCH = { clientId: 'abc123', keyPrefix: 'twitch:' };
const SECRET = Buffer.from('a very secret extension key').toString('base64');

describe('TwitchExtensionModule options', () => {
  it('fills in the defaults', () => {
    const o = resolveTwitchExtensionOptions({ secret: SECRET }, TWITCH);
    expect(o).toMatchObject({
      extensionId: 'abc123',
      secrets: [SECRET],
      fetchSecrets: false,
      clockSkewMs: TWITCH_EXTENSION_DEFAULTS.clockSkewMs,
      jwtTtlSeconds: TWITCH_EXTENSION_DEFAULTS.jwtTtlSeconds,
      pubsub: { enabled: true, limit: 100, windowMs: 60_000 },
    });
    expect(resolveTwitchExtensionOptions({ secret: SECRET, ownerId: '1' }, TWITCH).fetchSecrets).toBe(true);
  });

  it.each([
    [{}, 'secret'],
    [{ secret: 'not base64!' }, 'secret'],
    [{ secrets: [SECRET, 42] }, 'secrets[1]'],
    [{ secret: SECRET, ownerId: 141981764 }, 'ownerId'],
    [{ secret: SECRET, fetchSecrets: true }, 'fetchSecrets'],
    [{ secret: SECRET, clockSkewMs: 600_000 }, 'clockSkewMs'],
    [{ secret: SECRET, extensionId: 'a b' }, 'extensionId'],
    [{ secret: SECRET, pubsub: { limit: 0 } }, 'pubsub.limit'],
    [{ secret: SECRET, pubsub: { windowMs: 1.5 } }, 'pubsub.windowMs'],
  ])('refuses %j naming "%s" (and never echoing a secret)', (input, option) => {
    let message = '';
    try {
      resolveTwitchExtensionOptions(input as never, TWITCH);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`option "${option}"`);
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain('not base64!');
  });

  it('stops the bootstrap with the bad option named', async () => {
    @Module({
      imports: [
        TwitchModule.forRoot({ clientId: 'abc', isGlobal: true }),
        TwitchExtensionModule.forRoot({ secret: SECRET, clockSkewMs: -1 }),
      ],
    })
    class BadModule {}
    await expect(NestFactory.createApplicationContext(BadModule, { logger: false, abortOnError: false })).rejects.toThrow(
      'TwitchExtensionModule: option "clockSkewMs"',
    );
  });

  it('takes its secret from ConfigModule through forRootAsync, with TwitchModule not global', async () => {
    const fake = await FakeTwitch.start();
    const ext = fake.extensions.add({});
    const twitch = TwitchModule.forRoot({ ...fake.moduleOptions() });
    @Module({
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ TWITCH_EXTENSION_SECRET: ext.currentSecret })] }),
        twitch,
        TwitchExtensionModule.forRootAsync({
          imports: [ConfigModule, twitch],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({ secret: config.getOrThrow<string>('TWITCH_EXTENSION_SECRET') }),
        }),
      ],
    })
    class AsyncModule {}
    const app = await NestFactory.createApplicationContext(AsyncModule, { logger: false, abortOnError: false });
    try {
      const viewer = await app.get(TwitchExtensionJwtVerifier).verify(ext.issueJwt({ channelId: '1', role: 'viewer' }));
      expect(viewer.channelId).toBe('1');
    } finally {
      await app.close();
      await fake.close();
    }
  });
});
