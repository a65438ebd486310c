import { HttpStatus } from '@nestjs/common';
import { TwitchException } from './twitch.exception.js';

/** Which EventSub limit was hit. */
export type TwitchEventSubLimit =
  'connections' | 'subscriptions-per-connection' | 'cost' | 'same-type-and-condition' | 'conduits';

/**
 * An EventSub limit would be (or was) exceeded: WebSocket connections per user token (3), enabled
 * subscriptions per connection (300), `max_total_cost` per user token (10), identical subscriptions
 * (3), or enabled conduits per client (5). Status 429; `limit` says which, `max` the limit.
 */
export class TwitchEventSubLimitException extends TwitchException {
  constructor(
    readonly limit: TwitchEventSubLimit,
    message: string,
    readonly max?: number,
    details: { endpoint?: string; twitchStatus?: number; twitchMessage?: string; cause?: unknown } = {},
  ) {
    super(
      HttpStatus.TOO_MANY_REQUESTS,
      message,
      {
        endpoint: details.endpoint ?? 'EventSub',
        twitchStatus: details.twitchStatus,
        twitchMessage: details.twitchMessage,
        cause: details.cause,
      },
      'TWITCH_EVENTSUB_LIMIT',
    );
  }
}
