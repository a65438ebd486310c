import { HttpException } from '@nestjs/common';

/** Why the login flow refused a request. Nothing is stored (and, for a logout, nothing is ended) in any of these cases. */
export type TwitchLoginFailureReason =
  /** The user pressed "Cancel" on Twitch's consent screen (`error=access_denied`). */
  | 'access_denied'
  /** Twitch redirected back with another `error`. */
  | 'twitch_error'
  /** The callback has no `state`. */
  | 'missing_state'
  /** The `state` was never issued, expired, or was already used (a replay). */
  | 'invalid_state'
  /** The `state` was issued to another browser (it does not match this browser's state cookie). */
  | 'state_mismatch'
  /** The callback has no `code`. */
  | 'missing_code'
  /** Twitch refused the authorization code (used, expired, or for another redirect URI). */
  | 'code_rejected'
  /** `returnTo` is not a relative path on this site. */
  | 'invalid_return_to'
  /** A logout sent by another site (its `Origin` or `Sec-Fetch-Site` says so). Nothing was done. */
  | 'cross_site_request';

/**
 * A 4xx of the login flow (`TwitchLoginModule`): 403 for `access_denied` and `cross_site_request`, 400 otherwise.
 * Body: `{ statusCode, error, message, reason }`. Catch it with an exception filter to show your own page.
 */
export class TwitchLoginException extends HttpException {
  constructor(
    readonly reason: TwitchLoginFailureReason,
    message: string,
  ) {
    const status = reason === 'access_denied' || reason === 'cross_site_request' ? 403 : 400;
    super({ statusCode: status, error: status === 403 ? 'Forbidden' : 'Bad Request', message, reason }, status, {
      errorCode: 'TWITCH_LOGIN_FAILED',
    });
  }
}
