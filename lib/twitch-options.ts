import type { Cache } from 'cache-manager';
import { parseTokenKey } from './auth/token-store/twitch-token-cipher.js';
import type { TwitchTokenStore } from './auth/token-store/twitch-token-store.js';
import type {
  TwitchCacheOptions,
  TwitchModuleOptions,
  TwitchTokenOptions,
  TwitchRateLimitOptions,
  TwitchRetryOptions,
} from './interfaces/twitch-module-options.interface.js';
import { TWITCH_AUTH_URL, TWITCH_DEFAULTS, TWITCH_HELIX_URL } from './twitch.constants.js';
import type { TwitchLoginOptions } from './interfaces/twitch-login-options.interface.js';

/** Options after validation, with every default filled in. */
export interface TwitchResolvedOptions {
  clientId: string;
  clientSecret?: string;
  redirectUri?: string;
  redis?: TwitchModuleOptions['redis'];
  /** `redis.commandTimeoutMs` with its default. */
  redisCommandTimeoutMs: number;
  helixUrl: string;
  authUrl: string;
  timeout: number;
  connectTimeout: number;
  maxResponseBytes: number;
  keyPrefix: string;
  rateLimit: Required<TwitchRateLimitOptions>;
  retry: Required<TwitchRetryOptions>;
  cache: { defaultTtl: number; localMaxEntries: number; manager?: Cache };
  tokens: { store?: TwitchTokenStore; encryptionKey?: Buffer; validateIntervalMs: number; validateOnStartup: boolean };
  login: TwitchResolvedLoginOptions;
}

/** `login` options with every default filled in. */
export type TwitchResolvedLoginOptions = Required<Omit<TwitchLoginOptions, 'onLogin' | 'scopes'>> & {
  scopes: string[];
  onLogin?: TwitchLoginOptions['onLogin'];
};

/** Raised at bootstrap when an option is wrong; the message names the option. */
export class TwitchOptionsError extends Error {
  constructor(option: string, expected: string) {
    super(`TwitchModule: option "${option}" ${expected}`);
    this.name = 'TwitchOptionsError';
  }
}

function nonEmptyString(value: unknown, option: string, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TwitchOptionsError(option, 'must be a non-empty string');
  }
}

