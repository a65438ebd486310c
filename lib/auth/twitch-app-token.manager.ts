import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { TwitchAppTokenSource } from '../http/twitch-http.client.js';
import type { TwitchRedisClient } from '../redis/twitch-redis.provider.js';
import { sleep } from '../utils/sleep.js';
import type { TwitchAppToken } from './twitch-auth.types.js';

interface Held {
  token: string;
  issuedAt: number;
  expiresAt: number;
}

const LOCK_MS = 15_000;

/** Deletes the shared token only if it is still the one that was refused. */
const DELETE_IF_SAME = `
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).token == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Releases the fetch lock only if this instance still holds it. */
const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Keeps the app access token. One token per client ID for every instance: with Redis, the first
 * instance that needs a token takes a lock, fetches it and publishes it; the others wait for it.
 * Renewed before it expires (the last tenth of its life, at most `renewBeforeMs` early) and after
 * Twitch refuses it. Concurrent callers in one process share one fetch.
 */
export class TwitchAppTokenManager implements TwitchAppTokenSource {
  private readonly logger = new Logger('TwitchAppToken');
  private held?: Held;
  private loading?: Promise<string>;

  constructor(
    private readonly fetchToken: () => Promise<TwitchAppToken>,
    private readonly renewBeforeMs: number,
    private readonly redis: TwitchRedisClient | null,
    private readonly key: string,
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
    if (!this.redis) return;
    try {
      await this.redis.eval(DELETE_IF_SAME, { keys: [this.key], arguments: [token] });
    } catch (err) {
      this.logger.warn(`could not drop the shared app token: ${(err as Error).message}`);
    }
  }

  private fresh(h: Held): boolean {
    const early = Math.min(this.renewBeforeMs, (h.expiresAt - h.issuedAt) / 10);
    return Date.now() < h.expiresAt - early;
  }

  private async load(signal?: AbortSignal): Promise<string> {
    if (this.redis) {
      try {
        return await this.loadShared(this.redis, signal);
      } catch (err) {
        if (signal?.aborted) throw err;
        if (!isRedisFailure(err)) throw err;
        this.logger.warn(`shared app token unavailable (${(err as Error).message}); fetching one for this instance`);
      }
    }
    return this.keep(await this.fetchToken());
  }

  private async loadShared(redis: TwitchRedisClient, signal?: AbortSignal): Promise<string> {
    const lockKey = `${this.key}:lock`;
    const waitUntil = Date.now() + LOCK_MS * 2;
    while (Date.now() < waitUntil) {
      const shared = await this.readShared(redis);
      if (shared && this.fresh(shared)) {
        this.held = shared;
        return shared.token;
      }
      const id = randomUUID();
      if (await redis.set(lockKey, id, { NX: true, PX: LOCK_MS })) {
        try {
          const token = await this.fetchToken();
          const held = this.toHeld(token);
          await redis.set(this.key, JSON.stringify(held), { PX: Math.max(1, held.expiresAt - Date.now()) });
          this.held = held;
          return held.token;
        } finally {
          await redis.eval(RELEASE_LOCK, { keys: [lockKey], arguments: [id] }).catch(() => undefined);
        }
      }
      await sleep(25, signal);
    }
    throw new RedisWaitTimeout('timed out waiting for another instance to fetch the app token');
  }

  private async readShared(redis: TwitchRedisClient): Promise<Held | undefined> {
    const raw = await redis.get(this.key);
    if (!raw) return undefined;
    try {
      const h = JSON.parse(String(raw)) as Held;
      return typeof h.token === 'string' ? h : undefined;
    } catch {
      return undefined;
    }
  }

  private keep(token: TwitchAppToken): string {
    this.held = this.toHeld(token);
    return this.held.token;
  }

  private toHeld(token: TwitchAppToken): Held {
    const issuedAt = Date.now();
    return { token: token.accessToken, issuedAt, expiresAt: issuedAt + token.expiresIn * 1000 };
  }
}

class RedisWaitTimeout extends Error {}

/** Errors of Redis itself (as opposed to Twitch refusing the credentials). */
function isRedisFailure(err: unknown): boolean {
  if (err instanceof RedisWaitTimeout) return true;
  const name = (err as Error)?.constructor?.name ?? '';
  return /Redis|Socket|Closed|Client|Connection/i.test(name) || /redis|socket|ECONN/i.test((err as Error)?.message ?? '');
}
