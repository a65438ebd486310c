import { Inject, Injectable } from '@nestjs/common';
import { AxiosError, type AxiosRequestConfig, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { TwitchAppTokenManager } from '../auth/twitch-app-token.manager.js';
import { TwitchUserTokenService } from '../auth/twitch-user-token.service.js';
import { TwitchCache, type TwitchCachedResponse, twitchCacheKey, twitchCacheTtl } from '../cache/twitch-cache.js';
import { TwitchLoginRequiredException, TwitchMissingScopeException } from '../exceptions/twitch-oauth.exception.js';
import { readRateLimitHeaders } from '../exceptions/twitch-exception.factory.js';
import { TwitchGatewayTimeoutException } from '../exceptions/twitch.exception.js';
import { TwitchTelemetry } from '../observability/twitch-telemetry.js';
import { TwitchRateLimiter } from '../rate-limit/twitch-rate-limiter.js';
import { TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import { callBudgetMs, type TwitchResolvedOptions } from '../twitch-options.js';
import { digest } from '../utils/hash.js';
import { TwitchSingleFlight, waitFor } from '../utils/single-flight.js';
import { sleep } from '../utils/sleep.js';
import { TwitchCallContext } from './twitch-call-context.js';
import { checkTwitchAnswer } from './twitch-answer.js';
import { toConfig, type TwitchHttpRequest, type TwitchRetryDecision, TwitchTransport } from './twitch-transport.js';
import { twitchKey } from '../redis/twitch-redis-key.js';

export type { TwitchHttpRequest } from './twitch-transport.js';

type Config = InternalAxiosRequestConfig & { twitch: TwitchCallContext };
type AxiosErrorLike = Parameters<TwitchRetryDecision>[0];
type RequestStep = (config: Config, ctx: TwitchCallContext) => Promise<void> | void;

/**
 * The request pipeline. The life of a Helix call, in order:
 *
 *  1. params     checked with class-validator before anything is sent (`TwitchEndpointCaller`)
 *  2. authorize  `Client-Id`, and the caller's token, the user's stored token or the app token
 *  3. bucket     the rate-limit bucket the call draws from (the app's, the user's, the token's)
 *  4. cache      a cacheable GET is answered from the cache, or joins the one shared fetch of its key
 *  5. rateLimit  wait for a point in the bucket
 *  6. send       the HTTP request (undici keep-alive pool, `timeout` per attempt)
 *  7. observe    fold the answer's `Ratelimit-*` headers into the bucket
 *  8. decide     429 from an empty bucket: wait for its reset, try again; 401: renew the token once,
 *                try again; 5xx or network failure of an idempotent call: back off, try again;
 *                anything else: map to a `TwitchException`
 *  9. store      the shared fetch of a cacheable GET keeps a 200 for its TTL
 * 10. telemetry  the call's metrics, span and `debug` line (`TwitchTelemetry`); each attempt's own
 *                metric and span are recorded by the attempt loop from the moment step 6 starts
 *
 * Steps 2-7 are one attempt: a pass through the module's private axios instance (`TwitchTransport`),
 * whose one request interceptor runs `requestSteps` in order, whose adapter sends, and whose one
 * response interceptor observes. Step 8 runs between attempts (`TwitchTransport.attempts`) over the
 * ordered `decisions`; step 9 in `fetchShared`. The token sources are injected providers.
 */
@Injectable()
export class TwitchHttpClient {
  /** Identical cacheable GETs in flight in this process, by cache key. */
  private readonly inflight = new TwitchSingleFlight<TwitchCachedResponse>();

  /** Steps 2-5 of an attempt, in order. */
  private readonly requestSteps: RequestStep[] = [
    (c, ctx) => this.authorize(c, ctx),
    (c, ctx) => this.bucket(c, ctx),
    (c, ctx) => this.cacheLookup(c, ctx),
    (c, ctx) => this.rateLimit(c, ctx),
  ];

  /** Step 8: what to do after a failed attempt, checked in order (none: the failure is mapped to an exception). */
  private readonly decisions: readonly TwitchRetryDecision[] = [
    (e, ctx, signal) => this.waitForEmptyBucket(e, ctx, signal),
    (e, ctx, signal) => this.renewToken(e, ctx, signal),
    this.transport.backOff,
  ];

  constructor(
    private readonly transport: TwitchTransport,
    @Inject(TWITCH_RESOLVED_OPTIONS) private readonly options: TwitchResolvedOptions,
    private readonly limiter: TwitchRateLimiter,
    private readonly cache: TwitchCache,
    private readonly appTokens: TwitchAppTokenManager,
    private readonly userTokens: TwitchUserTokenService,
    private readonly telemetry: TwitchTelemetry,
  ) {
    transport.axios.interceptors.request.use((config) => this.onRequest(config as Config));
    transport.axios.interceptors.response.use(
      (response) => this.onResponse(response),
      (error) => this.onFailedAttempt(error),
    );
  }

  /** Sends a Helix request through the whole pipeline. */
  helix<T>(req: TwitchHttpRequest, ctx: TwitchCallContext): Promise<AxiosResponse<T>> {
    const observed = (ctx.observed = this.telemetry.startCall('helix', req.method, req.path));
    const call = this.transport.attempts<T>(toConfig(this.options.helixUrl, req, ctx), ctx, this.decisions);
    // Step 10.
    call.then(
      () => this.telemetry.endCall(observed),
      (error: unknown) => this.telemetry.endCall(observed, error),
    );
    return call;
  }

  // ---- steps 2-5 ---------------------------------------------------------------------------------

  private async onRequest(config: Config): Promise<Config> {
    const ctx = config.twitch;
    if (ctx?.kind === 'helix') for (const step of this.requestSteps) await step(config, ctx);
    if (ctx) this.transport.markSent(ctx);
    return config;
  }

  /**
   * `Client-Id`, and `Authorization` with the caller's token, the stored token of `userId`, or the
   * managed app token, in that order.
   */
  private async authorize(config: Config, ctx: TwitchCallContext): Promise<void> {
    if (ctx.kind !== 'helix' || ctx.auth === 'none') return;
    config.headers.set('Client-Id', this.options.clientId);
    const signal = config.signal as AbortSignal | undefined;
    if (ctx.accessToken) {
      ctx.tokenSource = 'caller';
      ctx.token = ctx.accessToken;
    } else if (ctx.userId && ctx.auth !== 'app') {
      ctx.tokenSource = 'user';
      ctx.token = ctx.token ?? (await waitFor(this.userTokens.getAccessToken(ctx.userId), { signal }));
    } else {
      ctx.tokenSource = 'app';
      ctx.token = await this.appTokens.get(signal);
    }
    config.headers.set('Authorization', `Bearer ${ctx.token}`);
  }

  /** The call's rate-limit bucket: the app's, or the user's (never the token itself: a digest of it). */
  private bucket(_config: Config, ctx: TwitchCallContext): void {
    if (ctx.kind !== 'helix' || ctx.bucket) return;
    ctx.bucket = twitchKey(this.options.keyPrefix, `rl:${this.options.clientId}:${bucketIdentity(ctx)}`);
  }

  /**
   * A cacheable GET is answered from the cache, or joins the one shared fetch of the same key: the
   * fetch runs as its own request, detached from every caller's signal (one caller giving up never
   * cancels it for the others), and each caller waits for it with its own signal and time budget.
   */
  private async cacheLookup(config: Config, ctx: TwitchCallContext): Promise<void> {
    if (ctx.kind !== 'helix' || ctx.sharedFetch || ctx.fromCache) return;
    const ttl = twitchCacheTtl(config.method, ctx.cacheTtl, this.options.cache.defaultTtl);
    if (ttl === 0) return;
    const signal = config.signal as AbortSignal | undefined;
    const key = twitchCacheKey(config.url, config.params, ctx);
    const hit = await waitFor(this.cache.lookup(key, ctx.observed), { signal });
    const answer = hit
      ? Promise.resolve(hit)
      : this.inflight.run(key, () => this.fetchShared(config, ctx, key, ttl), {
          signal,
          timeoutMs: callBudgetMs(this.options, config.timeout),
          onTimeout: () =>
            new TwitchGatewayTimeoutException(`${ctx.label}: no answer within the call's time budget`, { endpoint: ctx.label }),
        });
    answer.catch(() => undefined);
    ctx.fromCache = true;
    config.adapter = async () => toResponse(await answer, config);
  }

  /** The one call behind identical cacheable GETs (without any caller's signal); step 9 keeps a 200 for `ttl` ms. */
  private async fetchShared(config: Config, ctx: TwitchCallContext, key: string, ttl: number): Promise<TwitchCachedResponse> {
    const shared = ctx.forSharedFetch();
    // The shared fetch's attempts are recorded under the first caller's span (not as a call of their own).
    const caller = ctx.observed;
    if (caller)
      shared.observed = { kind: 'helix', method: 'GET', path: caller.path, startedAt: performance.now(), span: caller.span };
    const sharedConfig: AxiosRequestConfig = {
      method: 'GET',
      url: config.url,
      params: config.params,
      timeout: config.timeout,
      responseType: config.responseType,
      twitch: shared,
    };
    const res = await this.transport.attempts(sharedConfig, shared, this.decisions);
    if (caller && shared.observed) {
      caller.status = shared.observed.status;
      caller.remaining = shared.observed.remaining;
    }
    const cached: TwitchCachedResponse = { status: res.status, data: res.data, headers: {} };
    if (res.status === 200) await this.cache.set(key, cached, ttl);
    return cached;
  }

  private async rateLimit(config: Config, ctx: TwitchCallContext): Promise<void> {
    // A retry after an attempt that never reached Twitch sends with that attempt's point.
    if (ctx.unsent) return void (ctx.unsent = false);
    if (ctx.kind !== 'helix' || ctx.fromCache || !ctx.bucket || !this.limiter.enabled) return;
    const signal = config.signal as AbortSignal | undefined;
    // The waits of one call, for the bucket and after 429s, add up to at most rateLimit.maxWaitMs.
    const left = this.options.rateLimit.maxWaitMs - ctx.rateLimitWaitedMs;
    const waited = await waitFor(this.limiter.acquire(ctx.bucket, ctx.label, signal, left), { signal });
    ctx.rateLimitWaitedMs += waited;
    this.telemetry.rateLimitWaited(waited, 'bucket');
  }

  // ---- step 7: observe --------------------------------------------------------------------------

  private async onResponse(response: AxiosResponse): Promise<AxiosResponse> {
    const ctx = response.config.twitch;
    if (!ctx || ctx.fromCache) return response;
    const headers = response.headers as Record<string, unknown>;
    await this.observe(ctx, headers);
    // An answer that is not what the endpoint documents is a failed attempt (never cached, retried like a 502).
    const invalid = ctx.answer && checkTwitchAnswer(ctx.answer, response.status, response.data, headers);
    if (invalid) throw new AxiosError(invalid, AxiosError.ERR_BAD_RESPONSE, response.config, response.request, response);
    return response;
  }

  /** Step 7 for failed attempts: a refusal still carries the bucket's headers, and no answer at all ends a probe too. */
  private async onFailedAttempt(error: unknown): Promise<never> {
    const e = error as Partial<AxiosErrorLike>;
    if (e?.isAxiosError && e.config?.twitch && !e.config.twitch.fromCache) {
      await this.observe(e.config.twitch, e.response?.headers as Record<string, unknown> | undefined);
    }
    throw error;
  }

  // ---- step 8: decide ---------------------------------------------------------------------------

  /**
   * A 429 from an empty general bucket: wait until Twitch refills it (`Ratelimit-Reset`), at most
   * `rateLimit.maxRetries` times and `rateLimit.maxWaitMs` in total. Other 429s are an endpoint's own
   * limits and surface at once.
   */
  private async waitForEmptyBucket(error: AxiosErrorLike, ctx: TwitchCallContext, signal?: AbortSignal): Promise<boolean> {
    const res = error.response;
    if (res?.status !== 429 || ctx.kind !== 'helix' || ctx.rateLimitRetries >= this.options.rateLimit.maxRetries) return false;
    const state = readRateLimitHeaders(res.headers as Record<string, unknown>);
    if (state?.remaining !== undefined && state.remaining > 0) return false;
    const until = state?.reset ? state.reset.getTime() - Date.now() : 1_000;
    const wait = Math.max(until, 0) + 50;
    // A reset further away than what is left of rateLimit.maxWaitMs cannot be waited for: surface the 429 now.
    if (ctx.rateLimitWaitedMs + wait > this.options.rateLimit.maxWaitMs) return false;
    ctx.rateLimitRetries++;
    ctx.rateLimitWaitedMs += wait;
    this.telemetry.rateLimitWaited(wait, '429');
    await sleep(wait, signal);
    return true;
  }

  /**
   * A 401: a missing scope fails at once with the scopes the endpoint needs; otherwise the token is
   * renewed once (app token re-minted, user token refreshed) and the call tried again; a second 401
   * after a refresh means the user's token is dead.
   */
  private async renewToken(error: AxiosErrorLike, ctx: TwitchCallContext, signal?: AbortSignal): Promise<boolean> {
    const res = error.response;
    if (res?.status !== 401 || ctx.kind !== 'helix') return false;
    return this.onUnauthorized(ctx, res.data, res.headers as Record<string, unknown>, signal);
  }

  private async onUnauthorized(
    ctx: TwitchCallContext,
    body: unknown,
    headers: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const message = String((body as { message?: unknown } | undefined)?.message ?? '');
    if (/missing scope/i.test(message)) {
      const needed = ctx.scopes.map((alt) => alt.join(' + ')).join(' or ');
      throw new TwitchMissingScopeException(
        `${ctx.label}: the token lacks a scope (${message})${needed ? `; the endpoint needs ${needed}` : ''}`,
        { endpoint: ctx.label, twitchStatus: 401, twitchMessage: message, rateLimit: readRateLimitHeaders(headers) },
        ctx.scopes,
      );
    }
    if (ctx.tokenSource === 'app' && ctx.token && !ctx.tokenRenewed) {
      ctx.tokenRenewed = true;
      await this.appTokens.invalidate(ctx.token);
      return true;
    }
    if (ctx.tokenSource === 'user' && ctx.userId && ctx.token) {
      if (!ctx.tokenRenewed) {
        ctx.tokenRenewed = true;
        ctx.token = await this.userTokens.refresh(ctx.userId, ctx.token, signal);
        return true;
      }
      await this.userTokens.invalidate(ctx.userId, 'token_invalid');
      throw new TwitchLoginRequiredException(ctx.userId, 'token_invalid', ctx.label);
    }
    return false;
  }

  /** Every outcome reaches the limiter: headers correct the bucket, and any answer (or none) ends a probe. */
  private async observe(ctx: TwitchCallContext, headers: Record<string, unknown> | undefined): Promise<void> {
    if (ctx.kind !== 'helix' || !ctx.bucket) return;
    const state = readRateLimitHeaders(headers);
    this.telemetry.rateLimitSeen(bucketKind(ctx), state, ctx.observed);
    if (!this.limiter.enabled) return;
    await this.limiter.observe(ctx.bucket, state, headers !== undefined);
  }
}

/** The kind of a call's bucket, as the telemetry and the health indicator name it: `app`, `user` or `token`. */
function bucketKind(ctx: TwitchCallContext): string {
  if (ctx.userId && ctx.auth !== 'app') return 'user';
  return ctx.accessToken ? 'token' : 'app';
}

/** Whose rate-limit bucket a call draws from: the user's when known, else the app's or the token's. */
function bucketIdentity(ctx: TwitchCallContext): string {
  if (ctx.userId && ctx.auth !== 'app') return `user:${ctx.userId}`;
  if (!ctx.accessToken) return 'app';
  return `${ctx.auth === 'jwt' ? 'jwt' : 'token'}:${digest(ctx.accessToken)}`;
}

function toResponse(cached: TwitchCachedResponse, config: Config): AxiosResponse {
  return {
    data: cached.data,
    status: cached.status,
    statusText: 'OK',
    headers: { ...cached.headers },
    config,
    request: undefined,
  };
}
