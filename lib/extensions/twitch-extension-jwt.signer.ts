import { Inject, Injectable } from '@nestjs/common';
import { signExtensionJwt, type TwitchExtensionPubSubPerms } from '../auth/extension-jwt.js';
import { TWITCH_EXTENSION_RESOLVED_OPTIONS } from './twitch-extension.constants.js';
import { TwitchExtensionConfigException } from '../exceptions/twitch-extension.exception.js';
import type { TwitchExtensionResolvedOptions } from './twitch-extension-options.js';
import { TwitchExtensionSecretsService } from './twitch-extension-secrets.service.js';

/**
 * Signs the EBS JWT of each call with the claims Twitch documents for it, with the extension's
 * current signing secret and a short lifetime (`jwtTtlSeconds`):
 *
 * - every EBS endpoint: `role: 'external'`, `user_id`: the owner (`ownerId`), `exp`;
 * - Send Extension PubSub Message adds `channel_id` (the broadcaster, or `'all'` for a global
 *   broadcast) and `pubsub_perms: { send: [the targets] }`.
 */
@Injectable()
export class TwitchExtensionJwtSigner {
  constructor(
    @Inject(TWITCH_EXTENSION_RESOLVED_OPTIONS) private readonly options: TwitchExtensionResolvedOptions,
    private readonly secrets: TwitchExtensionSecretsService,
  ) {}

  /** The JWT of an EBS call that needs only the owner's `external` claims. */
  external(endpoint: string): Promise<string> {
    return this.sign(endpoint, {});
  }

  /** The JWT of one Send Extension PubSub Message call. */
  pubsub(channelId: string, targets: readonly string[]): Promise<string> {
    const endpoint = 'POST /extensions/pubsub (Send Extension PubSub Message)';
    return this.sign(endpoint, { channelId, pubsubPerms: { send: [...targets] } });
  }

  /** Throws `TwitchExtensionConfigException` when EBS JWTs cannot be signed (no `ownerId`). */
  assertCanSign(endpoint: string): void {
    if (!this.options.ownerId) {
      throw new TwitchExtensionConfigException(
        endpoint,
        'TwitchExtensionModule needs "ownerId" (the extension owner\'s user ID) to sign EBS JWTs',
      );
    }
  }

  private async sign(endpoint: string, extra: { channelId?: string; pubsubPerms?: TwitchExtensionPubSubPerms }): Promise<string> {
    this.assertCanSign(endpoint);
    return signExtensionJwt({
      secret: await this.secrets.signingSecret(),
      ownerId: this.options.ownerId!,
      role: 'external',
      expiresInSeconds: this.options.jwtTtlSeconds,
      ...extra,
    });
  }
}
