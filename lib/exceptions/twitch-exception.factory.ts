import { parseJson } from '../utils/json.js';
import { TwitchValidationException } from './twitch-validation.exception.js';
import {
  TwitchLoginRequiredException,
  TwitchMissingScopeException,
  TwitchTokenRequiredException,
} from './twitch-oauth.exception.js';
import {
  TwitchAppCredentialsException,
  TwitchBadGatewayException,
  TwitchBadRequestException,
  TwitchConflictException,
  TwitchException,
  type TwitchErrorBody,
  type TwitchExceptionDetails,
  TwitchForbiddenException,
  TwitchGatewayTimeoutException,
  TwitchInvalidResponseException,
  TwitchNotFoundException,
  type TwitchRateLimitState,
  TwitchRateLimitException,
  TwitchServiceUnavailableException,
  TwitchTooEarlyException,
  TwitchUnauthorizedException,
  TwitchUnprocessableEntityException,
} from './twitch.exception.js';
import { TWITCH_RATE_LIMIT_BOUNDS } from '../rate-limit/twitch-rate-limit.store.js';

/** Longest part of Twitch's `message` kept on an exception (characters). */
export const TWITCH_MESSAGE_MAX_LENGTH = 500;
/** Longest part of Twitch's `error` kept on an exception (characters). */
const TWITCH_ERROR_MAX_LENGTH = 100;

/** One row of {@link TWITCH_ERROR_MAPPING}. */
export interface TwitchErrorMapping {
  /** What Twitch answered (or failed to answer). */
  readonly twitch: string;
  /** The status your app's own client gets (Nest's exception filter answers with it). */
  readonly status: number;
  /** The exception raised; every one extends `TwitchException` or, for params, Nest's `BadRequestException`. */
  readonly exception: abstract new (...args: never[]) => Error;
  /** Why this status. */
  readonly why: string;
}

/**
 * What a Nest app's client sees for each Twitch outcome: the one table the module's errors follow
 * (the README's "Errors" section shows it). Twitch's own status and message always stay on the
 * exception (`twitchStatus`, `twitchMessage`).
 */
export const TWITCH_ERROR_MAPPING = {
  invalidParams: {
    twitch: 'nothing: params refused before sending',
    status: 400,
    exception: TwitchValidationException,
    why: "the caller's input is wrong",
  },
  badRequest: {
    twitch: '400 (Helix or OAuth)',
    status: 400,
    exception: TwitchBadRequestException,
    why: "a Helix 400 names a parameter Twitch did not accept: the caller's input",
  },
  appCredentialsRefused: {
    twitch:
      'OAuth `/token` 400/401/403 for client credentials, `invalid client` for any grant, ' +
      'Helix 401 for the app token after a renewal',
    status: 500,
    exception: TwitchAppCredentialsException,
    why: "the server is misconfigured (client ID or secret); the app's client can do nothing about it, and Twitch is not down",
  },
  tokenRequired: {
    twitch: 'nothing: the endpoint needs a user token or Extension JWT the call did not give',
    status: 401,
    exception: TwitchTokenRequiredException,
    why: 'the caller must authenticate',
  },
  callerTokenRefused: {
    twitch: '401 for a token the caller gave (`accessToken`), or `/validate` 401',
    status: 401,
    exception: TwitchUnauthorizedException,
    why: "the caller's credential is invalid, expired or revoked",
  },
  loginRequired: {
    twitch: '401 for a stored user token that cannot be refreshed',
    status: 401,
    exception: TwitchLoginRequiredException,
    why: 'the user must log in again',
  },
  missingScope: {
    twitch: '401 `Missing scope`',
    status: 403,
    exception: TwitchMissingScopeException,
    why: 'the user is known but has not granted the scope',
  },
  forbidden: { twitch: '403', status: 403, exception: TwitchForbiddenException, why: 'the user may not do this' },
  notFound: { twitch: '404', status: 404, exception: TwitchNotFoundException, why: 'what was asked for does not exist' },
  conflict: {
    twitch: '409',
    status: 409,
    exception: TwitchConflictException,
    why: 'the action conflicts with the current state',
  },
  unprocessable: { twitch: '422', status: 422, exception: TwitchUnprocessableEntityException, why: 'Twitch refused the values' },
  tooEarly: { twitch: '425', status: 425, exception: TwitchTooEarlyException, why: 'Twitch asks to try later' },
  rateLimited: {
    twitch: '429, or the limiter would wait longer than `rateLimit.maxWaitMs`',
    status: 429,
    exception: TwitchRateLimitException,
    why: '`retryAfter` (s, also in the body) says when to try again',
  },
  otherClientError: { twitch: 'any other 4xx', status: 0, exception: TwitchException, why: "Twitch's status, as it is" },
  serverError: { twitch: '500, 502 and other 5xx', status: 502, exception: TwitchBadGatewayException, why: 'Twitch failed' },
  unavailable: { twitch: '503', status: 503, exception: TwitchServiceUnavailableException, why: 'Twitch is unavailable' },
  gatewayTimeout: { twitch: '504', status: 504, exception: TwitchGatewayTimeoutException, why: 'Twitch timed out' },
  invalidResponse: {
    twitch: '2xx that is not what the endpoint documents (not JSON, no `data`, too deep, over `maxResponseBytes`, bad encoding)',
    status: 502,
    exception: TwitchInvalidResponseException,
    why: 'the upstream answer is unusable; never cached',
  },
  timeout: {
    twitch: 'no answer within `timeout`',
    status: 504,
    exception: TwitchGatewayTimeoutException,
    why: 'Twitch did not answer in time',
  },
  unreachable: {
    twitch: 'no connection (refused, reset, no connect within `connectTimeout`)',
    status: 503,
    exception: TwitchServiceUnavailableException,
    why: 'Twitch could not be reached',
  },
} as const satisfies Record<string, TwitchErrorMapping>;

