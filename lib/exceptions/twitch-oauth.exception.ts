import { HttpStatus } from '@nestjs/common';
import { TwitchException } from './twitch.exception.js';

/** The device code flow ended without a token: the user denied access, or the code expired. */
export class TwitchDeviceFlowException extends TwitchException {
  constructor(
    readonly reason: 'access_denied' | 'expired_token',
    message: string,
  ) {
    super(
      reason === 'access_denied' ? HttpStatus.FORBIDDEN : HttpStatus.GONE,
      message,
      {
        endpoint: 'POST /oauth2/token (device code)',
        twitchMessage: reason,
      },
      'TWITCH_DEVICE_FLOW',
    );
  }
}

/** The endpoint needs a token the call did not provide (a user token or an Extension JWT). Nothing was sent. */
export class TwitchTokenRequiredException extends TwitchException {
  constructor(endpoint: string, needs: string) {
    super(HttpStatus.UNAUTHORIZED, `${endpoint} needs ${needs}`, { endpoint }, 'TWITCH_TOKEN_REQUIRED');
  }
}

/**
 * The user has no usable tokens: never logged in, logged out, or Twitch refused their refresh token
 * (revoked, password changed, app disconnected). Send them through the login flow again.
 */
export class TwitchLoginRequiredException extends TwitchException {
  constructor(
    readonly userId: string,
    readonly reason: 'no_tokens' | 'refresh_rejected' | 'token_invalid',
    endpoint = 'user tokens',
  ) {
    super(HttpStatus.UNAUTHORIZED, loginRequiredMessage(userId, reason), { endpoint }, 'TWITCH_LOGIN_REQUIRED');
  }
}

function loginRequiredMessage(userId: string, reason: TwitchLoginRequiredException['reason']): string {
  if (reason !== 'no_tokens') return `Twitch user ${userId} must log in again (${reason.replace('_', ' ')})`;
  return (
    `Twitch user ${userId} has no stored tokens: they must log in (TwitchLoginModule, or TwitchUserTokenService.save()); ` +
    'to call as a user authenticated by a bearer token, pass { user } from @TwitchUser()'
  );
}

/**
 * 403: Twitch refused the call because the user's token lacks a scope (Twitch answers 401 `Missing scope`).
 * The user is known but not allowed this action until they grant the scope. `requiredScopes` lists what the endpoint needs.
 */
export class TwitchMissingScopeException extends TwitchException {
  constructor(
    message: string,
    details: ConstructorParameters<typeof TwitchException>[2],
    /** Alternatives from the endpoint catalog: any one inner list (all of its scopes) is enough. */
    readonly requiredScopes: readonly (readonly string[])[],
  ) {
    super(HttpStatus.FORBIDDEN, message, details, 'TWITCH_MISSING_SCOPE');
  }
}
