import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TwitchException } from '../../exceptions/twitch.exception.js';
import type { TwitchScope } from '../../generated/scopes.js';
import { TwitchKvStore } from '../../store/twitch-kv.store.js';
import { TWITCH_RESOLVED_OPTIONS } from '../../twitch.constants.js';
import { TwitchOptionsError, type TwitchResolvedOptions } from '../../twitch-options.js';
import { type TwitchIdentity, twitchIdentity } from '../guards/twitch-identity.js';
import { TwitchAuthService } from '../twitch-auth.service.js';
import type { TwitchUserToken } from '../twitch-auth.types.js';
import { TwitchUserTokenService } from '../twitch-user-token.service.js';
import { isSecureRequest, type TwitchHttpRequestLike } from './twitch-cookies.js';
import { TwitchLoginException } from '../../exceptions/twitch-login.exception.js';
import { issueLoginState, loginStateKey, readLoginStateCookie, sameLoginState, verifyLoginState } from './twitch-login-state.js';
import { normaliseReturnTo } from './twitch-return-to.js';
import { digest } from '../../utils/hash.js';
import { TwitchSessions, validationCacheKey } from './twitch-sessions.js';
import { twitchKey } from '../../redis/twitch-redis-key.js';

/**
 * The login flow behind `TwitchLoginModule`'s routes, usable from your own controller too:
 * `start` (redirect to Twitch with a one-time `state`), `finish` (the callback: check the state,
 * exchange the code, store the tokens, open a session) and `logout` (revoke, forget, clear the cookie).
 * `request` / `response` are the platform's objects (Express or Fastify).
 */
@Injectable()
export class TwitchLoginService implements OnModuleInit {
  private readonly sessions: TwitchSessions;
  private stateKeyBytes?: Buffer;

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
    if (!this.options.clientSecret)
      throw new TwitchOptionsError('clientSecret', 'is needed by TwitchLoginModule (code exchange)');
  }

  /**
   * Name of the cookie that binds a pending login's `state` to the browser that started it
   * (`__Host-` in front when the cookies are `Secure`).
   */
  get stateCookieName(): string {
    return `${this.options.login.cookieName}_state`;
  }

  /**
   * Starts a login: issues a signed one-time `state` valid for `login.stateTtlMs`, sets the state
   * cookie (the state and `returnTo`), and returns Twitch's authorize URL to redirect to. Nothing is
   * stored, so anonymous requests cannot fill the store. `returnTo` must be a path on this site.
   */
  async start(request: TwitchHttpRequestLike, response: unknown, opts: { returnTo?: unknown } = {}): Promise<string> {
    const returnTo = normaliseReturnTo(opts.returnTo);
    const ttl = this.options.login.stateTtlMs;
    const { state, cookie } = issueLoginState(this.stateSigningKey(), Date.now() + ttl, returnTo);
    this.sessions.setCookie(response, this.stateCookieName, cookie, ttl / 1000, request);
    return this.auth.getAuthorizationUrl({
      scopes: this.options.login.scopes as TwitchScope[],
      state,
      forceVerify: this.options.login.forceVerify || undefined,
    });
  }

  /**
   * The callback: checks the `state` (issued here, unexpired, to this browser, and used once), then
   * Twitch's answer: a denied consent or another `error` (its `error_description` is shown only
   * after the state checks), or a `code`, which is exchanged; stores the tokens, runs
   * `login.onLogin`, opens a session (cookie) and returns where to send the user. Throws
   * `TwitchLoginException` (4xx) with nothing stored on a missing, foreign, expired or replayed
   * `state`, a denied consent, or a refused code.
   */
  async finish(
    request: TwitchHttpRequestLike,
    response: unknown,
    query: Record<string, unknown>,
  ): Promise<{ identity: TwitchIdentity; redirectTo: string }> {
    const state = str(query.state);
    const cookie = readLoginStateCookie(this.sessions.readCookie(request, this.stateCookieName));
    if (cookie) this.sessions.clearCookie(response, this.stateCookieName, request);

    if (!state) throw new TwitchLoginException('missing_state', 'The login callback has no state: start the login again');
    if (!cookie || !sameLoginState(cookie.state, state)) {
      throw new TwitchLoginException('state_mismatch', 'The login state was not issued to this browser: start the login again');
    }
    const expiresAt = verifyLoginState(this.stateSigningKey(), state, cookie.returnTo);
    // The state is single-use whatever happens next: the first callback with it marks it used until it expires.
    const fresh = expiresAt !== undefined && (await this.kv.setIfAbsent(this.usedStateKey(state), '1', expiresAt - Date.now()));
    if (!fresh) {
      throw new TwitchLoginException(
        'invalid_state',
        'The login state is unknown, expired or already used: start the login again',
      );
    }
    // Signed with the state, so it is the one `start` checked; checked again all the same.
    const returnTo = normaliseReturnTo(cookie.returnTo);

    const error = str(query.error);
    if (error) {
      const description = (str(query.error_description) ?? error).slice(0, 300);
      if (error === 'access_denied') throw new TwitchLoginException('access_denied', `Twitch login cancelled: ${description}`);
      throw new TwitchLoginException('twitch_error', `Twitch login failed (${error.slice(0, 100)}): ${description}`);
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
    return { identity, redirectTo: returnTo ?? this.options.login.successRedirect };
  }

  /**
   * Logs out the session's user: ends the session, revokes the token at Twitch, removes the stored
   * tokens (so every session of that user ends) and clears the cookie. Harmless without a session.
   * A request another site sent (`Sec-Fetch-Site` other than `same-origin`/`none`, or an `Origin`
   * that is neither this request's origin nor `redirectUri`'s) is refused with 403
   * `cross_site_request`, and nothing is ended.
   */
  async logout(request: TwitchHttpRequestLike, response: unknown): Promise<{ userId?: string; redirectTo: string }> {
    if (!this.sameOrigin(request)) {
      throw new TwitchLoginException('cross_site_request', 'Logout must be sent by this site (a form on one of its pages)');
    }
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

  /** Was the request sent by this site? Requests without either header (not from a browser) pass. */
  private sameOrigin(request: TwitchHttpRequestLike): boolean {
    const site = header(request, 'sec-fetch-site');
    if (site !== undefined) return site === 'same-origin' || site === 'none';
    const origin = header(request, 'origin');
    if (origin === undefined) return true;
    if (origin === 'null') return false;
    const host = header(request, 'host');
    if (host && origin.toLowerCase() === `${isSecureRequest(request) ? 'https' : 'http'}://${host}`.toLowerCase()) return true;
    try {
      return this.options.redirectUri !== undefined && new URL(this.options.redirectUri).origin === new URL(origin).origin;
    } catch {
      return false;
    }
  }

  private stateSigningKey(): Buffer {
    this.stateKeyBytes ??= loginStateKey(this.options.clientId, this.options.clientSecret ?? '');
    return this.stateKeyBytes;
  }

  private usedStateKey(state: string): string {
    return twitchKey(this.options.keyPrefix, `login-state-used:${digest(state)}`);
  }
}

function header(request: TwitchHttpRequestLike, name: string): string | undefined {
  const v = request.headers[name];
  const value = Array.isArray(v) ? v[0] : v;
  return value ? value.trim() : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