function httpUrl(value: unknown, option: string, required: boolean): void {
  nonEmptyString(value, option, required);
  if (value === undefined) return;
  let url: URL;
  try {
    url = new URL(value as string);
  } catch {
    throw new TwitchOptionsError(option, `must be an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TwitchOptionsError(option, 'must be an http(s) URL');
  }
}

function number(value: unknown, option: string, min: number, max = Number.MAX_SAFE_INTEGER, integer = true): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new TwitchOptionsError(option, `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
}

function object(value: unknown, option: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TwitchOptionsError(option, 'must be an object');
  }
  return value as Record<string, unknown>;
}

/** Validates the module options and fills in defaults. Throws `TwitchOptionsError` naming the first bad option. */
export function resolveTwitchOptions(input: TwitchModuleOptions): TwitchResolvedOptions {
  const options = object(input, 'options') as Partial<TwitchModuleOptions>;
  nonEmptyString(options.clientId, 'clientId', true);
  nonEmptyString(options.clientSecret, 'clientSecret', false);
  httpUrl(options.redirectUri, 'redirectUri', false);
  httpUrl(options.helixUrl, 'helixUrl', false);
  httpUrl(options.authUrl, 'authUrl', false);
  number(options.timeout, 'timeout', 1, 600_000);
  number(options.connectTimeout, 'connectTimeout', 1, 600_000);
  number(options.maxResponseBytes, 'maxResponseBytes', 1_024, 1_073_741_824);
  if (options.keyPrefix !== undefined && typeof options.keyPrefix !== 'string') {
    throw new TwitchOptionsError('keyPrefix', 'must be a string');
  }

  if (options.redis !== undefined) {
    const redis = object(options.redis, 'redis');
    if ('client' in redis) {
      const client = redis.client as { sendCommand?: unknown } | undefined;
      if (!client || typeof client.sendCommand !== 'function') {
        throw new TwitchOptionsError('redis.client', 'must be a node-redis client (createClient from "redis")');
      }
    } else if (redis.url !== undefined) {
      nonEmptyString(redis.url, 'redis.url', true);
      if (!/^rediss?:\/\//.test(redis.url as string)) {
        throw new TwitchOptionsError('redis.url', 'must start with redis:// or rediss://');
      }
    } else {
      throw new TwitchOptionsError('redis', 'must have a "url" or a "client"');
    }
    number(redis.commandTimeoutMs, 'redis.commandTimeoutMs', 1, 60_000);
  }

  const rl = object(options.rateLimit, 'rateLimit') as TwitchRateLimitOptions;
  if (rl.enabled !== undefined && typeof rl.enabled !== 'boolean') {
    throw new TwitchOptionsError('rateLimit.enabled', 'must be a boolean');
  }
  number(rl.windowMs, 'rateLimit.windowMs', 1);
  number(rl.reserve, 'rateLimit.reserve', 0);
  number(rl.maxRetries, 'rateLimit.maxRetries', 0, 100);
  number(rl.maxWaitMs, 'rateLimit.maxWaitMs', 0);

  const retry = object(options.retry, 'retry') as TwitchRetryOptions;
  number(retry.maxRetries, 'retry.maxRetries', 0, 20);
  number(retry.baseDelayMs, 'retry.baseDelayMs', 0);
  number(retry.maxDelayMs, 'retry.maxDelayMs', 0);

  const cache = object(options.cache, 'cache') as TwitchCacheOptions;
  number(cache.defaultTtl, 'cache.defaultTtl', 0);
  number(cache.localMaxEntries, 'cache.localMaxEntries', 0);
  if (cache.manager !== undefined) {
    const m = cache.manager as unknown as { get?: unknown; set?: unknown };
    if (!m || typeof m.get !== 'function' || typeof m.set !== 'function') {
      throw new TwitchOptionsError('cache.manager', 'must be a cache-manager Cache (with get and set)');
    }
  }

  const tokens = object(options.tokens, 'tokens') as TwitchTokenOptions;
  if (tokens.store !== undefined) {
    const st = tokens.store as unknown as Record<string, unknown>;
    if (!st || ['get', 'set', 'delete', 'userIds'].some((m) => typeof st[m] !== 'function')) {
      throw new TwitchOptionsError('tokens.store', 'must be a TwitchTokenStore (get, set, delete, userIds)');
    }
  }
  let encryptionKey: Buffer | undefined;
  if (tokens.encryptionKey !== undefined) {
    nonEmptyString(tokens.encryptionKey, 'tokens.encryptionKey', true);
    try {
      encryptionKey = parseTokenKey(tokens.encryptionKey);
    } catch (err) {
      throw new TwitchOptionsError('tokens.encryptionKey', (err as Error).message);
    }
  }
  number(tokens.validateIntervalMs, 'tokens.validateIntervalMs', 1_000);
  if (tokens.validateOnStartup !== undefined && typeof tokens.validateOnStartup !== 'boolean') {
    throw new TwitchOptionsError('tokens.validateOnStartup', 'must be a boolean');
  }

  const d = TWITCH_DEFAULTS;
  return {
    clientId: options.clientId as string,
    clientSecret: options.clientSecret,
    redirectUri: options.redirectUri,
    redis: options.redis,
    redisCommandTimeoutMs: options.redis?.commandTimeoutMs ?? d.redisCommandTimeoutMs,
    helixUrl: (options.helixUrl ?? TWITCH_HELIX_URL).replace(/\/+$/, ''),
    authUrl: (options.authUrl ?? TWITCH_AUTH_URL).replace(/\/+$/, ''),
    timeout: options.timeout ?? d.timeout,
    // Connecting is part of the attempt: never longer than it.
    connectTimeout: Math.min(options.connectTimeout ?? d.connectTimeout, options.timeout ?? d.timeout),
    maxResponseBytes: options.maxResponseBytes ?? d.maxResponseBytes,
    keyPrefix: options.keyPrefix ?? d.keyPrefix,
    rateLimit: {
      enabled: rl.enabled ?? d.rateLimit.enabled,
      windowMs: rl.windowMs ?? d.rateLimit.windowMs,
      reserve: rl.reserve ?? d.rateLimit.reserve,
      maxRetries: rl.maxRetries ?? d.rateLimit.maxRetries,
      maxWaitMs: rl.maxWaitMs ?? d.rateLimit.maxWaitMs,
    },
    retry: {
      maxRetries: retry.maxRetries ?? d.retry.maxRetries,
      baseDelayMs: retry.baseDelayMs ?? d.retry.baseDelayMs,
      maxDelayMs: retry.maxDelayMs ?? d.retry.maxDelayMs,
    },
    cache: { defaultTtl: cache.defaultTtl ?? 0, localMaxEntries: cache.localMaxEntries ?? TWITCH_DEFAULTS.cacheLocalMaxEntries, manager: cache.manager },
    tokens: {
      store: tokens.store,
      encryptionKey,
      validateIntervalMs: tokens.validateIntervalMs ?? 3_600_000,
      validateOnStartup: tokens.validateOnStartup ?? true,
    },
    login: resolveLoginOptions(options.login),
  };
}

/** Validates `login` (guards and login flow) and fills in defaults. */
function resolveLoginOptions(input: TwitchLoginOptions | undefined): TwitchResolvedLoginOptions {
  const login = object(input, 'login') as TwitchLoginOptions;
  if (login.scopes !== undefined) {
    if (!Array.isArray(login.scopes) || login.scopes.some((s) => typeof s !== 'string' || !/^\S+$/.test(s))) {
      throw new TwitchOptionsError('login.scopes', 'must be an array of scope strings without spaces');
    }
  }
  for (const key of ['successRedirect', 'logoutRedirect'] as const) {
    const v = login[key];
    if (v === undefined) continue;
    nonEmptyString(v, `login.${key}`, true);
    if (!v.startsWith('/') || v.startsWith('//')) httpUrl(v, `login.${key}`, true);
  }
  if (login.forceVerify !== undefined && typeof login.forceVerify !== 'boolean') {
    throw new TwitchOptionsError('login.forceVerify', 'must be a boolean');
  }
  number(login.stateTtlMs, 'login.stateTtlMs', 1_000);
  number(login.sessionTtlMs, 'login.sessionTtlMs', 1_000);
  number(login.validationCacheTtlMs, 'login.validationCacheTtlMs', 0);
  number(login.invalidTokenCacheTtlMs, 'login.invalidTokenCacheTtlMs', 0);
  number(login.revalidateAfterMs, 'login.revalidateAfterMs', 0);
  if (login.cookieName !== undefined && (typeof login.cookieName !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(login.cookieName))) {
    throw new TwitchOptionsError('login.cookieName', 'must be a valid cookie name (letters, digits and !#$%&\'*+-.^_`|~)');
  }
  if (login.secureCookie !== undefined && typeof login.secureCookie !== 'boolean' && login.secureCookie !== 'auto') {
    throw new TwitchOptionsError('login.secureCookie', 'must be true, false or "auto"');
  }
  if (login.onLogin !== undefined && typeof login.onLogin !== 'function') {
    throw new TwitchOptionsError('login.onLogin', 'must be a function');
  }
  const validationCacheTtlMs = login.validationCacheTtlMs ?? 60_000;
  return {
    scopes: [...(login.scopes ?? [])],
    successRedirect: login.successRedirect ?? '/',
    logoutRedirect: login.logoutRedirect ?? '/',
    forceVerify: login.forceVerify ?? false,
    stateTtlMs: login.stateTtlMs ?? 600_000,
    sessionTtlMs: login.sessionTtlMs ?? 7 * 24 * 3_600_000,
    cookieName: login.cookieName ?? 'twitch_session',
    secureCookie: login.secureCookie ?? 'auto',
    validationCacheTtlMs,
    invalidTokenCacheTtlMs: Math.min(login.invalidTokenCacheTtlMs ?? 5_000, validationCacheTtlMs),
    revalidateAfterMs: login.revalidateAfterMs ?? 3_600_000,
    onLogin: login.onLogin,
  };
}

/**
 * The longest a Helix call can take before it settles, for a per-attempt `timeout` (ms): the wait for
 * the rate limiter (`rateLimit.maxWaitMs`, also the total for 429 waits), one attempt per retry after
 * a 5xx or a network error with its backoff, one more after a 401 renewed the token, and the token
 * fetch. Callers waiting on a shared request give up after this long.
 */
export function callBudgetMs(options: TwitchResolvedOptions, timeout = options.timeout): number {
  const attempts = options.retry.maxRetries + 2;
  return options.rateLimit.maxWaitMs + attempts * timeout + options.retry.maxRetries * options.retry.maxDelayMs + options.timeout;
}
