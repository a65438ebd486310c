import type { Cache } from 'cache-manager';
import { parseTokenKey } from './auth/token-store/twitch-token-cipher.js';
import type { TwitchTokenStore } from './auth/token-store/twitch-token-store.js';
import type { TwitchRateLimitStore } from './rate-limit/twitch-rate-limit.store.js';
import type { TwitchKvStore } from './store/twitch-kv.store.js';
import type {
  TwitchCacheOptions,
  TwitchModuleOptions,
  TwitchTokenOptions,
  TwitchRateLimitOptions,
  TwitchRetryOptions,
} from './interfaces/twitch-module-options.interface.js';
import { keyPrefixHashTagProblem } from './redis/twitch-redis-key.js';
import { TWITCH_DEFAULTS } from './twitch.constants.js';
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
  /** The app's own store of shared short-lived state, if it gave one. */
  stateStore?: TwitchKvStore;
  rateLimit: Required<Omit<TwitchRateLimitOptions, 'store'>> & { store?: TwitchRateLimitStore };
  /** One `debug` log line per Helix call. */
  debug: boolean;
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

/**
 * A description of the option keys known at one level: `true` for a value, a nested description for an
 * object whose keys are checked too. Adding an option is one line here (and its validation below).
 */
export type TwitchOptionKeys = { readonly [key: string]: true | TwitchOptionKeys };

/** Keys of `T` (all of them: the compiler refuses a description that forgets one), plus keys not yet typed. */
function keysOf<T>(keys: { readonly [K in keyof Required<T>]: true | TwitchOptionKeys } & TwitchOptionKeys): TwitchOptionKeys {
  return keys;
}

/** Every option key the module knows, level by level. */
export const KNOWN_OPTIONS: TwitchOptionKeys = keysOf<TwitchModuleOptions>({
  clientId: true,
  clientSecret: true,
  redirectUri: true,
  redis: { url: true, client: true, cluster: { rootNodes: true }, commandTimeoutMs: true },
  helixUrl: true,
  authUrl: true,
  timeout: true,
  connectTimeout: true,
  maxResponseBytes: true,
  keyPrefix: true,
  stateStore: true,
  debug: true,
  rateLimit: keysOf<TwitchRateLimitOptions>({
    enabled: true,
    windowMs: true,
    reserve: true,
    maxRetries: true,
    maxWaitMs: true,
    store: true,
  }),
  retry: keysOf<TwitchRetryOptions>({ maxRetries: true, baseDelayMs: true, maxDelayMs: true }),
  cache: keysOf<TwitchCacheOptions>({ defaultTtl: true, localMaxEntries: true, manager: true }),
  tokens: keysOf<TwitchTokenOptions>({ store: true, encryptionKey: true, validateIntervalMs: true, validateOnStartup: true }),
  login: keysOf<TwitchLoginOptions>({
    scopes: true,
    successRedirect: true,
    logoutRedirect: true,
    forceVerify: true,
    stateTtlMs: true,
    sessionTtlMs: true,
    cookieName: true,
    secureCookie: true,
    validationCacheTtlMs: true,
    invalidTokenCacheTtlMs: true,
    revalidateAfterMs: true,
    onLogin: true,
  }),
});

/** Keys that belong to `forRoot()` / `forRootAsync()` themselves, not to the options object. */
const REGISTRATION_KEYS = new Set([
  'isGlobal',
  'imports',
  'inject',
  'useFactory',
  'useClass',
  'useExisting',
  'provideInjectionTokensFrom',
]);

/** Throws on the first key `known` does not describe, naming it and the closest known key. */
function checkKnownKeys(value: Record<string, unknown>, known: TwitchOptionKeys, path: string): void {
  for (const key of Object.keys(value)) {
    const option = path + key;
    if (!Object.hasOwn(known, key)) {
      if (!path && REGISTRATION_KEYS.has(key)) {
        const where = 'give it to TwitchModule.forRoot() or forRootAsync() itself';
        throw new TwitchOptionsError(option, `is not an option of the module: ${where}`);
      }
      const near = closestKey(key, Object.keys(known));
      throw new TwitchOptionsError(
        option,
        near ? `is not known; did you mean "${path + near}"?` : `is not known (known here: ${Object.keys(known).join(', ')})`,
      );
    }
    const spec = known[key];
    const nested = value[key];
    if (spec !== true && isPlainObject(nested)) checkKnownKeys(nested, spec, `${option}.`);
  }
}

