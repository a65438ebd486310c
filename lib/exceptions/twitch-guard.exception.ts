import { ForbiddenException, UnauthorizedException } from '@nestjs/common';

/** Why `TwitchAuthGuard` answered 401. */
export type TwitchAuthFailureReason =
  /** Neither an `Authorization: Bearer` header nor a session cookie. */
  | 'no_credentials'
  /** An `Authorization` header that is not `Bearer <token>`. */
  | 'malformed_authorization'
  /** Twitch says the bearer token is invalid, expired or revoked. */
  | 'invalid_token'
  /** The bearer token is an app access token, not a user access token. */
  | 'not_user_token'
  /** The bearer token was issued to another application (client ID). */
  | 'foreign_client'
  /** The session cookie names no live session (expired, logged out, or made up). */
  | 'session_expired'
  /** The session's user has no usable tokens any more (logged out elsewhere, or Twitch refused the refresh). */
  | 'login_required';

/**
 * 401 from `TwitchAuthGuard`. Body: `{ statusCode: 401, error: 'Unauthorized', message, reason }`.
 * Catch it with an exception filter to redirect browsers to the login page.
 */
export class TwitchAuthRequiredException extends UnauthorizedException {
  constructor(
    readonly reason: TwitchAuthFailureReason,
    message: string,
  ) {
    super({ statusCode: 401, error: 'Unauthorized', message, reason }, { errorCode: 'TWITCH_AUTH_REQUIRED' });
  }
}

/**
 * 403 from `TwitchAuthGuard`: the user is authenticated but their token lacks scopes the route needs.
 * Body: `{ statusCode: 403, error: 'Forbidden', message, missingScopes }`.
 */
export class TwitchInsufficientScopeException extends ForbiddenException {
  constructor(readonly missingScopes: readonly string[]) {
    super(
      {
        statusCode: 403,
        error: 'Forbidden',
        message: `The Twitch token lacks the scope${missingScopes.length > 1 ? 's' : ''} ${missingScopes.join(', ')} (log in again granting ${missingScopes.length > 1 ? 'them' : 'it'})`,
        missingScopes: [...missingScopes],
      },
      { errorCode: 'TWITCH_INSUFFICIENT_SCOPE' },
    );
  }
}
