import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
  isAxiosError,
  isCancel,
  type Method,
} from 'axios';
import { TwitchCache, type TwitchCachedResponse } from '../cache/twitch-cache.js';
import { TwitchLoginRequiredException, TwitchMissingScopeException } from '../exceptions/twitch-auth.exception.js';
import { createTwitchException, readRateLimitHeaders } from '../exceptions/twitch-exception.factory.js';
import { TwitchRateLimiter } from '../rate-limit/twitch-rate-limiter.js';
import { TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import type { TwitchResolvedOptions } from '../twitch-options.js';
import { digest } from '../utils/hash.js';
import { sleep } from '../utils/sleep.js';
import { TwitchCallContext } from './twitch-call-context.js';
import { createTwitchDispatcher, createTwitchUndiciAdapter } from './twitch-undici.adapter.js';
import { serializeTwitchParams } from './twitch-params.serializer.js';

/** Source of the managed app access token (the app-token manager registers itself). */
export interface TwitchAppTokenSource {
  get(signal?: AbortSignal): Promise<string>;
  /** The token was refused with a 401: forget it if it is still the current one. */
  invalidate(token: string): Promise<void>;
}

/** Source of users' tokens (the user-token service registers itself). */
export interface TwitchUserTokenSource {
  getAccessToken(userId: string): Promise<string>;
  /** Replaces a token Twitch refused; throws `TwitchLoginRequiredException` when the user must log in again. */
  refresh(userId: string, staleToken: string): Promise<string>;
  /** The token was refused even after a refresh: the user must log in again. */
  invalidate(userId: string, reason: 'token_invalid'): Promise<void>;
}

export interface TwitchHttpRequest {
  method: Method;
  /** Helix path (`/streams`) or OAuth path (`/token`). */
  path: string;
  params?: Record<string, unknown>;
  data?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeout?: number;
  responseType?: 'json' | 'text';
}

type Config = InternalAxiosRequestConfig & { twitch: TwitchCallContext };
type RequestStep = (config: Config, ctx: TwitchCallContext) => Promise<void> | void;

/**
 * The request pipeline: one private axios instance (from `HttpModule.register`) with one request and
 * one response interceptor, each running the module's steps in the fixed order listed below.
 */
@Injectable()
export class TwitchHttpClient implements OnApplicationShutdown {
  private readonly axios: AxiosInstance;
  /** Keep-alive connections (undici), shared by Helix and OAuth calls. */
  private readonly dispatcher = createTwitchDispatcher();
  private appTokens?: TwitchAppTokenSource;
  private userTokens?: TwitchUserTokenSource;

  /** Request steps, in order. A cache hit skips the network and the rate limiter. */
  private readonly requestSteps: RequestStep[] = [
    (c, ctx) => this.authorize(c, ctx),
    (c, ctx) => this.identify(c, ctx),
    (c, ctx) => this.cacheLookup(c, ctx),
    (c, ctx) => this.rateLimit(c, ctx),
  ];

  constructor(
    http: HttpService,
    @Inject(TWITCH_RESOLVED_OPTIONS) private readonly options: TwitchResolvedOptions,
    private readonly limiter: TwitchRateLimiter,
    private readonly cache: TwitchCache,
  ) {
    this.axios = http.axiosRef;
    this.axios.defaults.timeout = options.timeout;
    this.axios.defaults.adapter = createTwitchUndiciAdapter(this.dispatcher);
    this.axios.defaults.paramsSerializer = (p) => serializeTwitchParams(p);
    // axios merges its defaults into every request's config. Its per-method header groups and the
    // browser-only XSRF settings do nothing here (transformRequest and the adapter set Content-Type).
    this.axios.defaults.headers = { common: { Accept: 'application/json, text/plain, */*' } } as typeof this.axios.defaults.headers;
    delete this.axios.defaults.xsrfCookieName;
    delete this.axios.defaults.xsrfHeaderName;
    this.axios.interceptors.request.use((config) => this.onRequest(config as Config));
    this.axios.interceptors.response.use(
      (response) => this.onResponse(response),
      (error) => this.onError(error),
    );
  }

  /** Closes the keep-alive connections the module opened. */
  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.destroy();
  }

  /** Called once by the app-token manager. */
  useAppTokens(source: TwitchAppTokenSource): void {
    this.appTokens = source;
  }

  /** Called once by the user-token service. */
  useUserTokens(source: TwitchUserTokenSource): void {
    this.userTokens = source;
  }

  /** Sends a Helix request through the whole pipeline. */
  helix<T>(req: TwitchHttpRequest, ctx: TwitchCallContext): Promise<AxiosResponse<T>> {
    return this.send<T>(this.options.helixUrl, req, ctx);
  }

  /** Sends an OAuth request to id.twitch.tv (no app token, rate limiter or cache). */
  oauth<T>(req: TwitchHttpRequest, label: string): Promise<AxiosResponse<T>> {
    const ctx = new TwitchCallContext({ kind: 'oauth', label, auth: 'none', idempotent: req.method === 'GET' });
    return this.send<T>(this.options.authUrl, req, ctx);
  }

  private send<T>(base: string, req: TwitchHttpRequest, ctx: TwitchCallContext): Promise<AxiosResponse<T>> {
    return this.axios.request<T>({
      method: req.method,
      url: base + req.path,
      params: req.params,
      data: req.data,
      headers: req.headers,
      signal: req.signal,
      timeout: req.timeout,
      responseType: req.responseType ?? 'json',
      twitch: ctx,
    });
  }

  // ---- request steps ----------------------------------------------------------------------------

  private async onRequest(config: Config): Promise<Config> {
    const ctx = config.twitch;
    if (!ctx) return config;
    for (const step of this.requestSteps) await step(config, ctx);
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
      if (!this.userTokens) throw new Error('TwitchModule: no user token source registered');
      ctx.tokenSource = 'user';
      ctx.token = ctx.token ?? (await this.userTokens.getAccessToken(ctx.userId));
    } else {
      if (!this.appTokens) throw new Error('TwitchModule: no app token source registered');
      ctx.tokenSource = 'app';
      ctx.token = await this.appTokens.get(signal);
    }
    config.headers.set('Authorization', `Bearer ${ctx.token}`);
  }

  /** The call's rate-limit bucket: the app's, or the user's (never the token itself: a digest of it). */
  private identify(_config: Config, ctx: TwitchCallContext): void {
    if (ctx.kind !== 'helix' || ctx.bucket) return;
    ctx.bucket = `${this.options.keyPrefix}rl:${this.options.clientId}:${identity(ctx)}`;
  }

  private async cacheLookup(config: Config, ctx: TwitchCallContext): Promise<void> {
    if (ctx.kind !== 'helix' || ctx.cacheKey || ctx.fromCache) return;
    const ttl = ctx.cacheTtl || this.options.cache.defaultTtl;
    if (ttl <= 0 || config.method?.toUpperCase() !== 'GET') return;
    const key = cacheKey(this.options.keyPrefix, config, ctx);
    const hit = (await this.cache.get(key)) ?? this.cache.pending(key);
    if (hit) {
      ctx.fromCache = true;
      config.adapter = async () => toResponse(await hit, config);
      return;
    }
    ctx.cacheKey = key;
    let settle!: TwitchCallContext['settle'];
    const shared = new Promise<TwitchCachedResponse>((resolve, reject) => (settle = { resolve, reject }));
    shared.catch(() => undefined);
    ctx.settle = settle;
    this.cache.track(key, shared);
  }

  private async rateLimit(config: Config, ctx: TwitchCallContext): Promise<void> {
    if (ctx.kind !== 'helix' || ctx.fromCache || !ctx.bucket || !this.limiter.enabled) return;
    const left = this.options.rateLimit.maxWaitMs - ctx.rateLimitWaitedMs;
    try {
      ctx.rateLimitWaitedMs += await this.limiter.acquire(ctx.bucket, ctx.label, config.signal as AbortSignal | undefined, left);
    } catch (err) {
      // Refused (or aborted) before sending: identical requests waiting on this one get the same error.
      ctx.settle?.reject(err);
      throw err;
    }
  }

  // ---- response steps ---------------------------------------------------------------------------

  private async onResponse(response: AxiosResponse): Promise<AxiosResponse> {
    const ctx = response.config.twitch;
    if (!ctx || ctx.fromCache) return response;
    await this.observe(ctx, response.headers as Record<string, unknown>);
    if (ctx.cacheKey && ctx.settle) {
      const cached: TwitchCachedResponse = { status: response.status, data: response.data, headers: {} };
      const ttl = ctx.cacheTtl || this.options.cache.defaultTtl;
      if (response.status === 200) await this.cache.set(ctx.cacheKey, cached, ttl);
      ctx.settle.resolve(cached);
    }
    return response;
  }

  private async onError(error: unknown): Promise<AxiosResponse> {
    if (!isAxiosError(error) || !error.config?.twitch) throw error;
    const config = error.config as Config;
    const ctx = config.twitch;
    const res = error.response;
    try {
      await this.observe(ctx, res?.headers as Record<string, unknown> | undefined);
      const signal = config.signal as AbortSignal | undefined;
      if (isCancel(error) || signal?.aborted) throw signal?.reason ?? error;

      if (res?.status === 429 && ctx.kind === 'helix' && ctx.rateLimitRetries < this.options.rateLimit.maxRetries) {
        const state = readRateLimitHeaders(res.headers as Record<string, unknown>);
        // Only an empty general bucket is worth waiting for; other 429s are the endpoint's own limits.
        // The waits of one call, for the bucket and after 429s, add up to at most rateLimit.maxWaitMs.
        const wait = Math.max(0, state?.reset ? state.reset.getTime() - Date.now() : 1_000) + 50;
        const empty = state?.remaining === undefined || state.remaining <= 0;
        if (empty && ctx.rateLimitWaitedMs + wait <= this.options.rateLimit.maxWaitMs) {
          ctx.rateLimitRetries++;
          ctx.rateLimitWaitedMs += wait;
          await sleep(wait, signal);
          return await this.axios.request(config);
        }
      }
      if (res?.status === 401 && ctx.kind === 'helix') {
        const retry = await this.onUnauthorized(ctx, res.data, res.headers as Record<string, unknown>);
        if (retry) return await this.axios.request(config);
      }
      const timedOut = error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT';
      const retriable = res ? res.status >= 500 : !timedOut;
      if (ctx.idempotent && retriable && ctx.attempt < this.options.retry.maxRetries) {
        ctx.attempt++;
        const { baseDelayMs, maxDelayMs } = this.options.retry;
        await sleep(Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** ctx.attempt), signal);
        return await this.axios.request(config);
      }
      throw createTwitchException({
        endpoint: ctx.label,
        status: res?.status,
        body: res?.data,
        headers: res?.headers as Record<string, unknown> | undefined,
        timedOut,
        cause: sanitize(error),
      });
    } catch (err) {
      // The final outcome of this call: identical requests waiting on it get the same error.
      ctx.settle?.reject(err);
      throw err;
    }
  }

  /**
   * Tells 401s apart: a missing scope fails at once with the scopes the endpoint needs; otherwise
   * the token is renewed once (app token re-minted, user token refreshed) and the call retried;
   * a second 401 after a refresh means the user's token is dead.
   */
  private async onUnauthorized(ctx: TwitchCallContext, body: unknown, headers: Record<string, unknown>): Promise<boolean> {
    const message = String((body as { message?: unknown } | undefined)?.message ?? '');
    if (/missing scope/i.test(message)) {
      const needed = ctx.scopes.map((alt) => alt.join(' + ')).join(' or ');
      throw new TwitchMissingScopeException(
        `${ctx.label}: the token lacks a scope (${message})${needed ? `; the endpoint needs ${needed}` : ''}`,
        { endpoint: ctx.label, twitchStatus: 401, twitchMessage: message, rateLimit: readRateLimitHeaders(headers) },
        ctx.scopes,
      );
    }
    if (ctx.tokenSource === 'app' && ctx.token && !ctx.tokenRenewed && this.appTokens) {
      ctx.tokenRenewed = true;
      await this.appTokens.invalidate(ctx.token);
      return true;
    }
    if (ctx.tokenSource === 'user' && ctx.userId && ctx.token && this.userTokens) {
      if (!ctx.tokenRenewed) {
        ctx.tokenRenewed = true;
        ctx.token = await this.userTokens.refresh(ctx.userId, ctx.token);
        return true;
      }
      await this.userTokens.invalidate(ctx.userId, 'token_invalid');
      throw new TwitchLoginRequiredException(ctx.userId, 'token_invalid', ctx.label);
    }
    return false;
  }

  /** Every outcome reaches the limiter: headers correct the bucket, and any answer (or none) ends a probe. */
  private async observe(ctx: TwitchCallContext, headers: Record<string, unknown> | undefined): Promise<void> {
    if (ctx.kind !== 'helix' || !ctx.bucket || !this.limiter.enabled) return;
    await this.limiter.observe(ctx.bucket, readRateLimitHeaders(headers), headers !== undefined);
  }
}

function identity(ctx: TwitchCallContext): string {
  if (ctx.userId && ctx.auth !== 'app') return `user:${ctx.userId}`;
  if (!ctx.accessToken) return 'app';
  return `${ctx.auth === 'jwt' ? 'jwt' : 'token'}:${digest(ctx.accessToken)}`;
}

function cacheKey(prefix: string, config: Config, ctx: TwitchCallContext): string {
  let target = `${config.url}?${serializeTwitchParams(sortKeys(config.params))}`;
  if (target.length > 400) target = digest(target);
  return `${prefix}cache:GET:${target}:${identity(ctx)}`;
}

function sortKeys(params: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!params) return params;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(params).sort()) sorted[key] = params[key];
  return sorted;
}

function toResponse(cached: TwitchCachedResponse, config: Config): AxiosResponse {
  return { data: cached.data, status: cached.status, statusText: 'OK', headers: { ...cached.headers }, config, request: undefined };
}

/** The cause kept on exceptions: message and code of the failure, without the request (headers carry tokens). */
function sanitize(error: { message: string; code?: string }): Error {
  const clean = new Error(error.message);
  (clean as Error & { code?: string }).code = error.code;
  return clean;
}

