import 'reflect-metadata';
import { Injectable, Module, Scope, type Type } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnTwitchEvent } from '../../lib/eventsub/decorators/on-twitch-event.decorator.js';
import type { TwitchEventSubModuleOptions } from '../../lib/eventsub/interfaces/twitch-eventsub-options.interface.js';
import { TwitchEventSubModule } from '../../lib/eventsub/twitch-eventsub.module.js';
import { TwitchEventSubService } from '../../lib/eventsub/twitch-eventsub.service.js';
import { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { TwitchModule } from '../../lib/twitch.module.js';
import { freePort } from '../support/net.js';
import { example, post, SECRET, signedRequest } from './support.js';

let fake: FakeTwitch;
beforeAll(async () => {
  fake = await FakeTwitch.start();
});
afterAll(async () => {
  await fake.close();
});

const twitch = () =>
  TwitchModule.forRoot({
    ...fake.moduleOptions(),
    keyPrefix: `t-eventsub-options-${Math.random().toString(36).slice(2)}:`,
    isGlobal: true,
  });
const webhook = { callbackUrl: 'https://example.com/eventsub', secret: SECRET };

async function boot(eventSub: ReturnType<typeof TwitchEventSubModule.forRoot>, providers: Type[] = []) {
  @Module({ imports: [twitch(), eventSub], providers })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false, rawBody: true });
  try {
    await app.init();
    return app;
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
}

describe('TwitchEventSubModule options and handler discovery', () => {
  it.each<[string, Partial<TwitchEventSubModuleOptions>, RegExp]>([
    [
      'a websocket user that is no user id',
      { webhook: undefined, websocket: { userId: 'twitchdev' } },
      /option "websocket.userId" must be a Twitch user id/,
    ],
    [
      'transport webhook without a webhook',
      { webhook: undefined, transport: 'webhook' },
      /option "webhook" is required with transport "webhook"/,
    ],
    [
      'a short secret',
      { webhook: { ...webhook, secret: 'short' } },
      /option "webhook.secret" must be an ASCII string of 10 to 100/,
    ],
    [
      'a relative callback',
      { webhook: { ...webhook, callbackUrl: '/eventsub' } },
      /option "webhook.callbackUrl" must be an absolute URL/,
    ],
    ['a bad claim TTL', { webhook, claimTtlMs: -1 }, /option "claimTtlMs" must be an integer/],
    [
      "a body limit below Twitch's batches",
      { webhook: { ...webhook, maxBodyBytes: 100_000 } },
      /option "webhook.maxBodyBytes" must be an integer from 262144 to 67108864/,
    ],
    [
      'an unknown type',
      { webhook, subscriptions: [{ type: 'channel.nope', version: '1', condition: {} }] },
      /subscriptions\[0\].*unknown EventSub type "channel.nope"/,
    ],
    [
      'a bad condition',
      { webhook, subscriptions: [{ type: 'stream.online', version: '1', condition: { broadcasterId: '1' } }] },
      /subscriptions\[0\].condition.*condition.broadcasterId is not a field of stream.online v1/,
    ],
  ])('refuses %s at bootstrap, naming the option', async (_name, options, message) => {
    await expect(boot(TwitchEventSubModule.forRoot(options as TwitchEventSubModuleOptions))).rejects.toThrow(message);
  });

  it('refuses an unknown version on a handler, naming the method and the documented versions', async () => {
    @Injectable()
    class Wrong {
      @OnTwitchEvent('channel.follow', { version: '1' as '2' })
      follow() {}
    }
    await expect(boot(TwitchEventSubModule.forRoot({ webhook }), [Wrong])).rejects.toThrow(
      /Wrong\.follow: unknown version "1" of EventSub type "channel.follow" \(documented: 2\)/,
    );
  });

  it('refuses a handler on a request-scoped provider', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      @OnTwitchEvent('stream.online', { version: '1' })
      online() {}
    }
    await expect(boot(TwitchEventSubModule.forRoot({ webhook }), [PerRequest])).rejects.toThrow(
      /PerRequest\.online .*request-scoped/,
    );
  });

  it('refuses a handler condition with a wrong field', async () => {
    @Injectable()
    class BadCondition {
      @OnTwitchEvent('stream.online', { version: '1', condition: { broadcasterUserId: 7 } as never })
      online() {}
    }
    await expect(boot(TwitchEventSubModule.forRoot({ webhook }), [BadCondition])).rejects.toThrow(
      /BadCondition\.online: condition.broadcasterUserId/,
    );
  });

  it('forRootAsync with ConfigService: options and a condition factory resolved from config', async () => {
    @Injectable()
    class FromConfig {
      @OnTwitchEvent('stream.online', {
        version: '1',
        condition: (config: ConfigService) => ({ broadcasterUserId: config.getOrThrow<string>('BROADCASTER_ID') }),
        inject: [ConfigService],
      })
      online() {}

      @OnTwitchEvent('channel.cheer', { version: '1', condition: () => undefined })
      cheer() {}
    }
    const config = ConfigModule.forRoot({
      ignoreEnvFile: true,
      load: [() => ({ BROADCASTER_ID: '4711', CALLBACK: 'https://example.com/hooks/twitch', SECRET })],
    });
    const app = await boot(
      TwitchEventSubModule.forRootAsync({
        imports: [config],
        inject: [ConfigService],
        useFactory: (c: ConfigService) => ({
          webhook: { callbackUrl: c.getOrThrow('CALLBACK'), secret: c.getOrThrow('SECRET'), path: 'hooks/twitch' },
          reconcile: { onStartup: false },
        }),
        webhookPath: '/hooks/twitch',
      }),
      [FromConfig],
    );
    try {
      expect(app.get(TwitchEventSubService).wanted()).toEqual([
        expect.objectContaining({
          type: 'stream.online',
          version: '1',
          condition: { broadcaster_user_id: '4711' },
          source: 'FromConfig.online',
        }),
      ]);
    } finally {
      await app.close();
    }
  });

  it('forRootAsync refuses a webhook.path that differs from the mounted webhookPath', async () => {
    await expect(
      boot(TwitchEventSubModule.forRootAsync({ useFactory: () => ({ webhook: { ...webhook, path: '/elsewhere' } }) })),
    ).rejects.toThrow(/option "webhook.path" is "\/elsewhere" but the webhook route is mounted at "\/eventsub"/);
  });

  it('serves the webhook at a custom path', async () => {
    const port = await freePort();
    @Module({
      imports: [
        twitch(),
        TwitchEventSubModule.forRoot({ webhook: { ...webhook, path: '/hooks/twitch' }, reconcile: { onStartup: false } }),
      ],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false, rawBody: true });
    await app.listen(port, '127.0.0.1');
    try {
      const req = signedRequest('webhook_callback_verification', {
        challenge: 'abc123',
        subscription: example('stream.online.v1').subscription,
      });
      const res = await post(`http://127.0.0.1:${port}/hooks/twitch`, req);
      expect(res).toMatchObject({ status: 200, body: 'abc123' });
      expect((await post(`http://127.0.0.1:${port}/eventsub`, req)).status).toBe(404);
    } finally {
      await app.close();
    }
  });
});
