import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { TwitchLoginRequiredException } from '../exceptions/twitch-oauth.exception.js';
import {
  TwitchAppCredentialsException,
  TwitchException,
  TwitchServiceUnavailableException,
} from '../exceptions/twitch.exception.js';
import { TwitchTelemetry } from '../observability/twitch-telemetry.js';
import { TwitchKvStore } from '../store/twitch-kv.store.js';
import { ifLockFree, TwitchLockTimeoutError, underSharedLock } from '../store/twitch-lock.js';
import { TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import type { TwitchResolvedOptions } from '../twitch-options.js';
import { TwitchSingleFlight } from '../utils/single-flight.js';
import { TwitchAuthService } from './twitch-auth.service.js';
import type { TwitchUserToken } from './twitch-auth.types.js';
import { TwitchTokenDecryptionError } from './token-store/twitch-token-cipher.js';
import { type TwitchStoredToken, TwitchTokenStore } from './token-store/twitch-token-store.js';
import { twitchKey } from '../redis/twitch-redis-key.js';

/** Why a user's tokens were dropped. */
export interface TwitchTokenInvalidEvent {
  userId: string;
  login: string;
  reason: 'refresh_rejected' | 'token_invalid';
}

const LOCK_MS = 15_000;

/**
 * Users' tokens across every instance: stores them, hands them to the pipeline (`{ userId }` in
 * request options), refreshes them on a 401 once for all instances (a Redis lock; the others wait
 * for and read the winner's tokens, and the rotated refresh token is stored before anyone uses it),
 * and validates them at startup and hourly as Twitch requires, sharing that schedule between instances.
 */
@Injectable()
export class TwitchUserTokenService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TwitchUserTokens');
  /** One refresh per user at a time in this process, never cancelled by one waiter. */
  private readonly refreshing = new TwitchSingleFlight<string>();
  private readonly listeners = new Set<(event: TwitchTokenInvalidEvent) => void>();
  private timer?: NodeJS.Timeout;
  private sweep?: Promise<unknown>;
  private readonly instance = randomUUID();
  /** Users whose unreadable record was already reported. */
  private readonly unreadable = new Set<string>();

  constructor(
    private readonly store: TwitchTokenStore,
    private readonly kv: TwitchKvStore,
    private readonly auth: TwitchAuthService,
    @Inject(TWITCH_RESOLVED_OPTIONS) private readonly options: TwitchResolvedOptions,
    @Optional() private readonly telemetry?: TwitchTelemetry,
  ) {}

  /**
   * Stores a user's tokens (from the login callback, the device flow or your own code). Asks Twitch
   * who the token belongs to, so the stored record has the user's ID, login and scopes.
   */
  async save(token: TwitchUserToken): Promise<TwitchStoredToken> {
    const who = await this.auth.validateToken(token.accessToken);
    if (!who.userId) throw new TypeError('save: the token is an app access token, not a user access token');
    const stored: TwitchStoredToken = {
      userId: who.userId,
      login: who.login ?? '',
      accessToken: token.accessToken,
      refreshToken: token.refreshToken,
      scopes: [...who.scopes],
      expiresAt: who.expiresIn ? Date.now() + who.expiresIn * 1000 : undefined,
      validatedAt: Date.now(),
    };
    await this.store.set(stored);
    this.unreadable.delete(stored.userId);
    return stored;
  }

  /**
   * The user's stored tokens. A record that cannot be read back (`TwitchTokenDecryptionError`: wrong
   * key, or a record sealed for another user) counts as no tokens: the user has to log in again.
   */
  get(userId: string): Promise<TwitchStoredToken | undefined> {
    return this.read(userId);
  }

  /** The user's current access token; `TwitchLoginRequiredException` when there is none. */
  async getAccessToken(userId: string): Promise<string> {
    const t = await this.read(userId);
    if (!t || !t.accessToken) throw new TwitchLoginRequiredException(userId, t?.needsLogin ? 'refresh_rejected' : 'no_tokens');
    return t.accessToken;
  }

  /**
   * Replaces `staleToken` with a fresh one. Single-flight per user in this process and, with Redis,
   * across instances. A refresh Twitch rejects marks the user as needing to log in and throws
   * `TwitchLoginRequiredException`; a network failure throws and keeps the tokens.
   */
  refresh(userId: string, staleToken: string, signal?: AbortSignal): Promise<string> {
    const work = () =>
      this.refreshShared(userId, staleToken).catch((err: unknown) => {
        if (!(err instanceof TwitchLockTimeoutError)) throw err;
        throw new TwitchServiceUnavailableException(`the refresh of user ${userId}'s tokens did not finish (${err.message})`, {
          endpoint: `user tokens of ${userId}`,
        });
      });
    return this.refreshing.run(userId, work, { signal });
  }

  /** Logs a user out: revokes the access token at Twitch (best effort) and forgets the tokens. */
  async remove(userId: string, opts: { revoke?: boolean } = {}): Promise<void> {
    const t = await this.read(userId);
    if (t?.accessToken && opts.revoke !== false) {
      await this.auth.revokeToken(t.accessToken).catch((err) => this.logger.warn(`revoke failed: ${(err as Error).message}`));
    }
    await this.store.delete(userId);
  }

  /** Listens for tokens found dead (refresh rejected or validation failed). Returns an unsubscribe function. */
  onTokenInvalid(listener: (event: TwitchTokenInvalidEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Validates every stored token not validated by any instance within `tokens.validateIntervalMs`.
   * Dead tokens are refreshed if they can be, dropped and reported otherwise.
   */
  async validateAll(): Promise<{ validated: number; dropped: number }> {
    let validated = 0;
    let dropped = 0;
    for (const userId of await this.store.userIds()) {
      const claim = twitchKey(this.options.keyPrefix, `validated:${userId}`);
      if (!(await this.kv.setIfAbsent(claim, this.instance, this.options.tokens.validateIntervalMs))) continue;
      const ok = await this.validateOne(userId);
      if (ok === true) validated++;
      else if (ok === false) dropped++;
    }
    return { validated, dropped };
  }

  onApplicationBootstrap(): void {
    const { validateOnStartup, validateIntervalMs } = this.options.tokens;
    const run = () => {
      this.sweep = this.validateAll().catch((err) => this.logger.warn(`token validation failed: ${(err as Error).message}`));
    };
    if (validateOnStartup) run();
    this.timer = setInterval(run, Math.min(validateIntervalMs, 60_000 * 5));
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweep;
  }

  /** true = valid (or refreshed), false = dropped, undefined = could not tell (network). */
  private async validateOne(userId: string): Promise<boolean | undefined> {
    const t = await this.read(userId);
    if (!t?.accessToken) return undefined;
    try {
      await this.recordValidation(userId, t.accessToken, await this.auth.validateToken(t.accessToken));
      return true;
    } catch (err) {
      if (!(err instanceof TwitchException) || err.getStatus() !== 401) return undefined;
    }
    try {
      await this.refresh(userId, t.accessToken);
      return true;
    } catch (err) {
      return err instanceof TwitchLoginRequiredException ? false : undefined;
    }
  }

  /**
   * Notes that Twitch just confirmed `accessToken` (scopes, expiry, time of validation). Written under
   * the user's refresh lock and only if the token is still the stored one, so it can never put back
   * a token (and a spent refresh token) that a refresh replaced meanwhile. Skipped while a refresh runs.
   */
  async recordValidation(
    userId: string,
    accessToken: string,
    v: { scopes: readonly string[]; expiresIn: number },
  ): Promise<void> {
    await ifLockFree(this.kv, this.lockKey(userId), LOCK_MS, async () => {
      const current = await this.read(userId);
      if (current?.accessToken !== accessToken) return;
      await this.store.set({
        ...current,
        scopes: [...v.scopes],
        validatedAt: Date.now(),
        expiresAt: v.expiresIn > 0 ? Date.now() + v.expiresIn * 1000 : current.expiresAt,
      });
    });
  }

  /** Marks the user as needing to log in: tokens removed, identity kept, listeners told. */
  async invalidate(userId: string, reason: TwitchTokenInvalidEvent['reason']): Promise<void> {
    const t = await this.read(userId);
    if (!t) return;
    await this.store.set({ ...t, accessToken: '', refreshToken: '', needsLogin: true });
    for (const listener of this.listeners) {
      try {
        listener({ userId, login: t.login, reason });
      } catch (err) {
        this.logger.warn(`onTokenInvalid listener failed: ${(err as Error).message}`);
      }
    }
  }

  /**
   * `store.get`, with an unreadable record taken as no record (and said once per user), and a failing
   * store (Redis down or stalled) as a 503, not a raw client error.
   */
  private async read(userId: string): Promise<TwitchStoredToken | undefined> {
    try {
      return await this.store.get(userId);
    } catch (err) {
      if (err instanceof TwitchTokenDecryptionError) {
        if (!this.unreadable.has(userId)) {
          if (this.unreadable.size >= 1_000) this.unreadable.clear();
          this.unreadable.add(userId);
          this.logger.warn(`${err.message}; treating it as no tokens (the user must log in again)`);
        }
        return undefined;
      }
      if (err instanceof TwitchException) throw err;
      throw new TwitchServiceUnavailableException(`the token store is unavailable (${(err as Error)?.message ?? err})`, {
        endpoint: `user tokens of ${userId}`,
      });
    }
  }

  private lockKey(userId: string): string {
    return twitchKey(this.options.keyPrefix, `refresh-lock:${userId}`);
  }

  private async refreshShared(userId: string, staleToken: string): Promise<string> {
    let current: TwitchStoredToken | undefined;
    return underSharedLock(
      this.kv,
      this.lockKey(userId),
      { what: `refresh the tokens of user ${userId}`, ttlMs: LOCK_MS, waitMs: LOCK_MS * 2 },
      {
        ready: async () => {
          current = await this.read(userId);
          if (!current || current.needsLogin || !current.refreshToken) {
            throw new TwitchLoginRequiredException(userId, current?.needsLogin ? 'refresh_rejected' : 'no_tokens');
          }
          // Someone (another instance, or an earlier call) already replaced the stale token.
          return current.accessToken !== staleToken ? current.accessToken : undefined;
        },
        work: () => this.refreshNow(current!),
      },
    );
  }

  private async refreshNow(current: TwitchStoredToken): Promise<string> {
    let fresh: TwitchUserToken;
    try {
      fresh = await this.auth.refreshToken(current.refreshToken);
      this.telemetry?.token('user', 'refresh');
    } catch (err) {
      this.telemetry?.token('user', 'refresh', err);
      // The app's own credentials were refused: the server's fault, not the user's; keep their tokens.
      if (err instanceof TwitchAppCredentialsException) throw err;
      const status = err instanceof TwitchException ? err.twitchStatus : undefined;
      if (status === 400 || status === 401 || status === 403) {
        await this.invalidate(current.userId, 'refresh_rejected');
        throw new TwitchLoginRequiredException(current.userId, 'refresh_rejected');
      }
      throw err; // network or Twitch outage: keep the tokens, the next call tries again
    }
    // The rotated refresh token is stored before anyone can use the new access token.
    await this.store.set({
      ...current,
      accessToken: fresh.accessToken,
      refreshToken: fresh.refreshToken || current.refreshToken,
      scopes: fresh.scopes.length ? [...fresh.scopes] : current.scopes,
      expiresAt: fresh.expiresAt?.getTime(),
      needsLogin: false,
    });
    return fresh.accessToken;
  }
}
