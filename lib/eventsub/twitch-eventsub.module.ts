import { Controller, type DynamicModule, Module, type Provider } from '@nestjs/common';
import { DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import { TWITCH_REDIS, TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import type { TwitchRedisHandle } from '../redis/twitch-redis.provider.js';
import type { TwitchResolvedOptions } from '../twitch-options.js';
import {
  TWITCH_EVENTSUB_BODY_READER,
  TWITCH_EVENTSUB_MOUNT,
  TWITCH_EVENTSUB_RESOLVED_OPTIONS,
} from './twitch-eventsub.constants.js';
import {
  TWITCH_EVENTSUB_ASYNC_OPTIONS_TYPE,
  TWITCH_EVENTSUB_MODULE_OPTIONS,
  TWITCH_EVENTSUB_OPTIONS_TYPE,
  TwitchEventSubConfigurableModule,
} from './twitch-eventsub.module-definition.js';
import type { TwitchEventSubModuleOptions } from './interfaces/twitch-eventsub-options.interface.js';
import { normaliseWebhookPath, resolveEventSubOptions, type TwitchEventSubResolvedOptions } from './twitch-eventsub.options.js';
import {
  TwitchEventSubClaimsStore,
  TwitchEventSubMemoryClaims,
  TwitchEventSubRedisClaims,
} from './twitch-eventsub-claims.store.js';
import { TwitchEventSubDispatcher } from './twitch-eventsub.dispatcher.js';
import { TwitchEventSubExplorer } from './twitch-eventsub.explorer.js';
import { TwitchEventSubReconciler } from './twitch-eventsub.reconciler.js';
import { TwitchEventSubRuntimeSubscriptions } from './twitch-eventsub-runtime.store.js';
import { TwitchEventSubService } from './twitch-eventsub.service.js';
import { TWITCH_EVENTSUB_TRANSPORT } from './transports/twitch-eventsub-transport.interface.js';
import { TwitchEventSubTransportRunner } from './transports/twitch-eventsub-transport.runner.js';
import { installTwitchEventSubBodyReader } from './webhook/twitch-eventsub-body.reader.js';
import { TwitchEventSubWebhookController } from './webhook/twitch-eventsub-webhook.controller.js';
import { TwitchEventSubWebhookTransport } from './webhook/twitch-eventsub-webhook.transport.js';

const providers: Provider[] = [
  {
    provide: TWITCH_EVENTSUB_RESOLVED_OPTIONS,
    inject: [TWITCH_EVENTSUB_MODULE_OPTIONS, TWITCH_EVENTSUB_MOUNT],
    useFactory: (options: TwitchEventSubModuleOptions, mount: { path: string }) => resolveEventSubOptions(options, mount.path),
  },
  {
    provide: TwitchEventSubClaimsStore,
    inject: [TWITCH_EVENTSUB_RESOLVED_OPTIONS, TWITCH_RESOLVED_OPTIONS, TWITCH_REDIS],
    useFactory: (options: TwitchEventSubResolvedOptions, twitch: TwitchResolvedOptions, redis: TwitchRedisHandle | null) =>
      redis
        ? new TwitchEventSubRedisClaims(redis.client, twitch.keyPrefix, options.redisTimeoutMs)
        : new TwitchEventSubMemoryClaims(),
  },
  {
    provide: TWITCH_EVENTSUB_TRANSPORT,
    inject: [TWITCH_EVENTSUB_RESOLVED_OPTIONS],
    // The reconciler's transport: only the webhook transport's subscriptions are reconciled.
    useFactory: (options: TwitchEventSubResolvedOptions) =>
      options.transport === 'webhook'
        ? new TwitchEventSubWebhookTransport(options.webhook!.callbackUrl, options.webhook!.secret)
        : null,
  },
  {
    // Created with the app, before Nest adds its body parsers at init(): see installTwitchEventSubBodyReader.
    provide: TWITCH_EVENTSUB_BODY_READER,
    inject: [TWITCH_EVENTSUB_RESOLVED_OPTIONS, HttpAdapterHost],
    useFactory: (options: TwitchEventSubResolvedOptions, host: HttpAdapterHost) =>
      options.webhook
        ? installTwitchEventSubBodyReader(host.httpAdapter, options.webhook.path, options.webhook.maxBodyBytes)
        : false,
  },
  TwitchEventSubDispatcher,
  TwitchEventSubReconciler,
  TwitchEventSubRuntimeSubscriptions,
  TwitchEventSubService,
  TwitchEventSubExplorer,
  TwitchEventSubTransportRunner,
];

/**
 * EventSub on top of `TwitchModule` (it uses its `TwitchApiService`, Redis and key-value store, so
 * `TwitchModule` must be global or imported through `imports`): `TwitchEventSubModule.forRoot({ webhook:
 * { callbackUrl, secret } })`, `forRoot({ transport: 'websocket', websocket: { userId } })`,
 * `forRoot({ transport: 'conduit' })`, or `forRootAsync({ useFactory, inject, imports, webhookPath })`, with
 * `isGlobal` to provide `TwitchEventSubService` everywhere. Mounts the webhook receiver at
 * `webhook.path` (default `/eventsub`; it answers 404 when no `webhook` is configured).
 */
@Module({})
export class TwitchEventSubModule extends TwitchEventSubConfigurableModule {
  static forRoot(options: typeof TWITCH_EVENTSUB_OPTIONS_TYPE): DynamicModule {
    return withWebhook(super.forRoot(options), normaliseWebhookPath(options?.webhook?.path, 'webhook.path'));
  }

  static forRootAsync(options: typeof TWITCH_EVENTSUB_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withWebhook(super.forRootAsync(options), normaliseWebhookPath(options?.webhookPath, 'webhookPath'));
  }
}

function withWebhook(definition: DynamicModule, path: string): DynamicModule {
  // One controller class per mount, so that two apps in one process may use different paths.
  class TwitchEventSubWebhookRoute extends TwitchEventSubWebhookController {}
  Controller(path)(TwitchEventSubWebhookRoute);
  return {
    ...definition,
    imports: [...(definition.imports ?? []), DiscoveryModule],
    controllers: [...(definition.controllers ?? []), TwitchEventSubWebhookRoute],
    providers: [...(definition.providers ?? []), { provide: TWITCH_EVENTSUB_MOUNT, useValue: { path } }, ...providers],
    exports: [...(definition.exports ?? []), TwitchEventSubService, TwitchEventSubDispatcher, TwitchEventSubTransportRunner],
  };
}
