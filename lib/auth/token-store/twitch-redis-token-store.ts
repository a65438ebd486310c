import type { TwitchRedisClient } from '../../redis/twitch-redis.provider.js';
import { twitchKey } from '../../redis/twitch-redis-key.js';
import { TwitchTokenCipher, TwitchTokenDecryptionError } from './twitch-token-cipher.js';
import { type TwitchStoredToken, TwitchTokenStore } from './twitch-token-store.js';

/**
 * User tokens in Redis, one key per user plus a set of user IDs; encrypted when a key is configured,
 * each record sealed for its user (a record copied onto another user's key does not open).
 *
 * Each user's key has a hash tag of its own, so that tokens spread over a Redis Cluster; the index set
 * has its own tag too. The two are therefore written by separate commands, in an order that keeps the
 * index a superset of the users with a record: the ID is added before the record is written and removed
 * after it is deleted. A user listed without a record is read as having no tokens.
 *
 * Records written before keys carried hash tags (`<prefix>user-token:<id>`, listed in `<prefix>user-tokens`)
 * are still read, and moved to their current key on first read.
 */
export class TwitchRedisTokenStore extends TwitchTokenStore {
  constructor(
    private readonly redis: TwitchRedisClient,
    private readonly prefix: string,
    private readonly cipher: TwitchTokenCipher,
  ) {
    super();
  }

  async get(userId: string): Promise<TwitchStoredToken | undefined> {
    const raw = (await this.redis.get(this.key(userId))) ?? (await this.moveLegacy(userId));
    if (raw === null || raw === undefined) return undefined;
    const what = `the stored token of user ${userId}`;
    let token: TwitchStoredToken;
    try {
      token = JSON.parse(this.cipher.open(String(raw), what, userTokenContext(userId), { legacy: true })) as TwitchStoredToken;
    } catch (err) {
      if (err instanceof TwitchTokenDecryptionError) throw err;
      throw new TwitchTokenDecryptionError(`${what} is not a token record`);
    }
    // Records sealed before owners were bound (and clear ones) name their user inside.
    if (!token || typeof token !== 'object' || token.userId !== userId) {
      throw new TwitchTokenDecryptionError(`${what} belongs to another user`);
    }
    return token;
  }

  async set(token: TwitchStoredToken): Promise<void> {
    const sealed = this.cipher.seal(JSON.stringify(token), userTokenContext(token.userId));
    await this.redis.sAdd(this.index(), token.userId);
    await this.redis.set(this.key(token.userId), sealed);
  }

  async delete(userId: string): Promise<void> {
    await this.redis.del(this.key(userId));
    await this.redis.del(`${this.prefix}user-token:${userId}`);
    await this.redis.sRem(`${this.prefix}user-tokens`, userId);
    await this.redis.sRem(this.index(), userId);
  }

  async userIds(): Promise<string[]> {
    const ids = new Set<string>();
    for (const index of [this.index(), `${this.prefix}user-tokens`]) {
      for (const id of await this.redis.sMembers(index)) ids.add(String(id));
    }
    return [...ids].sort();
  }

  /**
   * A record under its name from before hash tags, moved to its current key (a record written there since
   * is kept). Undefined when there is none.
   */
  private async moveLegacy(userId: string): Promise<string | undefined> {
    const legacyKey = `${this.prefix}user-token:${userId}`;
    const old = await this.redis.get(legacyKey);
    if (old === null || old === undefined) return undefined;
    await this.redis.sAdd(this.index(), userId);
    await this.redis.set(this.key(userId), String(old), { NX: true });
    await this.redis.del(legacyKey);
    await this.redis.sRem(`${this.prefix}user-tokens`, userId);
    const now = await this.redis.get(this.key(userId));
    return now === null || now === undefined ? undefined : String(now);
  }

  private key(userId: string): string {
    return twitchKey(this.prefix, `user-token:${userId}`);
  }
  private index(): string {
    return twitchKey(this.prefix, 'user-tokens');
  }
}

/** What a user's record is sealed for. */
function userTokenContext(userId: string): string {
  return `user-token:${userId}`;
}
