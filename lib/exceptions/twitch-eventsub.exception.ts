import { HttpStatus } from '@nestjs/common';
import { TwitchException } from './twitch.exception.js';

/** Why a webhook request was refused. */
export type TwitchEventSubWebhookRejection =
  | 'missing_headers'
  | 'invalid_signature'
  | 'stale_message'
  | 'invalid_body'
  | 'unknown_message_type'
  | 'missing_raw_body'
  | 'body_too_large';

/**
 * A webhook request the receiver refused (nothing was claimed, no handler ran). The body is
 * `{ statusCode, error, message, endpoint, reason }`; the message never repeats the signature or secret.
 */
export class TwitchEventSubWebhookException extends TwitchException {
  readonly reason: TwitchEventSubWebhookRejection;
  constructor(status: number, reason: TwitchEventSubWebhookRejection, message: string, endpoint: string) {
    super(status, message, { endpoint }, 'TWITCH_EVENTSUB_WEBHOOK_REJECTED');
    this.reason = reason;
    const body = this.getResponse() as Record<string, unknown>;
    body.reason = reason;
  }
}

/**
 * Twitch refused a subscription because the user named in its condition has not granted the app the
 * scopes the type needs (Twitch answers 403). `scopes`: any one inner list, all of its scopes.
 */
export class TwitchEventSubMissingAuthorizationException extends TwitchException {
  readonly type: string;
  readonly version: string;
  readonly condition: Record<string, unknown>;
  readonly scopes: readonly (readonly string[])[];
  /** A consent URL asking for the first scope set, when the module can build one (`redirectUri` is set). */
  readonly authorizationUrl?: string;
  constructor(
    info: { type: string; version: string; condition: Record<string, unknown>; scopes: readonly (readonly string[])[] },
    authorizationUrl: string | undefined,
    cause: unknown,
  ) {
    const needed = info.scopes.length ? info.scopes.map((s) => s.join(' + ')).join(' or ') : 'an authorization';
    super(
      HttpStatus.FORBIDDEN,
      `EventSub ${info.type} v${info.version} ${JSON.stringify(info.condition)}: the user in the condition has not granted ` +
        `${needed}; have them log in${authorizationUrl ? ` at ${authorizationUrl}` : ' with those scopes'}`,
      { endpoint: 'POST /eventsub/subscriptions (Create EventSub Subscription)', twitchStatus: 403, cause },
      'TWITCH_EVENTSUB_MISSING_AUTHORIZATION',
    );
    this.type = info.type;
    this.version = info.version;
    this.condition = info.condition;
    this.scopes = info.scopes;
    this.authorizationUrl = authorizationUrl;
  }
}

/** Creating the subscription would exceed Twitch's `max_total_cost`. */
export class TwitchEventSubCostExceededException extends TwitchException {
  readonly totalCost: number;
  readonly maxTotalCost: number;
  constructor(type: string, version: string, totalCost: number, maxTotalCost: number, cause?: unknown) {
    super(
      HttpStatus.TOO_MANY_REQUESTS,
      `EventSub ${type} v${version}: subscription cost limit reached (total_cost ${totalCost} of max_total_cost ${maxTotalCost}); ` +
        'delete subscriptions you do not need, or have the users in the conditions authorize the app (their subscriptions cost 0)',
      { endpoint: 'POST /eventsub/subscriptions (Create EventSub Subscription)', cause },
      'TWITCH_EVENTSUB_COST_EXCEEDED',
    );
    this.totalCost = totalCost;
    this.maxTotalCost = maxTotalCost;
  }
}

/** A misused EventSub decorator or option, reported at bootstrap; the message names the option or handler. */
export class TwitchEventSubConfigError extends Error {
  constructor(message: string) {
    super(`TwitchEventSubModule: ${message}`);
    this.name = 'TwitchEventSubConfigError';
  }
}
