import { HttpStatus } from '@nestjs/common';
import { TwitchException } from './twitch.exception.js';

/** The device code flow ended without a token: the user denied access, or the code expired. */
export class TwitchDeviceFlowException extends TwitchException {
  constructor(
    readonly reason: 'access_denied' | 'expired_token',
    message: string,
  ) {
    super(reason === 'access_denied' ? HttpStatus.FORBIDDEN : HttpStatus.GONE, message, {
      endpoint: 'POST /oauth2/token (device code)',
      twitchMessage: reason,
    }, 'TWITCH_DEVICE_FLOW');
  }
}

/** The endpoint needs a token the call did not provide (a user token or an Extension JWT). Nothing was sent. */
export class TwitchTokenRequiredException extends TwitchException {
  constructor(endpoint: string, needs: string) {
    super(HttpStatus.UNAUTHORIZED, `${endpoint} needs ${needs}`, { endpoint }, 'TWITCH_TOKEN_REQUIRED');
  }
}
