import { HttpException, HttpStatus } from '@nestjs/common';

/** Twitch's error body: `{"error":"Bad Request","status":400,"message":"..."}`. */
export interface TwitchErrorBody {
  error?: string;
  status?: number;
  message?: string;
}

/** The rate-limit headers of the response that failed, when it had them. */
export interface TwitchRateLimitState {
  /** `Ratelimit-Limit`: size of the bucket. */
  limit?: number;
  /** `Ratelimit-Remaining`: points left. */
  remaining?: number;
  /** `Ratelimit-Reset`: when the bucket is full again. */
  reset?: Date;
}

export interface TwitchExceptionDetails {
  /** What was called, e.g. `GET /streams (Get Streams)`. Never contains a token. */
  endpoint: string;
  /** Status Twitch answered with; absent when no answer came (network failure, timeout). */
  twitchStatus?: number;
  /** Twitch's `error` field. */
  twitchError?: string;
  /** Twitch's `message` field. */
  twitchMessage?: string;
  rateLimit?: TwitchRateLimitState;
  cause?: unknown;
}

/**
 * Base of every error raised by a call to Twitch. Its status is the one to give your own client
 * (see `TWITCH_ERROR_MAPPING`): Twitch's 4xx as they are where the caller's input caused them, 500
 * when Twitch refused the app's own credentials, 502/503/504 for Twitch's 5xx, invalid answers,
 * timeouts and network failures. Twitch's own status and message stay on `twitchStatus` and
 * `twitchMessage`. The response body is `{ statusCode, error, message, endpoint, twitchStatus }`.
 */
export class TwitchException extends HttpException {
  readonly endpoint: string;
  readonly twitchStatus?: number;
  readonly twitchError?: string;
  readonly twitchMessage?: string;
  readonly rateLimit?: TwitchRateLimitState;

  /**
   * @param extra more fields of the response body (`retryAfter` of a 429).
   */
  constructor(
    status: number,
    message: string,
    details: TwitchExceptionDetails,
    errorCode = 'TWITCH_ERROR',
    extra?: Record<string, unknown>,
  ) {
    super(
      {
        statusCode: status,
        // Twitch's reason phrase only where the status is Twitch's own.
        error: (details.twitchStatus === status && details.twitchError) || reasonPhrase(status),
        message,
        endpoint: details.endpoint,
        ...(details.twitchStatus !== undefined ? { twitchStatus: details.twitchStatus } : {}),
        ...extra,
      },
      status,
      { cause: details.cause, errorCode },
    );
    this.endpoint = details.endpoint;
    this.twitchStatus = details.twitchStatus;
    this.twitchError = details.twitchError;
    this.twitchMessage = details.twitchMessage;
    this.rateLimit = details.rateLimit;
  }
}

/** 400 from Twitch: a parameter Twitch did not accept. */
export class TwitchBadRequestException extends TwitchException {
  constructor(message: string, details: TwitchExceptionDetails) {
    super(HttpStatus.BAD_REQUEST, message, details, 'TWITCH_BAD_REQUEST');
  }
}
/**
 * 401 from Twitch for a token the caller gave (`accessToken`, or one checked with `validateToken`):
 * missing, expired or revoked.
 */
export class TwitchUnauthorizedException extends TwitchException {
  constructor(message: string, details: TwitchExceptionDetails) {
    super(HttpStatus.UNAUTHORIZED, message, details, 'TWITCH_UNAUTHORIZED');
  }
}
/** 403 from Twitch. */
export class TwitchForbiddenException extends TwitchException {
  constructor(message: string, details: TwitchExceptionDetails) {
    super(HttpStatus.FORBIDDEN, message, details, 'TWITCH_FORBIDDEN');
  }
}
/** 404 from Twitch. */
export class TwitchNotFoundException extends TwitchException {
  constructor(message: string, details: TwitchExceptionDetails) {
    super(HttpStatus.NOT_FOUND, message, details, 'TWITCH_NOT_FOUND');
  }
}
/**
 * 409 from Twitch. `existingId` is the ID of what already exists when Twitch's answer names it (Create EventSub
 * Subscription: the subscription with the same type and condition), undefined otherwise.
 */
