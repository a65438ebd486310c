import { randomBytes } from 'node:crypto';
import type { TwitchKvStore } from '../../store/twitch-kv.store.js';
import type { TwitchResolvedOptions } from '../../twitch-options.js';
import { digest } from '../../utils/hash.js';
import { parseJsonObject } from '../../utils/json.js';
import { appendSetCookie, isSecureRequest, readCookie, serializeCookie, type TwitchHttpRequestLike } from './twitch-cookies.js';
import { twitchKey } from '../../redis/twitch-redis-key.js';

/** Key of the guard's cached `/oauth2/validate` answer for a token (a digest of the token, never the token). */
export function validationCacheKey(keyPrefix: string, accessToken: string): string {
  return twitchKey(keyPrefix, `auth:validation:${digest(accessToken)}`);
}

/** 32 random bytes, base64url. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Prefix of cookies set with `Secure`: the browser then takes them only from this host, over https,
 * with `Path=/` and no `Domain`.
 */
export const HOST_COOKIE_PREFIX = '__Host-';

/**
 * Login sessions: a random session id in an HttpOnly cookie, `session → userId` in the shared
 * key-value store (keyed by the id's SHA-256, so the store holds nothing a cookie could be made from).
 * Cookies set with `Secure` are named with the `__Host-` prefix (`__Host-twitch_session`), so a
 * sibling subdomain or a plain-http page cannot plant or overwrite them; on such requests only the
 * prefixed name is read.
 */
export class TwitchSessions {
  constructor(
    private readonly kv: TwitchKvStore,
    private readonly options: TwitchResolvedOptions,
  ) {}

  get cookieName(): string {
    return this.options.login.cookieName;
  }

  /** The name a cookie has on this request: `__Host-<name>` when the cookies are `Secure`. */
  cookieNameFor(name: string, request: TwitchHttpRequestLike): string {
    return this.secure(request) ? HOST_COOKIE_PREFIX + name : name;
  }

  /** A cookie of the request, under the name it has on this request (see `cookieNameFor`). */
  readCookie(request: TwitchHttpRequestLike, name: string): string | undefined {
    return readCookie(request, this.cookieNameFor(name, request));
  }

  private key(sessionId: string): string {
    return twitchKey(this.options.keyPrefix, `session:${digest(sessionId)}`);
  }

  /** The session id of the request's cookie, if any. */
  sessionId(request: TwitchHttpRequestLike): string | undefined {
    return this.readCookie(request, this.cookieName);
  }

  /** The user of a session, or undefined when the session is unknown or expired. */
  async userId(sessionId: string): Promise<string | undefined> {
    const raw = await this.kv.get(this.key(sessionId));
    if (!raw) return undefined;
    const userId = parseJsonObject(raw)?.userId;
    return typeof userId === 'string' && userId ? userId : undefined;
  }

  /** Creates a session for the user and sets its cookie. */
  async create(userId: string, request: TwitchHttpRequestLike, response: unknown): Promise<void> {
    const sessionId = randomToken();
    const ttl = this.options.login.sessionTtlMs;
    await this.kv.set(this.key(sessionId), JSON.stringify({ userId, createdAt: Date.now() }), ttl);
    this.setCookie(response, this.cookieName, sessionId, ttl / 1000, request);
  }

  /** Ends a session; returns its user, if it was live. */
  async destroy(sessionId: string): Promise<string | undefined> {
    const raw = await this.kv.take(this.key(sessionId));
    if (!raw) return undefined;
    const userId = parseJsonObject(raw)?.userId;
    return typeof userId === 'string' ? userId : undefined;
  }

  /** Sets a cookie (`name` without prefix; see `cookieNameFor`). */
  setCookie(response: unknown, name: string, value: string, maxAgeSeconds: number, request: TwitchHttpRequestLike): void {
    const secure = this.secure(request);
    appendSetCookie(response, serializeCookie(this.cookieNameFor(name, request), value, { maxAge: maxAgeSeconds, secure }));
  }

  clearCookie(response: unknown, name: string, request: TwitchHttpRequestLike): void {
    const secure = this.secure(request);
    appendSetCookie(response, serializeCookie(this.cookieNameFor(name, request), '', { maxAge: 0, secure }));
  }

  /** Are the cookies of this request `Secure` (`login.secureCookie`, or https with `'auto'`)? */
  secure(request: TwitchHttpRequestLike): boolean {
    const s = this.options.login.secureCookie;
    return s === 'auto' ? isSecureRequest(request) : s;
  }
}
