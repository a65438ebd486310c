import type { TwitchScope } from '../generated/scopes.js';

/** An app access token from the client credentials flow. */
export interface TwitchAppToken {
  accessToken: string;
  /** Lifetime in seconds as Twitch gave it. */
  expiresIn: number;
  expiresAt: Date;
  tokenType: string;
}

/** A user access token (authorization code, device code, or refresh). */
export interface TwitchUserToken {
  accessToken: string;
  /** Keep it: the next refresh needs it. Twitch may rotate it on every refresh. */
  refreshToken: string;
  /** Lifetime in seconds as Twitch gave it (absent on some refresh answers). */
  expiresIn?: number;
  expiresAt?: Date;
  scopes: TwitchScope[];
  tokenType: string;
}

/** What `/oauth2/validate` says about a token. */
export interface TwitchTokenValidation {
  clientId: string;
  /** Absent for app tokens. */
  login?: string;
  /** Absent for app tokens. */
  userId?: string;
  scopes: TwitchScope[];
  /** Seconds left; 0 for tokens that do not expire. */
  expiresIn: number;
}

/** The start of a device code flow: show `userCode` and `verificationUri` to the user. */
export interface TwitchDeviceCode {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  /** Seconds the device code stays valid. */
  expiresIn: number;
  /** Seconds to wait between polls. */
  interval: number;
  /** The scopes asked for (the poll must send them again). */
  scopes: TwitchScope[];
}

export interface TwitchAuthorizeUrlOptions {
  /** Scopes to ask the user for. */
  scopes?: readonly TwitchScope[];
  /** Opaque value echoed back on the redirect; use a one-time random value against CSRF. */
  state?: string;
  /** Show the consent screen even if the user already authorized the app. */
  forceVerify?: boolean;
  /** `code` (authorization code flow, the default) or `token` (implicit flow). */
  responseType?: 'code' | 'token';
  /** Overrides the module's `redirectUri`. */
  redirectUri?: string;
}

export interface TwitchDeviceFlowPollOptions {
  signal?: AbortSignal;
}
