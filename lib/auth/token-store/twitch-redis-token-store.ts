import type { TwitchRedisClient } from '../../redis/twitch-redis.provider.js';
import { TwitchTokenCipher, TwitchTokenDecryptionError } from './twitch-token-cipher.js';
import { type TwitchStoredToken, TwitchTokenStore } from './twitch-token-store.js';

/**
 * User tokens in Redis, one key per user plus a set of user IDs; encrypted when a key is configured,
 * each record sealed for its user (a record copied onto another user's key does not open).
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
    await this.redis
      .multi()
      .set(this.key(token.userId), this.cipher.seal(JSON.stringify(token), userTokenContext(token.userId)))
      .sAdd(this.index(), token.userId)
      .exec();
  }

  async delete(userId: string): Promise<void> {
    await this.redis.multi().del(this.key(userId)).sRem(this.index(), userId).exec();
  }

  async userIds(): Promise<string[]> {
    return [...(await this.redis.sMembers(this.index()))].map(String).sort();
  }

  private key(userId: string): string {
    return `${this.prefix}user-token:${userId}`;
  }
  private index(): string {
    return `${this.prefix}user-tokens`;
  }
}

/** What a user's record is sealed for. */
function userTokenContext(userId: string): string {
  return `user-token:${userId}`;
}
