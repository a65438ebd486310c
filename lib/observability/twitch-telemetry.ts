import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import type { TwitchResolvedOptions } from '../twitch-options.js';
import {
  loadOpenTelemetry,
  OTEL_SPAN_KIND,
  OTEL_STATUS,
  type TwitchOtelApi,
  type TwitchOtelAttributes,
  type TwitchOtelCounter,
  type TwitchOtelHistogram,
  type TwitchOtelSpan,
  type TwitchOtelTracer,
} from './twitch-otel.js';

/** Instrumentation scope of every metric and span the module records. */
export const TWITCH_TELEMETRY_SCOPE = 'nestjs-twitch';

/** How a cacheable GET was answered: local tier, shared tier, or neither (a miss, then Twitch). */
export type TwitchCacheResult = 'local_hit' | 'hit' | 'miss';

/** What the pipeline tells the telemetry about one Helix or OAuth call (kept on its call context). */
export interface TwitchCallObservation {
  readonly kind: 'helix' | 'oauth';
  /** Helix or OAuth path, without query: `/streams`. */
  readonly path: string;
  readonly method: string;
  /** performance.now() at the call's start. */
  startedAt: number;
  /** The call's span (recorded only with an SDK). */
  span?: TwitchOtelSpan;
  cacheResult?: TwitchCacheResult;
  /** `Ratelimit-Remaining` of the last answer. */
  remaining?: number;
  /** Status of the last answer. */
  status?: number;
  /** performance.now() and Date.now() when the current attempt was handed to the HTTP client. */
  sentAt?: number;
  sentAtEpoch?: number;
}

/** The last `Ratelimit-*` headers seen, for the health indicator. */
export interface TwitchRateLimitSnapshot {
  limit: number;
  remaining: number;
  /** When Twitch said the bucket is full again. */
  reset?: Date;
  /** When the answer was seen. */
  seenAt: Date;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const LAG_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600];

/**
 * The module's metrics and traces through `@opentelemetry/api` (created once per module). Without an
 * SDK registered (or without the package installed) every instrument is the API's no-op and nothing
 * is recorded. Names, units and attributes are listed in the README ("Observability"). No attribute
 * ever holds a token, a secret or a query string.
 */
@Injectable()
export class TwitchTelemetry {
  private readonly logger = new Logger('TwitchHttp');
  private readonly api: TwitchOtelApi | null;
  private readonly tracer?: TwitchOtelTracer;
  private readonly debug: boolean;
  private readonly helixServer: Server;
  private readonly authServer: Server;

  private readonly httpDuration?: TwitchOtelHistogram;
  private readonly calls?: TwitchOtelCounter;
  private readonly callDuration?: TwitchOtelHistogram;
  private readonly rateLimitWait?: TwitchOtelHistogram;
  private readonly throttled?: TwitchOtelCounter;
  private readonly cacheLookups?: TwitchOtelCounter;
  private readonly tokens?: TwitchOtelCounter;
  private readonly deliveries?: TwitchOtelCounter;
  private readonly handlerFailures?: TwitchOtelCounter;
  private readonly lag?: TwitchOtelHistogram;

  /** Last rate-limit headers seen per bucket kind (`app`, `user`, `token`), whatever the SDK. */
  private readonly rateLimits = new Map<string, TwitchRateLimitSnapshot>();

  constructor(@Optional() @Inject(TWITCH_RESOLVED_OPTIONS) options?: TwitchResolvedOptions) {
    this.debug = options?.debug ?? false;
    this.helixServer = server(options?.helixUrl ?? 'https://api.twitch.tv/helix');
    this.authServer = server(options?.authUrl ?? 'https://id.twitch.tv/oauth2');
    this.api = loadOpenTelemetry();
    if (!this.api) return;
    const meter = this.api.metrics.getMeter(TWITCH_TELEMETRY_SCOPE);
    this.tracer = this.api.trace.getTracer(TWITCH_TELEMETRY_SCOPE);
    const seconds = (description: string) => ({ description, unit: 's', advice: { explicitBucketBoundaries: SECONDS } });
    const count = (description: string, unit: string) => ({ description, unit });
    this.httpDuration = meter.createHistogram(
      'http.client.request.duration',
      seconds('Duration of HTTP client requests (each attempt).'),
    );
    this.calls = meter.createCounter('twitch.helix.requests', count('Helix calls, by endpoint and outcome.', '{request}'));
    this.callDuration = meter.createHistogram(
      'twitch.helix.request.duration',
      seconds('Duration of Helix calls, waits and retries included.'),
    );
    this.rateLimitWait = meter.createHistogram(
      'twitch.rate_limit.wait.duration',
      seconds('Time spent waiting for the rate-limit bucket.'),
    );
    this.throttled = meter.createCounter('twitch.rate_limit.throttled', count('429 answers from Helix.', '{response}'));
    this.cacheLookups = meter.createCounter('twitch.cache.lookups', count('Response cache lookups.', '{lookup}'));
    this.tokens = meter.createCounter('twitch.token.requests', count('App token fetches and user token refreshes.', '{request}'));
    this.deliveries = meter.createCounter('twitch.eventsub.deliveries', count('EventSub messages received.', '{message}'));
    this.handlerFailures = meter.createCounter(
      'twitch.eventsub.handler.failures',
      count('EventSub handler calls that threw.', '{failure}'),
    );
    this.lag = meter.createHistogram('twitch.eventsub.delivery.lag', {
      description: 'Time from the message timestamp to its receipt.',
      unit: 's',
      advice: { explicitBucketBoundaries: LAG_SECONDS },
    });
  }

