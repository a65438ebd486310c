import type { TwitchRedisClient } from '../../redis/twitch-redis.provider.js';
import { TwitchTokenCipher } from './twitch-token-cipher.js';
import { type TwitchStoredToken, TwitchTokenStore } from './twitch-token-store.js';

/** User tokens in Redis, one key per user plus a set of user IDs; encrypted when a key is configured. */
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
    return JSON.parse(this.cipher.open(String(raw), `the stored token of user ${userId}`)) as TwitchStoredToken;
  }

  async set(token: TwitchStoredToken): Promise<void> {
    await this.redis
      .multi()
      .set(this.key(token.userId), this.cipher.seal(JSON.stringify(token)))
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
