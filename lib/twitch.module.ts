import { HttpModule } from '@nestjs/axios';
import { Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TwitchApiService } from './api/twitch-api.service.js';
import { TwitchEndpointCaller } from './api/twitch-endpoint.caller.js';
import { TwitchAuthService } from './auth/twitch-auth.service.js';
import { TwitchCache } from './cache/twitch-cache.js';
import { TwitchHttpClient } from './http/twitch-http.client.js';
import { TwitchTransport } from './http/twitch-transport.js';
import { TwitchTelemetry } from './observability/twitch-telemetry.js';
import { TwitchAppTokenManager } from './auth/twitch-app-token.manager.js';
import { TwitchMemoryRateLimitStore } from './rate-limit/memory-rate-limit.store.js';
import { TwitchRateLimiter } from './rate-limit/twitch-rate-limiter.js';
import { TwitchRateLimitStore } from './rate-limit/twitch-rate-limit.store.js';
import { TwitchRedisRateLimitStore } from './rate-limit/redis-rate-limit.store.js';
import { type TwitchRedisHandle, twitchRedisProvider } from './redis/twitch-redis.provider.js';
import { TWITCH_REDIS, TWITCH_RESOLVED_OPTIONS } from './twitch.constants.js';
import { TWITCH_MODULE_OPTIONS, TwitchConfigurableModule } from './twitch.module-definition.js';
import type { TwitchModuleOptions } from './interfaces/twitch-module-options.interface.js';
import { resolveTwitchOptions, type TwitchResolvedOptions } from './twitch-options.js';
import { TwitchRedisTokenStore } from './auth/token-store/twitch-redis-token-store.js';
import { TwitchTokenCipher } from './auth/token-store/twitch-token-cipher.js';
import { TwitchMemoryTokenStore, TwitchTokenStore } from './auth/token-store/twitch-token-store.js';
import { TwitchUserTokenService } from './auth/twitch-user-token.service.js';
import { TwitchKvStore, TwitchMemoryKvStore, TwitchRedisKvStore } from './store/twitch-kv.store.js';

/** Closes the Redis connection the module opened (never one it was given). */
@Injectable()
class TwitchRedisCloser implements OnApplicationShutdown {
  constructor(@Inject(TWITCH_REDIS) private readonly redis: TwitchRedisHandle | null) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.redis?.owned && this.redis.raw.isOpen) await this.redis.raw.close();
  }
}

/** Said once per module at startup: tokens go to Redis unencrypted. */
function warnClearTokens(userTokensInRedis: boolean): void {
  const what = userTokensInRedis ? "Users' access and refresh tokens and the app access token are" : 'The app access token is';
  new Logger('TwitchModule').warn(
    `${what} stored in Redis unencrypted: set tokens.encryptionKey (64 hex characters or base64 of 32 bytes) to encrypt them`,
  );
}

/**
 * The Twitch module: `TwitchModule.forRoot(options)` or `TwitchModule.forRootAsync({ useFactory,
 * inject, imports } | { useClass } | { useExisting })`, with `isGlobal` to provide it everywhere.
 * Exports `TwitchApiService`, `TwitchAuthService` and the pluggable stores.
 */
@Module({
  // registerAsync, not register: register() creates its axios instance once, when this file loads,
  // so every app in the process would share it (and each other's interceptors).
  imports: [HttpModule.registerAsync({ useFactory: () => ({}) })],
  providers: [
    {
      provide: TWITCH_RESOLVED_OPTIONS,
      inject: [TWITCH_MODULE_OPTIONS],
      useFactory: (options: TwitchModuleOptions) => resolveTwitchOptions(options),
    },
    twitchRedisProvider,
    // Each pluggable part: the app's own instance from the options, else Redis with `redis`, else memory.
    {
      provide: TwitchRateLimitStore,
      inject: [TWITCH_RESOLVED_OPTIONS, TWITCH_REDIS],
      useFactory: (options: TwitchResolvedOptions, redis: TwitchRedisHandle | null) =>
        options.rateLimit.store ?? (redis ? new TwitchRedisRateLimitStore(redis.client) : new TwitchMemoryRateLimitStore()),
    },
    {
      provide: TwitchKvStore,
      inject: [TWITCH_RESOLVED_OPTIONS, TWITCH_REDIS],
      useFactory: (options: TwitchResolvedOptions, redis: TwitchRedisHandle | null) =>
        options.stateStore ?? (redis ? new TwitchRedisKvStore(redis.client) : new TwitchMemoryKvStore()),
    },
    {
      provide: TwitchTokenStore,
      inject: [TWITCH_RESOLVED_OPTIONS, TWITCH_REDIS],
      useFactory: (options: TwitchResolvedOptions, redis: TwitchRedisHandle | null) => {
        if (redis && !options.tokens.encryptionKey) warnClearTokens(!options.tokens.store);
        return (
          options.tokens.store ??
          (redis
            ? new TwitchRedisTokenStore(redis.client, options.keyPrefix, new TwitchTokenCipher(options.tokens.encryptionKey))
            : new TwitchMemoryTokenStore())
        );
      },
    },
    TwitchTelemetry,
    TwitchUserTokenService,
    TwitchRateLimiter,
    TwitchCache,
    TwitchTransport,
    TwitchAppTokenManager,
    TwitchHttpClient,
    TwitchAuthService,
    TwitchEndpointCaller,
    TwitchApiService,
    TwitchRedisCloser,
  ],
  exports: [
    TwitchApiService,
    TwitchAuthService,
    TwitchUserTokenService,
    TwitchTokenStore,
    TwitchKvStore,
    TwitchRateLimitStore,
    TwitchCache,
    TwitchTelemetry,
    TwitchAppTokenManager,
    TWITCH_RESOLVED_OPTIONS,
    TwitchEndpointCaller,
    TWITCH_REDIS,
  ],
})
export class TwitchModule extends TwitchConfigurableModule {}
