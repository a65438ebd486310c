import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  type AxiosError,
  type AxiosInstance,
  type AxiosRequestConfig,
  type AxiosResponse,
  isAxiosError,
  isCancel,
  type Method,
} from 'axios';
import type { Dispatcher } from 'undici';
import { createTwitchException } from '../exceptions/twitch-exception.factory.js';
import { TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import type { TwitchResolvedOptions } from '../twitch-options.js';
import { TwitchTelemetry } from '../observability/twitch-telemetry.js';
import { sleep } from '../utils/sleep.js';
import { TwitchCallContext } from './twitch-call-context.js';
import { serializeTwitchParams } from './twitch-params.serializer.js';
import { createTwitchDispatcher, createTwitchUndiciAdapter } from './twitch-undici.adapter.js';

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

/**
 * One rule of a call's `decide` step, run after a failed attempt: true = it waited, try again;
 * false = not this rule's case; throws = the call's outcome.
 */
export type TwitchRetryDecision = (
  error: AxiosError,
  ctx: TwitchCallContext,
  signal: AbortSignal | undefined,
) => Promise<boolean>;

/**
 * The module's private axios instance (from `HttpModule.register`) on undici's keep-alive pool, and
 * the attempt loop every call runs: Helix calls (`TwitchHttpClient`, with its pipeline steps as
 * interceptors) and OAuth calls to id.twitch.tv (`oauth`, straight to Twitch).
 */
@Injectable()
export class TwitchTransport implements OnApplicationShutdown {
  readonly axios: AxiosInstance;
  /** Keep-alive connections (undici), shared by Helix and OAuth calls. */
  private readonly dispatcher: Dispatcher;

  constructor(
    http: HttpService,
    @Inject(TWITCH_RESOLVED_OPTIONS) private readonly options: TwitchResolvedOptions,
    private readonly telemetry: TwitchTelemetry,
  ) {
    this.axios = http.axiosRef;
    this.dispatcher = createTwitchDispatcher({ connectTimeout: options.connectTimeout });
    this.axios.defaults.timeout = options.timeout;
    this.axios.defaults.maxContentLength = options.maxResponseBytes;
    this.axios.defaults.adapter = createTwitchUndiciAdapter(this.dispatcher);
    this.axios.defaults.paramsSerializer = (p) => serializeTwitchParams(p);
    // axios merges its defaults into every request's config. Its per-method header groups and the
    // browser-only XSRF settings do nothing here (transformRequest and the adapter set Content-Type).
    this.axios.defaults.headers = {
      common: { Accept: 'application/json, text/plain, */*' },
    } as typeof this.axios.defaults.headers;
    delete this.axios.defaults.xsrfCookieName;
    delete this.axios.defaults.xsrfHeaderName;
  }

  /** Closes the keep-alive connections the module opened. */
  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.destroy();
  }

  /** An OAuth request to id.twitch.tv: no token, rate limiter or cache; a GET is retried after a 5xx or network failure. */
  oauth<T>(req: TwitchHttpRequest, label: string): Promise<AxiosResponse<T>> {
    // Twitch's OAuth answers JSON objects, except /revoke (an empty 200).
    const answer = req.path === '/revoke' ? 'empty' : 'object';
    const ctx = new TwitchCallContext({ kind: 'oauth', label, auth: 'none', idempotent: req.method === 'GET', answer });
    ctx.observed = this.telemetry.startCall('oauth', req.method, req.path);
    return this.attempts<T>(toConfig(this.options.authUrl, req, ctx), ctx, [this.backOff]);
  }

  /**
   * Telemetry: the moment an attempt is handed to the HTTP client (after the token, cache and
   * rate-limit steps), so that `http.client.request.duration` measures the request alone.
   */
  markSent(ctx: TwitchCallContext): void {
    if (!ctx.observed || ctx.fromCache) return;
    ctx.observed.sentAt = performance.now();
    ctx.observed.sentAtEpoch = Date.now();
  }

  /**
   * Attempts until one succeeds or a decision ends the call: after each failed attempt, `decisions`
   * are asked in order; when none tries again, the failure is mapped to a `TwitchException`.
   * Failures that are not an attempt's (validation, a limiter's refusal, a shared fetch's outcome,
   * an abort) end the call as they are.
   */
  async attempts<T>(
    config: AxiosRequestConfig,
    ctx: TwitchCallContext,
    decisions: readonly TwitchRetryDecision[],
  ): Promise<AxiosResponse<T>> {
    const signal = config.signal as AbortSignal | undefined;
    const observed = ctx.observed;
    let sent = 0;
    for (;;) {
      try {
        const res = await this.axios.request<T>(config);
        if (observed?.sentAt !== undefined) this.telemetry.attempt(observed, res.status, undefined, sent++);
        return res;
      } catch (error) {
        if (observed?.sentAt !== undefined)
          this.telemetry.attempt(observed, isAxiosError(error) ? error.response?.status : undefined, error, sent++);
        if (!isAxiosError(error) || !error.config?.twitch) throw error;
        if (isCancel(error) || signal?.aborted) throw signal?.reason ?? error;
        const res = error.response;
        // Nothing reached Twitch (no connection): a retry reuses this attempt's rate-limit point.
        ctx.unsent = !res && NOT_SENT.has(error.code ?? '');
        let again = false;
        for (const decide of decisions) if ((again = await decide(error, ctx, signal))) break;
        if (again) continue;
        throw createTwitchException({
          endpoint: ctx.label,
          status: res?.status,
          body: res?.data,
          headers: res?.headers as Record<string, unknown> | undefined,
          timedOut: isTimeout(error),
          credential: credential(error.config, ctx),
          invalidResponse: isInvalidAnswer(error) ? invalidReason(error.message, this.options.maxResponseBytes) : undefined,
          cause: sanitize(error),
        });
      }
    }
  }

  /**
   * A 5xx, an unusable 2xx answer or a network failure (not a timeout) of an idempotent call: back off
   * with full jitter, try again.
   */
  readonly backOff: TwitchRetryDecision = async (error, ctx, signal) => {
    const res = error.response;
    const retriable = res ? res.status >= 500 || isInvalidAnswer(error) : !isTimeout(error);
    if (!ctx.idempotent || !retriable || ctx.attempt >= this.options.retry.maxRetries) return false;
    ctx.attempt++;
    const { baseDelayMs, maxDelayMs } = this.options.retry;
    await sleep(Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** ctx.attempt), signal);
    return true;
  };
}

