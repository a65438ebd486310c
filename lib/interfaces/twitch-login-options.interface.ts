import type { TwitchIdentity } from '../auth/guards/twitch-identity.js';
import type { TwitchScope } from '../generated/scopes.js';

/**
 * Options of the guards (`@TwitchAuth()`) and of the login flow (`TwitchLoginModule`), given as
 * `login` in the module options. Every field is optional.
 */
export interface TwitchLoginOptions {
  /**
   * Scopes the login flow asks the user for.
   * @default []
   */
  scopes?: readonly TwitchScope[];
  /**
   * Where the callback sends the user after a successful login when the login had no `returnTo`.
   * @default '/'
   */
  successRedirect?: string;
  /**
   * Where logout sends the user.
   * @default '/'
   */
  logoutRedirect?: string;
  /**
   * Show Twitch's consent screen even when the user already authorized the app.
   * @default false
   */
  forceVerify?: boolean;
  /**
   * How long a login `state` stays valid (the time a user has to answer Twitch's consent screen), in ms.
   * The state is signed (HMAC with a key derived from the client secret) and kept in the state cookie,
   * so starting a login stores nothing; a state that reaches the callback is marked used for the rest
   * of this time.
   * @default 600000 (10 minutes)
   */
  stateTtlMs?: number;
  /**
   * Lifetime of a login session (the session cookie and its entry in the store), in ms.
   * @default 604800000 (7 days)
   */
  sessionTtlMs?: number;
  /**
   * Name of the session cookie. The login flow also sets `<cookieName>_state` while a login is under way.
   * `Secure` cookies get the `__Host-` prefix (`__Host-twitch_session`), and on such requests only
   * the prefixed names are read.
   * @default 'twitch_session'
   */
  cookieName?: string;
  /**
   * `Secure` attribute of the cookies: `'auto'` sets it when the request came over https
   * (`request.protocol`, which honours the platform's trust-proxy setting). Secure cookies are named
   * with the `__Host-` prefix.
   * @default 'auto'
   */
  secureCookie?: boolean | 'auto';
  /**
   * How long the guard trusts Twitch's answer to `/oauth2/validate` for a bearer token, in ms.
   * Cached under a SHA-256 digest of the token, never the token. `0` validates on every request.
   * @default 60000
   */
  validationCacheTtlMs?: number;
  /**
   * How long the guard remembers that a bearer token is invalid, in ms (at most `validationCacheTtlMs`).
   * @default 5000
   */
  invalidTokenCacheTtlMs?: number;
  /**
   * A session's stored token validated by Twitch within this time is trusted without asking again, in ms.
   * @default 3600000 (Twitch's hourly validation)
   */
  revalidateAfterMs?: number;
  /**
   * Called after a successful login, once the tokens are stored and before the session is created.
   * Throw to refuse the login: the tokens are then revoked and removed, and no session is created.
   */
  onLogin?: (identity: TwitchIdentity, request: unknown) => void | Promise<void>;
}
