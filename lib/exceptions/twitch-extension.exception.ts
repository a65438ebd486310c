import { HttpStatus } from '@nestjs/common';
import { TwitchException } from './twitch.exception.js';

/** Why `@TwitchExtensionAuth()` refused a request. */
export type TwitchExtensionAuthFailureReason =
  /** No `Authorization` header. */
  | 'missing_token'
  /** An `Authorization` header that is not `Bearer <JWT>`. */
  | 'malformed_authorization'
  /** The JWT's header names another algorithm than HS256 (`none`, RS256…). */
  | 'unsupported_algorithm'
  /** No current secret of the extension verifies the signature (a wrong secret, a tampered token, a retired secret). */
  | 'invalid_signature'
  /** The JWT has no `exp` claim. */
  | 'missing_expiry'
  /** `exp` is in the past (more than `clockSkewMs` ago). */
  | 'expired_token'
  /** Claims missing or of the wrong type (`channel_id`, `opaque_user_id`, `role`). */
  | 'invalid_claims'
  /** 403: the token's role is not one the route accepts. */
  | 'role_not_allowed'
  /** 403: the route needs a viewer who shared their Twitch identity (`user_id`), and this one has not. */
  | 'identity_not_shared';

const MESSAGES: Record<TwitchExtensionAuthFailureReason, string> = {
  missing_token: 'Extension JWT required: send "Authorization: Bearer <token from Twitch.ext.onAuthorized>"',
  malformed_authorization: 'The Authorization header must be "Bearer <Extension JWT>"',
  unsupported_algorithm: 'The Extension JWT must be signed with HS256',
  invalid_signature: 'The Extension JWT signature does not match the extension secret',
  missing_expiry: 'The Extension JWT has no "exp" claim',
  expired_token: 'The Extension JWT expired',
  invalid_claims: 'The Extension JWT lacks "channel_id", "opaque_user_id" or a known "role"',
  role_not_allowed: 'The Extension JWT role is not allowed on this route',
  identity_not_shared: 'The viewer must share their Twitch identity with the extension',
};

/**
 * 401 or 403 from `@TwitchExtensionAuth()`. Body: `{ statusCode, error, message, reason, endpoint }`.
 * The message never contains the token or a secret.
 */
export class TwitchExtensionAuthException extends TwitchException {
  constructor(
    readonly reason: TwitchExtensionAuthFailureReason,
    detail?: string,
  ) {
    const forbidden = reason === 'role_not_allowed' || reason === 'identity_not_shared';
    super(
      forbidden ? HttpStatus.FORBIDDEN : HttpStatus.UNAUTHORIZED,
      detail ? `${MESSAGES[reason]} (${detail})` : MESSAGES[reason],
      { endpoint: 'Extension JWT (Authorization header)' },
      forbidden ? 'TWITCH_EXTENSION_FORBIDDEN' : 'TWITCH_EXTENSION_UNAUTHORIZED',
    );
  }

  override getResponse(): Record<string, unknown> {
    return { ...(super.getResponse() as Record<string, unknown>), reason: this.reason };
  }
}

/**
 * Send Extension PubSub Message was not sent: the channel's slots stay taken longer than
 * `pubsub.maxWaitMs` (Twitch allows `pubsub.limit` messages per `pubsub.windowMs`). 429 with `retryAfter`.
 */
export class TwitchExtensionPubSubLimitException extends TwitchException {
  constructor(
    readonly channel: string,
    /** Seconds until a slot is expected to be free. */
    readonly retryAfter: number,
  ) {
    super(
      HttpStatus.TOO_MANY_REQUESTS,
      `POST /extensions/pubsub (Send Extension PubSub Message): the PubSub limit of channel ${channel} is used up; ` +
        `not sent (retry in ${retryAfter} s)`,
      { endpoint: 'POST /extensions/pubsub (Send Extension PubSub Message)' },
      'TWITCH_EXTENSION_PUBSUB_LIMIT',
    );
  }
}

/** An EBS call cannot be made as configured (no `ownerId`, no secret). Nothing was sent. */
export class TwitchExtensionConfigException extends TwitchException {
  constructor(endpoint: string, message: string) {
    super(HttpStatus.INTERNAL_SERVER_ERROR, `${endpoint}: ${message}`, { endpoint }, 'TWITCH_EXTENSION_CONFIG');
  }
}