  // ---- calls and attempts -------------------------------------------------------------------------

  /** The start of a Helix or OAuth call. */
  startCall(kind: 'helix' | 'oauth', method: string, path: string): TwitchCallObservation {
    const call: TwitchCallObservation = { kind, method: method.toUpperCase(), path, startedAt: performance.now() };
    if (kind === 'helix' && this.tracer) {
      call.span = this.tracer.startSpan(`twitch.helix ${call.method} ${path}`, {
        kind: OTEL_SPAN_KIND.INTERNAL,
        attributes: { 'http.request.method': call.method, 'url.template': path },
      });
    }
    return call;
  }

  /** One attempt that was handed to the HTTP client ended: `status` of its answer, or `error` without one. */
  attempt(call: TwitchCallObservation, status: number | undefined, error: unknown, resendCount: number): void {
    const sentAt = call.sentAt;
    call.sentAt = undefined;
    if (sentAt === undefined) return;
    if (status !== undefined) call.status = status;
    if (status === 429 && call.kind === 'helix') this.throttled?.add(1, { 'url.template': call.path });
    if (!this.api) return;
    const srv = call.kind === 'helix' ? this.helixServer : this.authServer;
    const errorType = status !== undefined && status >= 400 ? String(status) : error ? errorCode(error) : undefined;
    const attributes: TwitchOtelAttributes = {
      'http.request.method': call.method,
      'server.address': srv.address,
      'server.port': srv.port,
      'url.template': call.path,
    };
    if (status !== undefined) attributes['http.response.status_code'] = status;
    if (errorType) attributes['error.type'] = errorType;
    this.httpDuration!.record((performance.now() - sentAt) / 1000, attributes);
    const parent = call.span && this.api.trace.setSpan(this.api.context.active(), call.span);
    const span = this.tracer!.startSpan(
      `${call.method} ${call.path}`,
      { kind: OTEL_SPAN_KIND.CLIENT, startTime: call.sentAtEpoch, attributes },
      parent,
    );
    span.setAttribute('url.full', `${srv.scheme}://${srv.address}:${srv.port}${srv.base}${call.path}`);
    if (resendCount > 0) span.setAttribute('http.request.resend_count', resendCount);
    if (errorType) span.setStatus({ code: OTEL_STATUS.ERROR, message: errorType });
    span.end();
  }

  /** The end of a call: `error` is the exception it failed with. */
  endCall(call: TwitchCallObservation, error?: unknown): void {
    const ms = performance.now() - call.startedAt;
    const status = call.status ?? (error === undefined && call.cacheResult ? 200 : undefined);
    if (this.debug && call.kind === 'helix') {
      const outcome = error === undefined ? String(status ?? '-') : `${status ?? '-'} ${errorName(error)}`;
      this.logger.debug(
        `${call.method} ${call.path} ${outcome} ${ms.toFixed(1)} ms remaining=${call.remaining ?? '-'} cache=${call.cacheResult ?? 'none'}`,
      );
    }
    if (!this.api || call.kind !== 'helix') return;
    const attributes: TwitchOtelAttributes = { 'http.request.method': call.method, 'url.template': call.path };
    if (status !== undefined) attributes['http.response.status_code'] = status;
    attributes['twitch.cache.result'] = call.cacheResult ?? 'none';
    if (error !== undefined) attributes['error.type'] = errorName(error);
    this.calls!.add(1, attributes);
    this.callDuration!.record(ms / 1000, attributes);
    const span = call.span;
    if (!span) return;
    if (status !== undefined) span.setAttribute('http.response.status_code', status);
    span.setAttribute('twitch.cache.result', call.cacheResult ?? 'none');
    if (call.remaining !== undefined) span.setAttribute('twitch.rate_limit.remaining', call.remaining);
    if (error !== undefined) {
      span.setAttribute('error.type', errorName(error));
      span.setStatus({ code: OTEL_STATUS.ERROR, message: errorName(error) });
    }
    span.end();
  }

