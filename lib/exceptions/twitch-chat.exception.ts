import { HttpStatus } from '@nestjs/common';
import { TwitchException } from './twitch.exception.js';

/** Twitch's reason for not delivering a message (`drop_reason` of Send Chat Message). */
export interface TwitchChatDropReason {
  code: string;
  message: string;
}

/**
 * Send Chat Message answered `200` with `is_sent: false`: Twitch took the request but did not deliver the
 * message (AutoMod, a duplicate, the channel's settings, …). 422 with `dropReason`.
 */
export class TwitchChatMessageDroppedException extends TwitchException {
  constructor(
    readonly channel: string,
    readonly dropReason: TwitchChatDropReason,
  ) {
    super(
      HttpStatus.UNPROCESSABLE_ENTITY,
      `POST /chat/messages (Send Chat Message): Twitch did not send the message to channel ${channel}: ` +
        `${dropReason.code}${dropReason.message ? ` (${dropReason.message})` : ''}`,
      { endpoint: 'POST /chat/messages (Send Chat Message)', twitchStatus: 200 },
      'TWITCH_CHAT_MESSAGE_DROPPED',
    );
  }

  override getResponse(): Record<string, unknown> {
    return { ...(super.getResponse() as Record<string, unknown>), dropReason: { ...this.dropReason } };
  }
}

/** A chat limit is used up for longer than `limits.maxWaitMs` (or, for whisper recipients, for the day). Nothing was sent. */
export class TwitchChatRateLimitException extends TwitchException {
  constructor(
    endpoint: string,
    /** Which limit: `messages`, `verified`, `announcements`, `shoutoutsPerChannel`, `shoutoutsPerTarget`, `whispers…`. */
    readonly limit: string,
    /** Seconds until there is room. */
    readonly retryAfter: number,
  ) {
    super(
      HttpStatus.TOO_MANY_REQUESTS,
      `${endpoint}: the chat limit "${limit}" is used up; not sent (retry in ${retryAfter} s)`,
      { endpoint },
      'TWITCH_CHAT_RATE_LIMIT',
      { retryAfter },
    );
  }
}

/** The bot cannot send as configured: no token, or a token without the scopes Twitch asks for. Names the scopes. */
export class TwitchChatAuthorizationException extends TwitchException {
  constructor(
    endpoint: string,
    /** Scopes Twitch needs for this call (`a + b` = all of them). */
    readonly requiredScopes: string[],
    detail: string,
    cause?: unknown,
  ) {
    super(
      HttpStatus.INTERNAL_SERVER_ERROR,
      `${endpoint}: ${detail}; needed: ${requiredScopes.join(' + ')}`,
      {
        endpoint,
        cause,
        ...(cause instanceof TwitchException ? { twitchStatus: cause.twitchStatus, twitchMessage: cause.twitchMessage } : {}),
      },
      'TWITCH_CHAT_UNAUTHORIZED',
    );
  }

  override getResponse(): Record<string, unknown> {
    return { ...(super.getResponse() as Record<string, unknown>), requiredScopes: [...this.requiredScopes] };
  }
}
