import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { TwitchException } from '../../exceptions/twitch.exception.js';
import type { TwitchScope } from '../../generated/scopes.js';
import { TwitchKvStore } from '../../store/twitch-kv.store.js';
import { TWITCH_RESOLVED_OPTIONS } from '../../twitch.constants.js';
import { TwitchOptionsError, type TwitchResolvedOptions } from '../../twitch-options.js';
import { type TwitchIdentity, twitchIdentity } from '../guards/twitch-identity.js';
import { TwitchAuthService } from '../twitch-auth.service.js';
import type { TwitchUserToken } from '../twitch-auth.types.js';
import { TwitchUserTokenService } from '../twitch-user-token.service.js';
import { readCookie, type TwitchHttpRequestLike } from './twitch-cookies.js';
import { TwitchLoginException } from './twitch-login.exception.js';
import { digest, randomToken, TwitchSessions, validationCacheKey } from './twitch-sessions.js';

/** What the login flow keeps per pending `state`. */
interface PendingLogin {
  returnTo?: string;
  createdAt: number;
}

/**
 * The login flow behind `TwitchLoginModule`'s routes, usable from your own controller too:
 * `start` (redirect to Twitch with a one-time `state`), `finish` (the callback: check the state,
 * exchange the code, store the tokens, open a session) and `logout` (revoke, forget, clear the cookie).
 * `request` / `response` are the platform's objects (Express or Fastify).
 */
@Injectable()
export class TwitchLoginService implements OnModuleInit {
  private readonly sessions: TwitchSessions;

  constructor(
    private readonly auth: TwitchAuthService,
    private readonly tokens: TwitchUserTokenService,
    private readonly kv: TwitchKvStore,
    @Inject(TWITCH_RESOLVED_OPTIONS) private readonly options: TwitchResolvedOptions,
  ) {
    this.sessions = new TwitchSessions(kv, options);
  }

  onModuleInit(): void {
    if (!this.options.redirectUri) {
      throw new TwitchOptionsError('redirectUri', 'is needed by TwitchLoginModule: set it to the URL of its callback route');
    }
    if (!this.options.clientSecret) throw new TwitchOptionsError('clientSecret', 'is needed by TwitchLoginModule (code exchange)');
  }

  /** Name of the cookie that binds a pending login's `state` to the browser that started it. */
  get stateCookieName(): string {
    return `${this.options.login.cookieName}_state`;
  }

  /**
   * Starts a login: stores a one-time `state` (for `login.stateTtlMs`), sets the state cookie, and
   * returns Twitch's authorize URL to redirect to. `returnTo` must be a relative path on this site.
   */
  async start(request: TwitchHttpRequestLike, response: unknown, opts: { returnTo?: unknown } = {}): Promise<string> {
    const returnTo = safeReturnTo(opts.returnTo);
    const state = randomToken();
    const pending: PendingLogin = { createdAt: Date.now(), ...(returnTo ? { returnTo } : {}) };
    const ttl = this.options.login.stateTtlMs;
    await this.kv.set(this.stateKey(state), JSON.stringify(pending), ttl);
    this.sessions.setCookie(response, this.stateCookieName, state, ttl / 1000, request);
    return this.auth.getAuthorizationUrl({
      scopes: this.options.login.scopes as TwitchScope[],
      state,
      forceVerify: this.options.login.forceVerify || undefined,
    });
  }