/** The outcomes {@link TWITCH_ERROR_MAPPING} lists. */
export type TwitchErrorOutcome = keyof typeof TWITCH_ERROR_MAPPING;

/** What the factory needs to know about a failed call. */
export interface TwitchFailure {
  /** `GET /streams (Get Streams)`. */
  endpoint: string;
  /** Twitch's HTTP status, when an answer came. */
  status?: number;
  /** Twitch's parsed body, when an answer came. */
  body?: unknown;
  /** Lower-cased response headers, when an answer came. */
  headers?: Record<string, unknown>;
  /** The request timed out. */
  timedOut?: boolean;
  /**
   * Whose credential the request carried: the managed app token (`app`), a stored user token
   * (`user`), a token the caller gave (`caller`), or the client ID and secret (`client`: OAuth
   * `/token` with client credentials).
   */
  credential?: 'app' | 'user' | 'caller' | 'client';
  /** A 2xx answer that is not what the endpoint documents: what is wrong with it. */
  invalidResponse?: string;
  /** The original error. */
  cause?: unknown;
}

/**
 * Reads `Ratelimit-*` headers; undefined fields when absent or not numbers. What Twitch reports is clamped to
 * sane ranges: `limit` to 1 … 100000 points, `remaining` to 0 … `limit`, `reset` (epoch seconds) to now … now + 5 min.
 * When the answer's `Date` is more than 5 s away from this machine's clock, `reset` is read on Twitch's clock
 * (relative to `Date`) and returned on this machine's.
 */
export function readRateLimitHeaders(
  headers: Record<string, unknown> | undefined,
  now: number = Date.now(),
): TwitchRateLimitState | undefined {
  if (!headers) return undefined;
  const rawLimit = num(headers['ratelimit-limit']);
  const rawRemaining = num(headers['ratelimit-remaining']);
  const rawReset = num(headers['ratelimit-reset']);
  if (rawLimit === undefined && rawRemaining === undefined && rawReset === undefined) return undefined;
  const { maxLimit, maxResetMs } = TWITCH_RATE_LIMIT_BOUNDS;
  const limit = rawLimit === undefined ? undefined : clamp(Math.floor(rawLimit), 1, maxLimit);
  const remaining = rawRemaining === undefined ? undefined : clamp(Math.floor(rawRemaining), 0, limit ?? maxLimit);
  let reset: Date | undefined;
  if (rawReset !== undefined) {
    const served = Date.parse(String(first(headers['date']) ?? ''));
    const skew = Number.isFinite(served) && Math.abs(now - served) > SKEW_TOLERANCE_MS ? now - served : 0;
    reset = new Date(clamp(rawReset * 1000 + skew, now, now + maxResetMs));
  }
  return { limit, remaining, reset };
}

/** Clock difference with Twitch below which its `Date` header (whole seconds) is not worth using. */
const SKEW_TOLERANCE_MS = 5_000;

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}

function num(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(first(v));
  return Number.isFinite(n) ? n : undefined;
}

/** An ID as Twitch writes them (digits, letters, hyphens; subscription IDs are UUIDs); anything else is ignored. */
const TWITCH_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * The ID of the existing resource a 409 names: `id` at the top of the error body, or `data[0].id` (Create EventSub
 * Subscription answers the subscription that already exists).
 */
function conflictingId(body: Record<string, unknown>): string | undefined {
  const data = Array.isArray(body.data) ? (body.data[0] as Record<string, unknown> | undefined) : undefined;
  for (const id of [body.id, data && typeof data === 'object' ? data.id : undefined]) {
    if (typeof id === 'string' && TWITCH_ID.test(id)) return id;
  }
  return undefined;
}