  // ---- rate limit, cache, tokens --------------------------------------------------------------------

  /** A wait for the rate-limit bucket (`bucket`) or after a 429 from an empty bucket (`429`), in ms. */
  rateLimitWaited(ms: number, reason: 'bucket' | '429'): void {
    if (ms > 0) this.rateLimitWait?.record(ms / 1000, { 'twitch.rate_limit.reason': reason });
  }

  /** An answer's `Ratelimit-*` headers for a bucket of `kind` (`app`, `user`, `token`). */
  rateLimitSeen(
    kind: string,
    state: { limit?: number; remaining?: number; reset?: Date } | undefined,
    call?: TwitchCallObservation,
  ): void {
    if (state?.remaining === undefined || state.limit === undefined) return;
    if (call) call.remaining = state.remaining;
    this.rateLimits.set(kind, { limit: state.limit, remaining: state.remaining, reset: state.reset, seenAt: new Date() });
  }

  /** The last rate-limit headers seen, by bucket kind (`app`, `user`, `token`). */
  rateLimitSnapshot(): ReadonlyMap<string, TwitchRateLimitSnapshot> {
    return this.rateLimits;
  }

  cacheLookup(result: TwitchCacheResult, call?: TwitchCallObservation): void {
    if (call) call.cacheResult = result;
    this.cacheLookups?.add(1, { 'twitch.cache.result': result });
  }

  /** An app token fetch or a user token refresh, and how it ended. */
  token(type: 'app' | 'user', operation: 'fetch' | 'refresh', error?: unknown): void {
    if (!this.tokens) return;
    const attributes: TwitchOtelAttributes = {
      'twitch.token.type': type,
      'twitch.token.operation': operation,
      'twitch.token.outcome': error === undefined ? 'success' : 'failure',
    };
    if (error !== undefined) attributes['error.type'] = errorName(error);
    this.tokens.add(1, attributes);
  }

  // ---- EventSub -----------------------------------------------------------------------------------------

  /** A verified EventSub message: handed to the handlers (`accepted`) or dropped as a `duplicate`. */
  eventSubDelivery(
    d: { type: string; transport: string; messageType: string; timestamp?: Date },
    outcome: 'accepted' | 'duplicate',
  ): void {
    if (!this.deliveries) return;
    const attributes = {
      'twitch.eventsub.type': d.type,
      'twitch.eventsub.transport': d.transport,
      'twitch.eventsub.message_type': d.messageType,
    };
    this.deliveries.add(1, { ...attributes, 'twitch.eventsub.outcome': outcome });
    const at = d.timestamp?.getTime();
    if (outcome === 'accepted' && at !== undefined && Number.isFinite(at))
      this.lag!.record(Math.max(0, Date.now() - at) / 1000, attributes);
  }

  eventSubHandlerFailed(type: string, handler: string, error: unknown): void {
    this.handlerFailures?.add(1, {
      'twitch.eventsub.type': type,
      'twitch.eventsub.handler': handler,
      'error.type': errorName(error),
    });
  }
}

interface Server {
  address: string;
  port: number;
  scheme: string;
  /** Path of the API's root (`/helix`). */
  base: string;
}

function server(url: string): Server {
  const u = new URL(url);
  const scheme = u.protocol.replace(/:$/, '');
  return {
    address: u.hostname,
    port: Number(u.port) || (scheme === 'https' ? 443 : 80),
    scheme,
    base: u.pathname.replace(/\/$/, ''),
  };
}

/** The class name of an exception (`TwitchServiceUnavailableException`), never its message. */
function errorName(error: unknown): string {
  if (error instanceof Error) return error.constructor?.name || error.name || 'Error';
  return '_OTHER';
}

/** The low-level code of a failure without an answer (`ECONNREFUSED`, `ECONNABORTED`). */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code ? code : errorName(error);
}