/** The known key a misspelt one most likely meant: same letters in another case, a prefix, or a few edits away. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  const k = key.toLowerCase();
  const sameLetters = known.find((c) => c.toLowerCase() === k);
  if (sameLetters) return sameLetters;
  const prefixes = known
    .filter((c) => c.length >= 3 && (k.startsWith(c.toLowerCase()) || c.toLowerCase().startsWith(k)) && k.length >= 3)
    .sort((a, b) => b.length - a.length);
  if (prefixes.length) return prefixes[0];
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.ceil(k.length / 3)) + 1;
  for (const c of known) {
    const d = editDistance(k, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * What was received, for error messages: the type, and the value itself for numbers and booleans only
 * (strings may be secrets or URLs with passwords, so their content is never shown).
 */
function received(value: unknown): string {
  if (value === null) return 'got null';
  if (Array.isArray(value)) return 'got an array';
  switch (typeof value) {
    case 'undefined':
      return 'got nothing';
    case 'string':
      return value.trim() === '' ? 'got an empty string' : 'got a string';
    case 'number':
    case 'boolean':
    case 'bigint':
      return `got ${typeof value === 'bigint' ? `${value}n` : String(value)}`;
    case 'object':
      return 'got an object';
    case 'function':
      return 'got a function';
    default:
      return `got a ${typeof value}`;
  }
}

function fail(option: string, expected: string, value: unknown): never {
  throw new TwitchOptionsError(option, `${expected} (${received(value)})`);
}

function nonEmptyString(value: unknown, option: string, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value.trim() === '') fail(option, 'must be a non-empty string', value);
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
    throw new TwitchOptionsError(option, `must be an http(s) URL (got one with ${url.protocol.replace(/:$/, '')}:)`);
  }
}

function number(value: unknown, option: string, min: number, max = Number.MAX_SAFE_INTEGER, integer = true): void {
  if (value === undefined) return;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    fail(option, `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`, value);
  }
}

function boolean(value: unknown, option: string): void {
  if (value !== undefined && typeof value !== 'boolean') fail(option, 'must be a boolean', value);
}

/** A pluggable part: an instance of the abstract class, or anything with its methods (checked by name). */
function store(value: unknown, option: string, className: string, methods: readonly string[]): void {
  if (value === undefined) return;
  const st = value as Record<string, unknown> | null;
  if (!st || typeof st !== 'object' || methods.some((m) => typeof st[m] !== 'function')) {
    fail(option, `must be a ${className} (${methods.join(', ')})`, value);
  }
}

function object(value: unknown, option: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) fail(option, 'must be an object', value);
  return value;
}

