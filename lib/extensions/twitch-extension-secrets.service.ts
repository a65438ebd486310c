import { Inject, Injectable, Logger } from '@nestjs/common';
import { TwitchApiService } from '../api/twitch-api.service.js';
import { signExtensionJwt } from '../auth/extension-jwt.js';
import { TwitchTokenCipher } from '../auth/token-store/twitch-token-cipher.js';
import { TwitchException } from '../exceptions/twitch.exception.js';
import { TwitchKvStore } from '../store/twitch-kv.store.js';
import { TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import type { TwitchResolvedOptions } from '../twitch-options.js';
import { TWITCH_EXTENSION_RESOLVED_OPTIONS } from './twitch-extension.constants.js';
import type { TwitchExtensionResolvedOptions } from './twitch-extension-options.js';
import { twitchKey } from '../redis/twitch-redis-key.js';

/** One extension secret and when Twitch lets it be used (epoch ms). */
export interface TwitchExtensionSecret {
  /** The base64 secret. Never log it. */
  readonly content: string;
  /** From when it may sign (Twitch's `active_at`; 0 for a configured secret). */
  readonly activeAt: number;
  /** Until when it verifies (Twitch's `expires_at`; `Infinity` for a configured secret). */
  readonly expiresAt: number;
}

/** What is kept in the key-value store (sealed with `tokens.encryptionKey` when set). */
interface StoredSecrets {
  fetchedAt: number;
  secrets: { content: string; activeAt: number; expiresAt: number | null }[];
}

/** How long the fetched list is kept in the store when nobody refreshes it (ms). */
const STORE_TTL_MS = 24 * 60 * 60 * 1000;
/** A forced refresh (after an unknown signature) happens at most this often (ms). */
const FORCED_REFRESH_MIN_MS = 10_000;
/** Wait after a failed fetch before the next one (ms). */
const FAILED_FETCH_BACKOFF_MS = 10_000;
/** The lock of a fetch shared by the instances (ms). */
const FETCH_LOCK_MS = 15_000;

/**
 * The extension's secrets. Without `fetchSecrets` they are the configured `secret`/`secrets`. With it,
 * they are Twitch's list (Get Extension Secrets), fetched once for every instance (a lock in the
 * key-value store; Redis when the module has it), kept there and fetched again every
 * `secretsRefreshMs`: the instances read the shared copy, one of them fetches when it is due. While
 * nothing was fetched yet, or Twitch cannot be reached at the first fetch, the configured secrets are
 * used. A secret verifies until its `expires_at`; the newest active one signs.
 */
@Injectable()
export class TwitchExtensionSecretsService {
  private readonly logger = new Logger('TwitchExtensionSecrets');
  private readonly configured: TwitchExtensionSecret[];
  private readonly cipher: TwitchTokenCipher;
  private readonly key: string;
  private readonly lockKey: string;
  private fetched?: { fetchedAt: number; secrets: TwitchExtensionSecret[] };
  private refreshing?: Promise<void>;
  private lastForcedAt = 0;
  /** After a failed fetch, no other is tried before this time (Twitch away: no fetch per request). */
  private retryAt = 0;
  private readonly keys = new Map<string, Uint8Array>();

  constructor(
    @Inject(TWITCH_EXTENSION_RESOLVED_OPTIONS) private readonly options: TwitchExtensionResolvedOptions,
    @Inject(TWITCH_RESOLVED_OPTIONS) twitchOptions: TwitchResolvedOptions,
    private readonly kv: TwitchKvStore,
    private readonly api: TwitchApiService,
  ) {
    this.configured = options.secrets.map((content) => ({ content, activeAt: 0, expiresAt: Infinity }));
    this.cipher = new TwitchTokenCipher(twitchOptions.tokens.encryptionKey);
    this.key = twitchKey(options.keyPrefix, `ext:${options.extensionId}:secrets`);
    this.lockKey = `${this.key}:lock`;
  }

  /** The secrets that verify frontend JWTs now (not expired), newest first. */
  async verificationSecrets(): Promise<TwitchExtensionSecret[]> {
    const now = Date.now();
    return (await this.list()).filter((s) => s.expiresAt > now).sort((a, b) => b.activeAt - a.activeAt);
  }

  /** The secret that signs EBS JWTs now: the newest active one. */
  async signingSecret(): Promise<string> {
    return pickSigning(await this.list(), Date.now());
  }

  /** HS256 key of a base64 secret (decoded once). */
  keyOf(secret: TwitchExtensionSecret): Uint8Array {
    let key = this.keys.get(secret.content);
    if (!key) {
      key = new Uint8Array(Buffer.from(secret.content, 'base64'));
      if (this.keys.size > 32) this.keys.clear();
      this.keys.set(secret.content, key);
    }
    return key;
  }

  /**
   * Fetches the secrets again now (for instance right after Create Extension Secret), for every
   * instance. No-op without `fetchSecrets`.
   */
  async refresh(): Promise<void> {
    if (!this.options.fetchSecrets) return;
    await this.fetchShared(true);
  }

  /**
   * Called when no known secret verifies a token: a rotation may have happened since the last fetch.
   * Fetches again at most every 10 s; true when the list changed.
   */
  async refreshAfterUnknownSignature(): Promise<boolean> {
    if (!this.options.fetchSecrets || Date.now() - this.lastForcedAt < FORCED_REFRESH_MIN_MS) return false;
    this.lastForcedAt = Date.now();
    const before = this.fetched?.secrets.map((s) => s.content).join('\n');
    try {
      await this.fetchShared(true);
    } catch {
      return false;
    }
    return this.fetched?.secrets.map((s) => s.content).join('\n') !== before;
  }

  private async list(): Promise<TwitchExtensionSecret[]> {
    if (!this.options.fetchSecrets) return this.configured;
    if (Date.now() < this.retryAt) return this.fetched?.secrets ?? this.configured;
    if (!this.fetched) {
      try {
        await this.fetchShared(false);
      } catch (err) {
        this.retryAt = Date.now() + FAILED_FETCH_BACKOFF_MS;
        this.logger.warn(`Cannot fetch the extension secrets, using the configured ones: ${describe(err)}`);
      }
    } else if (Date.now() - this.fetched.fetchedAt >= this.options.secretsRefreshMs) {
      // Due: refresh in the background, keep answering with the list we have.
      this.fetchShared(false).catch((err: unknown) => {
        this.retryAt = Date.now() + FAILED_FETCH_BACKOFF_MS;
        this.logger.warn(`Cannot refresh the extension secrets: ${describe(err)}`);
      });
    }
    return this.fetched?.secrets ?? this.configured;
  }

  /** Adopts the shared copy when it is fresh; otherwise one instance fetches from Twitch. Single-flight per instance. */
  private fetchShared(force: boolean): Promise<void> {
    this.refreshing ??= this.doFetchShared(force).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doFetchShared(force: boolean): Promise<void> {
    const shared = await this.readStore();
    const fresh = (s?: StoredSecrets) => s && Date.now() - s.fetchedAt < this.options.secretsRefreshMs;
    if (shared && (!this.fetched || shared.fetchedAt > this.fetched.fetchedAt)) this.adopt(shared);
    if (!force && fresh(shared)) return;
    const token = `${process.pid}:${Math.random().toString(36).slice(2)}`;
    let locked = false;
    try {
      locked = await this.kv.setIfAbsent(this.lockKey, token, FETCH_LOCK_MS);
    } catch {
      locked = true; // the store is away: fetch for this instance alone
    }
    if (!locked) {
      // Another instance is fetching: wait a little for its result, else keep what we have.
      for (let i = 0; i < 20 && !(this.fetched && Date.now() - this.fetched.fetchedAt < this.options.secretsRefreshMs); i++) {
        await new Promise((r) => setTimeout(r, 100));
        const s = await this.readStore();
        if (s && (!this.fetched || s.fetchedAt > this.fetched.fetchedAt)) this.adopt(s);
      }
      return;
    }
    try {
      const stored = await this.fetchFromTwitch();
      this.adopt(stored);
      try {
        await this.kv.set(this.key, this.cipher.seal(JSON.stringify(stored), `extension-secrets:${this.key}`), STORE_TTL_MS);
      } catch (err) {
        this.logger.warn(`Cannot share the extension secrets: ${describe(err)}`);
      }
    } finally {
      await this.kv.deleteIf(this.lockKey, token).catch(() => undefined);
    }
  }

  private async fetchFromTwitch(): Promise<StoredSecrets> {
    // The newest active secret first; when Twitch refuses it (retired sooner than it said), the others.
    const now = Date.now();
    const known = this.fetched?.secrets ?? this.configured;
    const candidates = [
      ...new Set([
        pickSigning(known, now),
        ...known.filter((s) => s.expiresAt > now).map((s) => s.content),
        ...this.options.secrets,
      ]),
    ];
    let res: Awaited<ReturnType<TwitchApiService['extensions']['getExtensionSecrets']>> | undefined;
    for (const [i, secret] of candidates.entries()) {
      const { ownerId, jwtTtlSeconds, extensionId } = this.options;
      const jwt = await signExtensionJwt({ secret, ownerId: ownerId!, expiresInSeconds: jwtTtlSeconds });
      try {
        res = await this.api.extensions.getExtensionSecrets({}, { accessToken: jwt, userId: `extension:${extensionId}` });
        break;
      } catch (err) {
        if (!(err instanceof TwitchException && err.twitchStatus === 401) || i === candidates.length - 1) throw err;
      }
    }
    const sets = [...(res?.data ?? [])].sort((a, b) => (b.formatVersion ?? 0) - (a.formatVersion ?? 0));
    const secrets = (sets[0]?.secrets ?? [])
      .map((s) => ({
        content: String(s.content ?? '').trim(),
        activeAt: time(s.activeAt, 0),
        expiresAt: time(s.expiresAt, Infinity),
      }))
      .filter((s) => s.content !== '');
    if (secrets.length === 0) throw new Error('Get Extension Secrets answered with no secret');
    return {
      fetchedAt: Date.now(),
      secrets: secrets.map((s) => ({ ...s, expiresAt: Number.isFinite(s.expiresAt) ? s.expiresAt : null })),
    };
  }

  private adopt(stored: StoredSecrets): void {
    this.fetched = {
      fetchedAt: stored.fetchedAt,
      secrets: stored.secrets.map((s) => ({ content: s.content, activeAt: s.activeAt, expiresAt: s.expiresAt ?? Infinity })),
    };
  }

  private async readStore(): Promise<StoredSecrets | undefined> {
    try {
      const raw = await this.kv.get(this.key);
      if (!raw) return undefined;
      const v = JSON.parse(
        this.cipher.open(raw, 'the stored extension secrets', `extension-secrets:${this.key}`),
      ) as StoredSecrets;
      return v && typeof v.fetchedAt === 'number' && Array.isArray(v.secrets) && v.secrets.length ? v : undefined;
    } catch {
      return undefined;
    }
  }
}

function time(value: unknown, fallback: number): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? ms : fallback;
}

/** The newest secret active now; else the newest not expired; else the first. */
function pickSigning(list: readonly TwitchExtensionSecret[], now: number): string {
  const live = list.filter((s) => s.expiresAt > now);
  const active = live.filter((s) => s.activeAt <= now).sort((a, b) => b.activeAt - a.activeAt);
  return (active[0] ?? live[0] ?? list[0]).content;
}

/** An error's message without anything that could carry a secret (messages of this module never do). */
function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