export class TwitchConflictException extends TwitchException {
  readonly existingId?: string;

  constructor(message: string, details: TwitchExceptionDetails, existingId?: string) {
    super(HttpStatus.CONFLICT, message, details, 'TWITCH_CONFLICT');
    if (existingId !== undefined) this.existingId = existingId;
  }
}
/** 422 from Twitch. */
export class TwitchUnprocessableEntityException extends TwitchException {
  constructor(message: string, details: TwitchExceptionDetails) {
    super(HttpStatus.UNPROCESSABLE_ENTITY, message, details, 'TWITCH_UNPROCESSABLE_ENTITY');
  }
}
/** 425 from Twitch (Too Early). */
export class TwitchTooEarlyException extends TwitchException {
  constructor(message: string, details: TwitchExceptionDetails) {
    super(425, message, details, 'TWITCH_TOO_EARLY');
  }
}
/**
 * 429: the rate limit. `retryAfter` (seconds) says when to try again: from `Ratelimit-Reset` for the
 * general bucket, or from an endpoint's own answer where it gives one.
 */
export class TwitchRateLimitException extends TwitchException {
  /** Seconds until the request may be tried again (0 when unknown). */
  readonly retryAfter: number;
  constructor(message: string, details: TwitchExceptionDetails, retryAfter: number) {
    super(HttpStatus.TOO_MANY_REQUESTS, message, details, 'TWITCH_RATE_LIMIT', { retryAfter });
    this.retryAfter = retryAfter;
  }
}
/** 502: Twitch answered with a server error. */
export class TwitchBadGatewayException extends TwitchException {
  constructor(message: string, details: TwitchExceptionDetails, errorCode = 'TWITCH_BAD_GATEWAY') {
    super(HttpStatus.BAD_GATEWAY, message, details, errorCode);
  }
}
/**
 * 502: Twitch (or something in between, such as a proxy's maintenance page) answered with a success
 * status but not with what the endpoint documents: not JSON, JSON without `data`, nested too deep,
 * larger than `maxResponseBytes`, or a body that cannot be decompressed. Such an answer is never cached.
 */
export class TwitchInvalidResponseException extends TwitchBadGatewayException {
  constructor(
    message: string,
    details: TwitchExceptionDetails,
    /** What was wrong with the answer, e.g. `the body is not JSON`. */
    readonly reason: string,
  ) {
    super(message, details, 'TWITCH_INVALID_RESPONSE');
  }
}
/**
 * 500: Twitch refused the application's own credentials: the client secret or client ID (OAuth
 * `/token` with client credentials, or an `invalid client` answer to any grant), or the app access
 * token even after it was renewed. Nothing the app's client sent is at fault and retrying will not
 * help: the server is misconfigured (check `clientId` and `clientSecret`).
 */
export class TwitchAppCredentialsException extends TwitchException {
  constructor(message: string, details: TwitchExceptionDetails) {
    super(HttpStatus.INTERNAL_SERVER_ERROR, message, details, 'TWITCH_APP_CREDENTIALS_REFUSED');
  }
}
/** 503: Twitch said it is unavailable, or could not be reached at all. */
export class TwitchServiceUnavailableException extends TwitchException {
  constructor(message: string, details: TwitchExceptionDetails) {
    super(HttpStatus.SERVICE_UNAVAILABLE, message, details, 'TWITCH_SERVICE_UNAVAILABLE');
  }
}
/** 504: Twitch did not answer in time. */
export class TwitchGatewayTimeoutException extends TwitchException {
  constructor(message: string, details: TwitchExceptionDetails) {
    super(HttpStatus.GATEWAY_TIMEOUT, message, details, 'TWITCH_GATEWAY_TIMEOUT');
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  425: 'Too Early',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? `HTTP ${status}`;
}
