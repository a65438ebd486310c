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

/**
 * Builds an identity with a non-enumerable `accessToken` from a validated or stored token record
 * (`expiresAt` in epoch ms, as stored).
 */
export function twitchIdentity(
  record: { userId: string; login: string; scopes: readonly string[]; expiresAt?: number },
  source: TwitchIdentity['source'],
  accessToken: string,
): TwitchIdentity {
  const identity = {
    userId: record.userId,
    login: record.login,
    scopes: [...record.scopes],
    ...(record.expiresAt !== undefined ? { expiresAt: new Date(record.expiresAt) } : {}),
    source,
  } as TwitchIdentity;
  Object.defineProperty(identity, 'accessToken', { value: accessToken, enumerable: false, writable: false, configurable: false });
  return identity;
}