  /**
   * The callback: checks the `state` (one-time, issued here, to this browser), exchanges the `code`,
   * stores the tokens, runs `login.onLogin`, opens a session (cookie) and returns where to send the
   * user. Throws `TwitchLoginException` (4xx) with nothing stored on a denied consent, a missing,
   * foreign, expired or replayed `state`, or a refused code.
   */
  async finish(
    request: TwitchHttpRequestLike,
    response: unknown,
    query: Record<string, unknown>,
  ): Promise<{ identity: TwitchIdentity; redirectTo: string }> {
    const state = str(query.state);
    const cookieState = readCookie(request, this.stateCookieName);
    // The state is single-use whatever happens next.
    const pending = state ? parsePending(await this.kv.take(this.stateKey(state))) : undefined;
    if (cookieState !== undefined) this.sessions.clearCookie(response, this.stateCookieName, request);

    const error = str(query.error);
    if (error) {
      const description = (str(query.error_description) ?? error).slice(0, 300);
      if (error === 'access_denied') throw new TwitchLoginException('access_denied', `Twitch login cancelled: ${description}`);
      throw new TwitchLoginException('twitch_error', `Twitch login failed (${error.slice(0, 100)}): ${description}`);
    }
    if (!state) throw new TwitchLoginException('missing_state', 'The login callback has no state: start the login again');
    if (!cookieState || !sameSecret(cookieState, state)) {
      throw new TwitchLoginException('state_mismatch', 'The login state was not issued to this browser: start the login again');
    }
    if (!pending) {
      throw new TwitchLoginException('invalid_state', 'The login state is unknown, expired or already used: start the login again');
    }
    const code = str(query.code);
    if (!code) throw new TwitchLoginException('missing_code', 'The login callback has no authorization code');

    let token: TwitchUserToken;
    try {
      token = await this.auth.exchangeCode(code);
    } catch (err) {
      const status = err instanceof TwitchException ? err.twitchStatus : undefined;
      if (status !== undefined && status >= 400 && status < 500) {
        const why = (err as TwitchException).twitchMessage;
        throw new TwitchLoginException('code_rejected', `Twitch refused the authorization code${why ? `: ${why}` : ''}`);
      }
      throw err;
    }

    const stored = await this.tokens.save(token);
    const identity = twitchIdentity(stored, 'session', stored.accessToken);
    if (this.options.login.onLogin) {
      try {
        await this.options.login.onLogin(identity, request);
      } catch (err) {
        // The app refused the login: leave nothing behind.
        await this.tokens.remove(stored.userId, { revoke: true });
        throw err;
      }
    }

    const previous = this.sessions.sessionId(request);
    if (previous) await this.sessions.destroy(previous);
    await this.sessions.create(stored.userId, request, response);
    return { identity, redirectTo: pending.returnTo ?? this.options.login.successRedirect };
  }

  /**
   * Logs out the session's user: ends the session, revokes the token at Twitch, removes the stored
   * tokens (so every session of that user ends) and clears the cookie. Harmless without a session.
   */
  async logout(request: TwitchHttpRequestLike, response: unknown): Promise<{ userId?: string; redirectTo: string }> {
    const sessionId = this.sessions.sessionId(request);
    const userId = sessionId ? await this.sessions.destroy(sessionId) : undefined;
    if (userId) {
      const stored = await this.tokens.get(userId);
      await this.tokens.remove(userId, { revoke: true });
      // The revoked token must not pass as a bearer token on the strength of a cached validation.
      if (stored?.accessToken) await this.kv.delete(validationCacheKey(this.options.keyPrefix, stored.accessToken));
    }
    this.sessions.clearCookie(response, this.sessions.cookieName, request);
    return { userId, redirectTo: this.options.login.logoutRedirect };
  }

  private stateKey(state: string): string {
    return `${this.options.keyPrefix}login-state:${digest(state)}`;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(digest(a)), Buffer.from(digest(b)));
}

function parsePending(raw: string | undefined): PendingLogin | undefined {
  if (!raw) return undefined;
  try {
    const p = JSON.parse(raw) as PendingLogin;
    return p && typeof p === 'object' ? p : undefined;
  } catch {
    return undefined;
  }
}

/** A `returnTo` that stays on this site: a path starting with one `/`, no scheme, no host, no backslash. */
function safeReturnTo(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  const bad = () => new TwitchLoginException('invalid_return_to', 'returnTo must be a relative path on this site, like /me');
  if (typeof value !== 'string' || value.length > 2048) throw bad();
  if (!value.startsWith('/') || value.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(value)) throw bad();
  const base = 'http://return-to.invalid';
  const url = new URL(value, base);
  if (url.origin !== base) throw bad();
  return url.pathname + url.search + url.hash;
}