/** Validates the module options and fills in defaults. Throws `TwitchOptionsError` naming the first bad option. */
export function resolveTwitchOptions(input: TwitchModuleOptions): TwitchResolvedOptions {
  const options = object(input, 'options') as Partial<TwitchModuleOptions>;
  checkKnownKeys(options, KNOWN_OPTIONS, '');
  nonEmptyString(options.clientId, 'clientId', true);
  nonEmptyString(options.clientSecret, 'clientSecret', false);
  httpUrl(options.redirectUri, 'redirectUri', false);
  httpUrl(options.helixUrl, 'helixUrl', false);
  httpUrl(options.authUrl, 'authUrl', false);
  number(options.timeout, 'timeout', 1, 600_000);
  number(options.connectTimeout, 'connectTimeout', 1, 600_000);
  number(options.maxResponseBytes, 'maxResponseBytes', 1_024, 1_073_741_824);
  if (options.keyPrefix !== undefined && typeof options.keyPrefix !== 'string')
    fail('keyPrefix', 'must be a string', options.keyPrefix);
  store(options.stateStore, 'stateStore', 'TwitchKvStore', ['get', 'set', 'setIfAbsent', 'take', 'delete', 'deleteIf']);
  const tagProblem = options.keyPrefix === undefined ? undefined : keyPrefixHashTagProblem(options.keyPrefix);
  if (tagProblem) throw new TwitchOptionsError('keyPrefix', tagProblem);
  if (options.debug !== undefined && typeof options.debug !== 'boolean') fail('debug', 'must be a boolean', options.debug);

  if (options.redis !== undefined) {
    const redis = object(options.redis, 'redis');
    const given = (['url', 'cluster', 'client'] as const).filter((k) => redis[k] !== undefined);
    if (given.length > 1) {
      throw new TwitchOptionsError(
        `redis.${given[1]}`,
        `cannot be given with "redis.${given[0]}": give one of url, cluster or client`,
      );
    }
    if ('client' in redis) {
      const client = redis.client as { sendCommand?: unknown } | undefined;
      if (!client || typeof client.sendCommand !== 'function') {
        fail('redis.client', 'must be a node-redis client (createClient from "redis")', client);
      }
    } else if (redis.url !== undefined) {
      nonEmptyString(redis.url, 'redis.url', true);
      if (!/^rediss?:\/\//.test(redis.url as string)) {
        throw new TwitchOptionsError('redis.url', 'must start with redis:// or rediss://');
      }
    } else if (redis.cluster !== undefined) {
      const cluster = object(redis.cluster, 'redis.cluster') as { rootNodes?: unknown };
      const nodes = cluster.rootNodes;
      if (!Array.isArray(nodes) || nodes.length === 0)
        fail('redis.cluster.rootNodes', 'must be a non-empty array of Redis URLs', nodes);
      (nodes as unknown[]).forEach((url, i) => {
        nonEmptyString(url, `redis.cluster.rootNodes[${i}]`, true);
        if (!/^rediss?:\/\//.test(url as string)) {
          throw new TwitchOptionsError(`redis.cluster.rootNodes[${i}]`, 'must start with redis:// or rediss://');
        }
      });
    } else {
      throw new TwitchOptionsError('redis', 'must have a "url", a "cluster" or a "client" (got none)');
    }
    number(redis.commandTimeoutMs, 'redis.commandTimeoutMs', 1, 60_000);
  }

  const rl = object(options.rateLimit, 'rateLimit') as TwitchRateLimitOptions;
  boolean(rl.enabled, 'rateLimit.enabled');
  number(rl.windowMs, 'rateLimit.windowMs', 1);
  number(rl.reserve, 'rateLimit.reserve', 0);
  number(rl.maxRetries, 'rateLimit.maxRetries', 0, 100);
  number(rl.maxWaitMs, 'rateLimit.maxWaitMs', 0);
  store(rl.store, 'rateLimit.store', 'TwitchRateLimitStore', ['take', 'observe']);

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
      fail('cache.manager', 'must be a cache-manager Cache (with get and set)', cache.manager);
    }
  }

  const tokens = object(options.tokens, 'tokens') as TwitchTokenOptions;
  store(tokens.store, 'tokens.store', 'TwitchTokenStore', ['get', 'set', 'delete', 'userIds']);
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
  boolean(tokens.validateOnStartup, 'tokens.validateOnStartup');

  const d = TWITCH_DEFAULTS;
  return {
    clientId: options.clientId as string,
    clientSecret: options.clientSecret,
    redirectUri: options.redirectUri,
    redis: options.redis,
    redisCommandTimeoutMs: options.redis?.commandTimeoutMs ?? d.redis.commandTimeoutMs,
    helixUrl: (options.helixUrl ?? d.helixUrl).replace(/\/+$/, ''),
    authUrl: (options.authUrl ?? d.authUrl).replace(/\/+$/, ''),
    timeout: options.timeout ?? d.timeout,
    // Connecting is part of the attempt: never longer than it.
    connectTimeout: Math.min(options.connectTimeout ?? d.connectTimeout, options.timeout ?? d.timeout),
    maxResponseBytes: options.maxResponseBytes ?? d.maxResponseBytes,
    keyPrefix: options.keyPrefix ?? d.keyPrefix,
    stateStore: options.stateStore,
    debug: options.debug ?? d.debug,
    rateLimit: {
      enabled: rl.enabled ?? d.rateLimit.enabled,
      windowMs: rl.windowMs ?? d.rateLimit.windowMs,
      reserve: rl.reserve ?? d.rateLimit.reserve,
      maxRetries: rl.maxRetries ?? d.rateLimit.maxRetries,
      maxWaitMs: rl.maxWaitMs ?? d.rateLimit.maxWaitMs,
      store: rl.store,
    },
    retry: {
      maxRetries: retry.maxRetries ?? d.retry.maxRetries,
      baseDelayMs: retry.baseDelayMs ?? d.retry.baseDelayMs,
      maxDelayMs: retry.maxDelayMs ?? d.retry.maxDelayMs,
    },
    cache: {
      defaultTtl: cache.defaultTtl ?? d.cache.defaultTtl,
      localMaxEntries: cache.localMaxEntries ?? d.cache.localMaxEntries,
      // A cache-manager Cache at run time (checked above); typed by its get and set only, see TwitchCacheManager.
      manager: cache.manager as Cache | undefined,
    },
    tokens: {
      store: tokens.store,
      encryptionKey,
      validateIntervalMs: tokens.validateIntervalMs ?? d.tokens.validateIntervalMs,
      validateOnStartup: tokens.validateOnStartup ?? d.tokens.validateOnStartup,
    },
    login: resolveLoginOptions(options.login),
  };
}

