import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { AxiosResponse } from 'axios';
import { TwitchTransport } from '../http/twitch-transport.js';
import { TwitchTelemetry } from '../observability/twitch-telemetry.js';
import { TwitchKvStore } from '../store/twitch-kv.store.js';
import { underSharedLock } from '../store/twitch-lock.js';
import { TwitchSingleFlight } from '../utils/single-flight.js';
import { TWITCH_APP_TOKEN_RENEW_BEFORE_MS, TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import { TwitchOptionsError, type TwitchResolvedOptions } from '../twitch-options.js';
import type { TwitchAppToken } from './twitch-auth.types.js';
import { TwitchTokenCipher } from './token-store/twitch-token-cipher.js';
import { twitchKey } from '../redis/twitch-redis-key.js';

interface Held {
  token: string;
  issuedAt: number;
  expiresAt: number;
}

const LOCK_MS = 15_000;

/** Twitch refused to issue a token: not a store failure, so no fallback. */
class FetchFailed extends Error {
  constructor(readonly original: unknown) {
    super('app token fetch failed');
  }
}

/**
 * Keeps the app access token. One token per client ID for every instance: in the shared key-value
 * store (Redis when configured), the first instance that needs a token takes a lock, fetches it and
 * publishes it; the others wait for it. Renewed before it expires (the last tenth of its life, at
 * most `renewBeforeMs` early) and after Twitch refuses it. Concurrent callers in one process share
 * one fetch. If the store fails, each instance fetches its own token.
 */
@Injectable()
export class TwitchAppTokenManager {
  private readonly logger = new Logger('TwitchAppToken');
  /** Key of the shared token in the key-value store. */
  private readonly key: string;
  private readonly renewBeforeMs = TWITCH_APP_TOKEN_RENEW_BEFORE_MS;
  /** Seals the shared record (`tokens.encryptionKey`); without a key it is stored as JSON. */
  private readonly cipher: TwitchTokenCipher;
  private held?: Held;
  /** One load at a time in this process, never cancelled by one waiter. */
  private readonly loading = new TwitchSingleFlight<string>();

  constructor(
    private readonly transport: TwitchTransport,
    private readonly kv: TwitchKvStore,
    @Inject(TWITCH_RESOLVED_OPTIONS) private readonly options: TwitchResolvedOptions,
    @Optional() private readonly telemetry?: TwitchTelemetry,
  ) {
    this.key = twitchKey(options.keyPrefix, `app-token:${options.clientId}`);
    this.cipher = new TwitchTokenCipher(options.tokens.encryptionKey);
  }

  /** A new app access token by client credentials (unmanaged: every call asks Twitch). */
  async request(): Promise<TwitchAppToken> {
    if (!this.options.clientSecret) throw new TwitchOptionsError('clientSecret', 'is needed to get an app access token');
    const form = { client_id: this.options.clientId, client_secret: this.options.clientSecret, grant_type: 'client_credentials' };
    let res: AxiosResponse<{ access_token: string; expires_in?: number; token_type?: string }>;
    try {
      res = await this.transport.oauth<{ access_token: string; expires_in?: number; token_type?: string }>(
        { method: 'POST', path: '/token', data: new URLSearchParams(form) },
        'POST /oauth2/token (client credentials)',
      );
    } catch (err) {
      this.telemetry?.token('app', 'fetch', err);
      throw err;
    }
    this.telemetry?.token('app', 'fetch');
    const expiresIn = Number(res.data.expires_in ?? 0);
    return {
      accessToken: res.data.access_token,
      expiresIn,
      expiresAt: new Date(Date.now() + expiresIn * 1000),
      tokenType: res.data.token_type ?? 'bearer',
    };
  }

  /** The current app token; `signal` ends this caller's wait, never the shared fetch. */
  get(signal?: AbortSignal): Promise<string> {
    if (this.held && this.fresh(this.held)) return Promise.resolve(this.held.token);
    return this.loading.run('app', () => this.load(), { signal });
  }

  async invalidate(token: string): Promise<void> {
    if (this.held?.token === token) this.held = undefined;
    try {
      const raw = await this.kv.get(this.key);
      // Drop the shared token only if it is still the one that was refused.
      if (raw !== undefined && this.parse(raw)?.token === token) await this.kv.deleteIf(this.key, raw);
    } catch (err) {
      this.logger.warn(`could not drop the shared app token: ${(err as Error).message}`);
    }
  }

  private fresh(h: Held): boolean {
    const early = Math.min(this.renewBeforeMs, (h.expiresAt - h.issuedAt) / 10);
    return Date.now() < h.expiresAt - early;
  }

  private async load(): Promise<string> {
    try {
      return await this.loadShared();
    } catch (err) {
      if (err instanceof FetchFailed) throw err.original;
      this.logger.warn(`shared app token unavailable (${(err as Error).message}); fetching one for this instance`);
    }
    this.held = toHeld(await this.request());
    return this.held.token;
  }

  private loadShared(): Promise<string> {
    return underSharedLock(
      this.kv,
      `${this.key}:lock`,
      { what: 'fetch the app token', ttlMs: LOCK_MS, waitMs: LOCK_MS * 2 },
      {
        ready: async () => {
          const raw = await this.kv.get(this.key);
          const shared = raw === undefined ? undefined : this.parse(raw);
          if (!shared || !this.fresh(shared)) return undefined;
          this.held = shared;
          return shared.token;
        },
        work: async () => {
          let token: TwitchAppToken;
          try {
            token = await this.request();
          } catch (err) {
            throw new FetchFailed(err);
          }
          const held = toHeld(token);
          await this.kv.set(this.key, this.serialise(held), Math.max(1, held.expiresAt - Date.now()));
          this.held = held;
          return held.token;
        },
      },
    );
  }

  /** The shared record: JSON, sealed for this key when a key is configured. */
  private serialise(held: Held): string {
    return this.cipher.seal(JSON.stringify(held), `app-token:${this.key}`);
  }

  /**
   * The shared record, or undefined when it cannot be used: damaged, sealed under another key or for
   * another record, or in clear while a key is set. A new token is then fetched and replaces it.
   */
  private parse(raw: string): Held | undefined {
    try {
      const h = JSON.parse(this.cipher.open(raw, 'the shared app token', `app-token:${this.key}`)) as Held;
      const valid = h && typeof h.token === 'string' && typeof h.expiresAt === 'number' && typeof h.issuedAt === 'number';
      return valid ? h : undefined;
    } catch {
      return undefined;
    }
  }
}

function toHeld(token: TwitchAppToken): Held {
  const issuedAt = Date.now();
  return { token: token.accessToken, issuedAt, expiresAt: issuedAt + token.expiresIn * 1000 };
}
