import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { TwitchAppTokenSource } from '../http/twitch-http.client.js';
import type { TwitchKvStore } from '../store/twitch-kv.store.js';
import { sleep } from '../utils/sleep.js';
import type { TwitchAppToken } from './twitch-auth.types.js';
import { TwitchTokenCipher } from './token-store/twitch-token-cipher.js';

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
export class TwitchAppTokenManager implements TwitchAppTokenSource {
  private readonly logger = new Logger('TwitchAppToken');
  private held?: Held;
  private loading?: Promise<string>;

  constructor(
    private readonly fetchToken: () => Promise<TwitchAppToken>,
    private readonly renewBeforeMs: number,
    private readonly kv: TwitchKvStore,
    private readonly key: string,
    /** Seals the shared record (`tokens.encryptionKey`); without a key it is stored as JSON. */
    private readonly cipher: TwitchTokenCipher = new TwitchTokenCipher(undefined),
  ) {}

  get(signal?: AbortSignal): Promise<string> {
    if (this.held && this.fresh(this.held)) return Promise.resolve(this.held.token);
    if (!this.loading) {
      this.loading = this.load(signal).finally(() => (this.loading = undefined));
    }
    return this.loading;
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

  private async load(signal?: AbortSignal): Promise<string> {
    try {
      return await this.loadShared(signal);
    } catch (err) {
      if (err instanceof FetchFailed) throw err.original;
      if (signal?.aborted) throw err;
      this.logger.warn(`shared app token unavailable (${(err as Error).message}); fetching one for this instance`);
    }
    this.held = toHeld(await this.fetchToken());
    return this.held.token;
  }

  private async loadShared(signal?: AbortSignal): Promise<string> {
    const lockKey = `${this.key}:lock`;
    const waitUntil = Date.now() + LOCK_MS * 2;
    while (Date.now() < waitUntil) {
      const raw = await this.kv.get(this.key);
      const shared = raw === undefined ? undefined : this.parse(raw);
      if (shared && this.fresh(shared)) {
        this.held = shared;
        return shared.token;
      }
      const id = randomUUID();
      if (await this.kv.setIfAbsent(lockKey, id, LOCK_MS)) {
        try {
          let token: TwitchAppToken;
          try {
            token = await this.fetchToken();
          } catch (err) {
            throw new FetchFailed(err);
          }
          const held = toHeld(token);
          await this.kv.set(this.key, this.serialise(held), Math.max(1, held.expiresAt - Date.now()));
          this.held = held;
          return held.token;
        } finally {
          await this.kv.deleteIf(lockKey, id).catch(() => undefined);
        }
      }
      await sleep(25, signal);
    }
    throw new Error('timed out waiting for another instance to fetch the app token');
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