function errorBody(body: unknown): TwitchErrorBody {
  if (body && typeof body === 'object') return body as TwitchErrorBody;
  if (typeof body === 'string' && body.length <= 65_536) {
    const parsed = parseJson(body);
    if (parsed && typeof parsed === 'object') return parsed as TwitchErrorBody;
  }
  return {};
}

/** A string field of Twitch's answer, at most `max` characters (an ellipsis marks a cut). */
function capped(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

const INVALID_CLIENT = /^invalid client( secret)?$/i;

/** Which row of {@link TWITCH_ERROR_MAPPING} a failure from Twitch is (rows raised elsewhere are never returned). */
export function classifyTwitchFailure(failure: TwitchFailure, twitchMessage?: string): TwitchErrorOutcome {
  const { status } = failure;
  if (status === undefined) return failure.timedOut ? 'timeout' : 'unreachable';
  if (failure.invalidResponse !== undefined && status >= 200 && status < 300) return 'invalidResponse';
  if (status >= 400 && status < 500) {
    if (failure.credential === 'client' && status <= 403) return 'appCredentialsRefused';
    if (twitchMessage && INVALID_CLIENT.test(twitchMessage.trim())) return 'appCredentialsRefused';
    if (status === 401) return failure.credential === 'app' ? 'appCredentialsRefused' : 'callerTokenRefused';
  }
  switch (status) {
    case 400:
      return 'badRequest';
    case 403:
      return 'forbidden';
    case 404:
      return 'notFound';
    case 409:
      return 'conflict';
    case 422:
      return 'unprocessable';
    case 425:
      return 'tooEarly';
    case 429:
      return 'rateLimited';
    case 503:
      return 'unavailable';
    case 504:
      return 'gatewayTimeout';
  }
  return status >= 500 || status < 400 ? 'serverError' : 'otherClientError';
}

/**
 * The one place where a failed Twitch call becomes an exception, following {@link TWITCH_ERROR_MAPPING}.
 * Messages name the endpoint and (at most {@link TWITCH_MESSAGE_MAX_LENGTH} characters of) Twitch's
 * own message; they never include request headers, so no token or secret can leak.
 */
export function createTwitchException(failure: TwitchFailure): TwitchException {
  const { endpoint, status, cause } = failure;
  if (status === undefined) {
    if (failure.timedOut) {
      return new TwitchGatewayTimeoutException(`${endpoint}: Twitch did not answer in time`, { endpoint, cause });
    }
    const code = (cause as { code?: string } | undefined)?.code;
    return new TwitchServiceUnavailableException(`${endpoint}: Twitch could not be reached${code ? ` (${code})` : ''}`, {
      endpoint,
      cause,
    });
  }
  const body = failure.invalidResponse === undefined ? errorBody(failure.body) : {};
  const rateLimit = readRateLimitHeaders(failure.headers);
  const twitchMessage = capped(body.message, TWITCH_MESSAGE_MAX_LENGTH);
  const twitchError = capped(body.error, TWITCH_ERROR_MAX_LENGTH);
  const details: TwitchExceptionDetails = { endpoint, twitchStatus: status, twitchError, twitchMessage, rateLimit, cause };
  const text = `${endpoint}: Twitch answered ${status}${twitchMessage ? `: ${twitchMessage}` : ''}`;

  const outcome = classifyTwitchFailure(failure, twitchMessage);
  switch (outcome) {
    case 'invalidResponse':
      return new TwitchInvalidResponseException(
        `${endpoint}: Twitch answered ${status} with an invalid body (${failure.invalidResponse})`,
        details,
        failure.invalidResponse as string,
      );
    case 'appCredentialsRefused':
      return new TwitchAppCredentialsException(
        `${endpoint}: Twitch refused the application's credentials (${status}${twitchMessage ? `: ${twitchMessage}` : ''}); ` +
          'check clientId and clientSecret',
        details,
      );
    case 'rateLimited': {
      const resetMs = rateLimit?.reset ? rateLimit.reset.getTime() - Date.now() : 0;
      return new TwitchRateLimitException(text, details, Math.max(0, Math.ceil(resetMs / 1000)));
    }
    case 'otherClientError':
      return new TwitchException(status, text, details);
    case 'conflict':
      return new TwitchConflictException(text, details, conflictingId(body as Record<string, unknown>));
    case 'badRequest':
    case 'callerTokenRefused':
    case 'forbidden':
    case 'notFound':
    case 'unprocessable':
    case 'tooEarly':
    case 'serverError':
    case 'unavailable':
    case 'gatewayTimeout':
      return new TWITCH_ERROR_MAPPING[outcome].exception(text, details);
    default:
      return new TwitchBadGatewayException(text, details);
  }
}
