/** Property of the request on which `TwitchAuthGuard` puts the identity (read by `@TwitchUser()`). */
export const TWITCH_USER_REQUEST_KEY = 'twitchUser';

/** The Twitch user a request was authenticated as (`@TwitchUser()`). */
export interface TwitchIdentity {
  /** Twitch user ID. */
  userId: string;
  /** Twitch login name. */
  login: string;
  /** Scopes the user's token carries. */
  scopes: string[];
  /** When the access token expires, if Twitch said. */
  expiresAt?: Date;
  /** `bearer`: from the `Authorization` header; `session`: from the login session cookie. */
  source: 'bearer' | 'session';
  /**
   * The user access token, to call Helix as this user (`{ accessToken, userId }`; for a session,
   * `{ userId }` alone is enough). Not enumerable: `JSON.stringify`, `console.log` and object
   * spread leave it out, so returning the identity from a handler does not leak it. Never log it.
   */
  readonly accessToken: string;
}

/** Builds an identity with a non-enumerable `accessToken`. */
export function twitchIdentity(fields: Omit<TwitchIdentity, 'accessToken'>, accessToken: string): TwitchIdentity {
  const identity = {
    userId: fields.userId,
    login: fields.login,
    scopes: [...fields.scopes],
    ...(fields.expiresAt ? { expiresAt: fields.expiresAt } : {}),
    source: fields.source,
  } as TwitchIdentity;
  Object.defineProperty(identity, 'accessToken', { value: accessToken, enumerable: false, writable: false, configurable: false });
  return identity;
}
