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
    const raw = await this.redis.get(this.key(userId));
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
    await this.redis.sRem(this.index(), userId);
  }

  async userIds(): Promise<string[]> {
    return [...(await this.redis.sMembers(this.index()))].map(String).sort();
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
