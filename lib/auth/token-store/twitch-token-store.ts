/** What the module keeps per user. */
export interface TwitchStoredToken {
  userId: string;
  login: string;
  accessToken: string;
  refreshToken: string;
  scopes: string[];
  /** When the access token expires (epoch ms), if Twitch said. */
  expiresAt?: number;
  /** When Twitch last confirmed the token with /validate (epoch ms). */
  validatedAt?: number;
  /** Twitch refused the refresh token: the user must log in again. */
  needsLogin?: boolean;
}

/**
 * Where user tokens live. The module ships an in-memory store and a Redis store (with optional
 * AES-256-GCM encryption at rest); provide your own (a database, say) by overriding this class:
 * `{ provide: TwitchTokenStore, useClass: MyDatabaseTokenStore }` in the options' `tokens.store`.
 */
export abstract class TwitchTokenStore {
  abstract get(userId: string): Promise<TwitchStoredToken | undefined>;
  abstract set(token: TwitchStoredToken): Promise<void>;
  abstract delete(userId: string): Promise<void>;
  /** Every user with stored tokens (for the hourly validation Twitch requires). */
  abstract userIds(): Promise<string[]>;
}

export class TwitchMemoryTokenStore extends TwitchTokenStore {
  private readonly tokens = new Map<string, TwitchStoredToken>();
  get(userId: string): Promise<TwitchStoredToken | undefined> {
    const t = this.tokens.get(userId);
    return Promise.resolve(t ? { ...t, scopes: [...t.scopes] } : undefined);
  }
  set(token: TwitchStoredToken): Promise<void> {
    this.tokens.set(token.userId, { ...token, scopes: [...token.scopes] });
    return Promise.resolve();
  }
  delete(userId: string): Promise<void> {
    this.tokens.delete(userId);
    return Promise.resolve();
  }
  userIds(): Promise<string[]> {
    return Promise.resolve([...this.tokens.keys()]);
  }
}
