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

/** Reads `Ratelimit-*` headers; undefined fields when absent. */
export function readRateLimitHeaders(headers: Record<string, unknown> | undefined): TwitchRateLimitState | undefined {
  if (!headers) return undefined;
  const limit = num(headers['ratelimit-limit']);
  const remaining = num(headers['ratelimit-remaining']);
  const reset = num(headers['ratelimit-reset']);
  if (limit === undefined && remaining === undefined && reset === undefined) return undefined;
  return { limit, remaining, reset: reset !== undefined ? new Date(reset * 1000) : undefined };
}

function num(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(Array.isArray(v) ? v[0] : v);
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
