import {
  TwitchBadGatewayException,
  TwitchBadRequestException,
  TwitchConflictException,
  TwitchException,
  type TwitchErrorBody,
  type TwitchExceptionDetails,
  TwitchForbiddenException,
  TwitchGatewayTimeoutException,
  TwitchNotFoundException,
  type TwitchRateLimitState,
  TwitchRateLimitException,
  TwitchServiceUnavailableException,
  TwitchTooEarlyException,
  TwitchUnauthorizedException,
  TwitchUnprocessableEntityException,
} from './twitch.exception.js';
import { TWITCH_RATE_LIMIT_BOUNDS } from '../rate-limit/twitch-rate-limit.store.js';

type Ctor = new (message: string, details: TwitchExceptionDetails) => TwitchException;

const BY_STATUS: Record<number, Ctor> = {
  400: TwitchBadRequestException,
  401: TwitchUnauthorizedException,
  403: TwitchForbiddenException,
  404: TwitchNotFoundException,
  409: TwitchConflictException,
  422: TwitchUnprocessableEntityException,
  425: TwitchTooEarlyException,
};

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

function errorBody(body: unknown): TwitchErrorBody {
  if (body && typeof body === 'object') return body as TwitchErrorBody;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body);
      if (parsed && typeof parsed === 'object') return parsed as TwitchErrorBody;
    } catch {
      /* not JSON */
    }
  }
  return {};
}

/**
 * The one place where a failed Twitch call becomes an exception. Messages name the endpoint and
 * Twitch's own message; they never include request headers, so no token or secret can leak.
 */
export function createTwitchException(failure: TwitchFailure): TwitchException {
  const { endpoint, status, cause } = failure;
  if (status === undefined) {
    if (failure.timedOut) {
      return new TwitchGatewayTimeoutException(`${endpoint}: Twitch did not answer in time`, { endpoint, cause });
    }
    const code = (cause as { code?: string } | undefined)?.code;
    return new TwitchServiceUnavailableException(
      `${endpoint}: Twitch could not be reached${code ? ` (${code})` : ''}`,
      { endpoint, cause },
    );
  }
  const body = errorBody(failure.body);
  const rateLimit = readRateLimitHeaders(failure.headers);
  const twitchMessage = typeof body.message === 'string' ? body.message : undefined;
  const twitchError = typeof body.error === 'string' ? body.error : undefined;
  const details: TwitchExceptionDetails = { endpoint, twitchStatus: status, twitchError, twitchMessage, rateLimit, cause };
  const text = `${endpoint}: Twitch answered ${status}${twitchMessage ? `: ${twitchMessage}` : ''}`;

  if (status === 429) {
    const resetMs = rateLimit?.reset ? rateLimit.reset.getTime() - Date.now() : 0;
    return new TwitchRateLimitException(text, details, Math.max(0, Math.ceil(resetMs / 1000)));
  }
  const ctor = BY_STATUS[status];
  if (ctor) return new ctor(text, details);
  if (status === 503) return new TwitchServiceUnavailableException(text, details);
  if (status === 504) return new TwitchGatewayTimeoutException(text, details);
  if (status >= 500) return new TwitchBadGatewayException(text, details);
  // Any other 4xx keeps its status.
  return new TwitchException(status, text, details);
}
