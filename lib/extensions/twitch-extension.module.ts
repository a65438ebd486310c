import { Logger, Module } from '@nestjs/common';
import { TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import type { TwitchResolvedOptions } from '../twitch-options.js';
import { TwitchExtensionAuthGuard } from './guards/twitch-extension-auth.guard.js';
import { TWITCH_EXTENSION_RESOLVED_OPTIONS } from './twitch-extension.constants.js';
import { TWITCH_EXTENSION_MODULE_OPTIONS, TwitchExtensionConfigurableModule } from './twitch-extension.module-definition.js';
import { TwitchExtensionService } from './twitch-extension.service.js';
import type { TwitchExtensionModuleOptions } from './twitch-extension-options.interface.js';
import { resolveTwitchExtensionOptions } from './twitch-extension-options.js';
import { TwitchExtensionJwtSigner } from './twitch-extension-jwt.signer.js';
import { TwitchExtensionJwtVerifier } from './twitch-extension-jwt.verifier.js';
import { TwitchExtensionPubSubPacer } from './twitch-extension-pubsub.pacer.js';
import { TwitchExtensionSecretsService } from './twitch-extension-secrets.service.js';

/**
 * Extension backends (EBS): `TwitchExtensionModule.forRoot({ secret, ownerId })` or
 * `forRootAsync({ useFactory, inject, imports })`, next to `TwitchModule` (global, or passed in
 * `imports`). Provides the `@TwitchExtensionAuth()` guard, `TwitchExtensionService` (EBS calls with
 * their own JWTs, PubSub paced per channel), the secrets and the JWT signer and verifier.
 * Options are checked at bootstrap; a bad one stops the app with an error naming it.
 */
@Module({
  providers: [
    {
      provide: TWITCH_EXTENSION_RESOLVED_OPTIONS,
      inject: [TWITCH_EXTENSION_MODULE_OPTIONS, TWITCH_RESOLVED_OPTIONS],
      useFactory: (options: TwitchExtensionModuleOptions, twitch: TwitchResolvedOptions) => {
        const resolved = resolveTwitchExtensionOptions(options, twitch);
        if (resolved.extensionId !== twitch.clientId) {
          new Logger('TwitchExtensionModule').warn(
            `extensionId ${resolved.extensionId} is not TwitchModule's clientId ${twitch.clientId}: ` +
              "Twitch expects the extension's client ID as Client-Id on EBS calls",
          );
        }
        return resolved;
      },
    },
    TwitchExtensionSecretsService,
    TwitchExtensionJwtVerifier,
    TwitchExtensionJwtSigner,
    TwitchExtensionPubSubPacer,
    TwitchExtensionService,
    TwitchExtensionAuthGuard,
  ],
  exports: [
    TWITCH_EXTENSION_RESOLVED_OPTIONS,
    TwitchExtensionSecretsService,
    TwitchExtensionJwtVerifier,
    TwitchExtensionJwtSigner,
    TwitchExtensionPubSubPacer,
    TwitchExtensionService,
    TwitchExtensionAuthGuard,
  ],
})
export class TwitchExtensionModule extends TwitchExtensionConfigurableModule {}
