import { type CanActivate, type ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { TwitchLoginRequiredException } from '../../exceptions/twitch-oauth.exception.js';
import { TwitchException } from '../../exceptions/twitch.exception.js';
import { TwitchKvStore } from '../../store/twitch-kv.store.js';
import { TWITCH_RESOLVED_OPTIONS } from '../../twitch.constants.js';
import type { TwitchResolvedOptions } from '../../twitch-options.js';
import type { TwitchStoredToken } from '../token-store/twitch-token-store.js';
import { TwitchAuthService } from '../twitch-auth.service.js';
import { TwitchUserTokenService } from '../twitch-user-token.service.js';
import type { TwitchHttpRequestLike } from '../login/twitch-cookies.js';
import { TwitchSessions, validationCacheKey } from '../login/twitch-sessions.js';
import { parseJsonObject } from '../../utils/json.js';
import { TWITCH_AUTH_SCOPES } from './twitch-auth.constants.js';
import { TwitchAuthRequiredException, TwitchInsufficientScopeException } from '../../exceptions/twitch-guard.exception.js';
import { type TwitchIdentity, twitchIdentity, TWITCH_USER_REQUEST_KEY } from './twitch-identity.js';

/** A cached answer of `/oauth2/validate` for a bearer token (stored under the token's SHA-256). */
type CachedValidation =
  | { ok: true; userId: string; login: string; scopes: string[]; expiresAt?: number }
  | { ok: false; reason: 'invalid_token' | 'not_user_token' | 'foreign_client' };

const BEARER = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i;
/** A session token expiring within this time is refreshed before use. */
const EXPIRY_SKEW_MS = 10_000;

/** Bootstrap error of a module that uses `@TwitchAuth()` but cannot see what `TwitchModule` exports. */
export const TWITCH_MODULE_MISSING =
  '@TwitchAuth() is used in a module that cannot see TwitchModule: register TwitchModule.forRoot() or forRootAsync() ' +
  'with isGlobal: true, or import that registration into the module that declares the guarded controller';

const MESSAGES = {
  no_credentials: 'Twitch login required: send "Authorization: Bearer <user access token>" or log in with Twitch',
  malformed_authorization: 'The Authorization header must be "Bearer <Twitch user access token>"',
  invalid_token: 'The Twitch access token is invalid, expired or revoked',
  not_user_token: 'The token is a Twitch app access token; a user access token is needed',
  foreign_client: 'The Twitch access token was issued to another application',
  session_expired: 'The Twitch login session expired or is unknown: log in again',
  login_required: 'The Twitch login is no longer valid: log in again',
} as const;

/**
 * The guard behind `@TwitchAuth()`. Authenticates the request as a Twitch user, from
 *
 * - `Authorization: Bearer <user access token>`: validated with Twitch (`/oauth2/validate`); the
 *   answer is cached in the module's key-value store (Redis when configured) under a SHA-256 digest
 *   of the token for `login.validationCacheTtlMs`, invalid tokens for `login.invalidTokenCacheTtlMs`;
 *   tokens of other applications and app tokens are refused;
 * - otherwise the `TwitchLoginModule` session cookie: session → user → stored tokens; a token Twitch
 *   validated within `login.revalidateAfterMs` is trusted, others are validated again, and an
 *   expired or refused one is refreshed (once for all instances) before the request is refused,
 *
 * then checks the scopes the route requires, and puts the identity on `request.twitchUser`.
 */
@Injectable()
export class TwitchAuthGuard implements CanActivate {
  private readonly sessions: TwitchSessions;
  private readonly auth: TwitchAuthService;
  private readonly tokens: TwitchUserTokenService;
  private readonly kv: TwitchKvStore;
  private readonly options: TwitchResolvedOptions;

  /**
   * The services come from `TwitchModule`; they are optional only so that a module that uses
   * `@TwitchAuth()` without `TwitchModule` fails its bootstrap with a message saying what to import.
   */
  constructor(
    private readonly reflector: Reflector,
    @Optional() @Inject(TwitchAuthService) auth: TwitchAuthService | undefined,
    @Optional() @Inject(TwitchUserTokenService) tokens: TwitchUserTokenService | undefined,
    @Optional() @Inject(TwitchKvStore) kv: TwitchKvStore | undefined,
    @Optional() @Inject(TWITCH_RESOLVED_OPTIONS) options: TwitchResolvedOptions | undefined,
  ) {
    if (!auth || !tokens || !kv || !options) throw new Error(TWITCH_MODULE_MISSING);
    this.auth = auth;
    this.tokens = tokens;
    this.kv = kv;
    this.options = options;
    this.sessions = new TwitchSessions(kv, options);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') throw new Error(`@TwitchAuth() guards HTTP routes only, not ${context.getType()} handlers`);
    const scopes =
      this.reflector.getAllAndOverride<string[] | undefined>(TWITCH_AUTH_SCOPES, [context.getHandler(), context.getClass()]) ??
      [];
    const request = context.switchToHttp().getRequest<TwitchHttpRequestLike & Record<string, unknown>>();
    const identity = await this.authenticate(request);
    const missing = scopes.filter((s) => !identity.scopes.includes(s));
    if (missing.length) throw new TwitchInsufficientScopeException(missing);
    request[TWITCH_USER_REQUEST_KEY] = identity;
    return true;
  }

  /** The request's Twitch identity (bearer token first, then session cookie); throws a 401 otherwise. */
  async authenticate(request: TwitchHttpRequestLike): Promise<TwitchIdentity> {
    const header = request.headers.authorization;
    if (header !== undefined && header !== '') {
      const match = BEARER.exec(Array.isArray(header) ? header[0] : header);
      if (!match) throw fail('malformed_authorization');
      return this.fromBearer(match[1]);
    }
    const sessionId = this.sessions.sessionId(request);
    if (sessionId) return this.fromSession(sessionId);
    throw fail('no_credentials');
  }

  private async fromBearer(token: string): Promise<TwitchIdentity> {
    const key = validationCacheKey(this.options.keyPrefix, token);
    const { validationCacheTtlMs, invalidTokenCacheTtlMs } = this.options.login;
    let result = validationCacheTtlMs > 0 ? parseCached(await this.kv.get(key)) : undefined;
    if (result?.ok && result.expiresAt !== undefined && result.expiresAt <= Date.now()) result = undefined;
    if (!result) {
      result = await this.validate(token);
      const ttl = result.ok
        ? Math.min(validationCacheTtlMs, result.expiresAt !== undefined ? result.expiresAt - Date.now() : Infinity)
        : invalidTokenCacheTtlMs;
      if (ttl > 0) await this.kv.set(key, JSON.stringify(result), ttl);
    }
    if (!result.ok) throw fail(result.reason);
    return twitchIdentity(result, 'bearer', token);
  }

  /** Asks Twitch. Errors other than "invalid token" (Twitch unreachable, 5xx) propagate as they are. */
  private async validate(token: string): Promise<CachedValidation> {
    try {
      const v = await this.auth.validateToken(token);
      if (v.clientId !== this.options.clientId) return { ok: false, reason: 'foreign_client' };
      if (!v.userId) return { ok: false, reason: 'not_user_token' };
      return {
        ok: true,
        userId: v.userId,
        login: v.login ?? '',
        scopes: [...v.scopes],
        expiresAt: v.expiresIn > 0 ? Date.now() + v.expiresIn * 1000 : undefined,
      };
    } catch (err) {
      if (isUnauthorized(err)) return { ok: false, reason: 'invalid_token' };
      throw err;
    }
  }

  private async fromSession(sessionId: string): Promise<TwitchIdentity> {
    const userId = await this.sessions.userId(sessionId);
    if (!userId) throw fail('session_expired');
    const stored = await this.tokens.get(userId);
    if (!stored || !stored.accessToken || stored.needsLogin) throw fail('login_required');

    const now = Date.now();
    if (stored.expiresAt !== undefined && stored.expiresAt <= now + EXPIRY_SKEW_MS) return this.refreshed(stored);
    if (stored.validatedAt !== undefined && now - stored.validatedAt < this.options.login.revalidateAfterMs) {
      return twitchIdentity(stored, 'session', stored.accessToken);
    }
    try {
      const v = await this.auth.validateToken(stored.accessToken);
      if (v.userId !== userId) throw fail('login_required');
      const updated: TwitchStoredToken = {
        ...stored,
        scopes: [...v.scopes],
        validatedAt: Date.now(),
        expiresAt: v.expiresIn > 0 ? Date.now() + v.expiresIn * 1000 : stored.expiresAt,
      };
      await this.tokens.recordValidation(userId, stored.accessToken, v);
      return twitchIdentity(updated, 'session', updated.accessToken);
    } catch (err) {
      if (!isUnauthorized(err)) throw err;
      return this.refreshed(stored);
    }
  }

  /** Refreshes the session user's token (shared with every instance); 401 if Twitch refuses. */
  private async refreshed(stored: TwitchStoredToken): Promise<TwitchIdentity> {
    try {
      await this.tokens.refresh(stored.userId, stored.accessToken);
    } catch (err) {
      if (err instanceof TwitchLoginRequiredException) throw fail('login_required');
      throw err;
    }
    const fresh = await this.tokens.get(stored.userId);
    if (!fresh || !fresh.accessToken || fresh.needsLogin) throw fail('login_required');
    return twitchIdentity(fresh, 'session', fresh.accessToken);
  }
}

function fail(reason: keyof typeof MESSAGES): TwitchAuthRequiredException {
  return new TwitchAuthRequiredException(reason, MESSAGES[reason]);
}

function isUnauthorized(err: unknown): boolean {
  return (
    err instanceof TwitchException && (err.twitchStatus === 401 || (err.twitchStatus === undefined && err.getStatus() === 401))
  );
}

function parseCached(raw: string | undefined): CachedValidation | undefined {
  const v = parseJsonObject(raw);
  return v && typeof v.ok === 'boolean' ? (v as unknown as CachedValidation) : undefined;
}