/** Validates `login` (guards and login flow) and fills in defaults. */
function resolveLoginOptions(input: TwitchLoginOptions | undefined): TwitchResolvedLoginOptions {
  const login = object(input, 'login') as TwitchLoginOptions;
  if (login.scopes !== undefined) {
    if (!Array.isArray(login.scopes) || login.scopes.some((s) => typeof s !== 'string' || !/^\S+$/.test(s))) {
      fail('login.scopes', 'must be an array of scope strings without spaces', login.scopes);
    }
  }
  for (const key of ['successRedirect', 'logoutRedirect'] as const) {
    const v = login[key];
    if (v === undefined) continue;
    nonEmptyString(v, `login.${key}`, true);
    if (!v.startsWith('/') || v.startsWith('//')) httpUrl(v, `login.${key}`, true);
  }
  boolean(login.forceVerify, 'login.forceVerify');
  number(login.stateTtlMs, 'login.stateTtlMs', 1_000);
  number(login.sessionTtlMs, 'login.sessionTtlMs', 1_000);
  number(login.validationCacheTtlMs, 'login.validationCacheTtlMs', 0);
  number(login.invalidTokenCacheTtlMs, 'login.invalidTokenCacheTtlMs', 0);
  number(login.revalidateAfterMs, 'login.revalidateAfterMs', 0);
  if (
    login.cookieName !== undefined &&
    (typeof login.cookieName !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(login.cookieName))
  ) {
    fail('login.cookieName', "must be a valid cookie name (letters, digits and !#$%&'*+-.^_`|~)", login.cookieName);
  }
  if (login.secureCookie !== undefined && typeof login.secureCookie !== 'boolean' && login.secureCookie !== 'auto') {
    fail('login.secureCookie', 'must be true, false or "auto"', login.secureCookie);
  }
  if (login.onLogin !== undefined && typeof login.onLogin !== 'function') {
    fail('login.onLogin', 'must be a function', login.onLogin);
  }
  const d = TWITCH_DEFAULTS.login;
  const validationCacheTtlMs = login.validationCacheTtlMs ?? d.validationCacheTtlMs;
  return {
    scopes: [...(login.scopes ?? d.scopes)],
    successRedirect: login.successRedirect ?? d.successRedirect,
    logoutRedirect: login.logoutRedirect ?? d.logoutRedirect,
    forceVerify: login.forceVerify ?? d.forceVerify,
    stateTtlMs: login.stateTtlMs ?? d.stateTtlMs,
    sessionTtlMs: login.sessionTtlMs ?? d.sessionTtlMs,
    cookieName: login.cookieName ?? d.cookieName,
    secureCookie: login.secureCookie ?? d.secureCookie,
    validationCacheTtlMs,
    invalidTokenCacheTtlMs: Math.min(login.invalidTokenCacheTtlMs ?? d.invalidTokenCacheTtlMs, validationCacheTtlMs),
    revalidateAfterMs: login.revalidateAfterMs ?? d.revalidateAfterMs,
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