/** The axios config of a request to `base`. */
export function toConfig(base: string, req: TwitchHttpRequest, ctx: TwitchCallContext): AxiosRequestConfig {
  return {
    method: req.method,
    url: base + req.path,
    params: req.params,
    data: req.data,
    headers: req.headers,
    signal: req.signal,
    timeout: req.timeout,
    responseType: req.responseType ?? 'json',
    twitch: ctx,
  };
}

/** Network failures before anything was sent: nothing reached Twitch. */
const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A 2xx in an error: the answer's body was unusable (see `checkTwitchAnswer` and the adapter's body errors). */
function isInvalidAnswer(error: AxiosError): boolean {
  const status = error.response?.status;
  return status !== undefined && status >= 200 && status < 300;
}

/** What was wrong with a 2xx answer, in the module's terms. */
function invalidReason(message: string, maxResponseBytes: number): string {
  if (!message.startsWith('maxContentLength size of')) return message;
  return `the answer is larger than maxResponseBytes (${maxResponseBytes} bytes)`;
}

/** Whose credential a failed request carried (see `TwitchFailure.credential`). */
function credential(
  config: AxiosRequestConfig | undefined,
  ctx: TwitchCallContext,
): 'app' | 'user' | 'caller' | 'client' | undefined {
  if (ctx.kind === 'helix') return ctx.tokenSource;
  const data = config?.data;
  const form = typeof data === 'string' ? new URLSearchParams(data) : data instanceof URLSearchParams ? data : undefined;
  return form?.get('grant_type') === 'client_credentials' ? 'client' : undefined;
}

function isTimeout(error: AxiosError): boolean {
  return error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT';
}

/** The cause kept on exceptions: message and code of the failure, without the request (headers carry tokens). */
function sanitize(error: { message: string; code?: string }): Error {
  const clean = new Error(error.message);
  (clean as Error & { code?: string }).code = error.code;
  return clean;
}
