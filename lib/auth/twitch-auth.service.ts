import { Inject, Injectable } from '@nestjs/common';
import { TwitchDeviceFlowException } from '../exceptions/twitch-oauth.exception.js';
import { TwitchException } from '../exceptions/twitch.exception.js';
import type { TwitchScope } from '../generated/scopes.js';
import { TwitchTransport } from '../http/twitch-transport.js';
import { TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import { TwitchOptionsError, type TwitchResolvedOptions } from '../twitch-options.js';
import { sleep } from '../utils/sleep.js';
import { TwitchAppTokenManager } from './twitch-app-token.manager.js';
import type {
  TwitchAppToken,
  TwitchAuthorizeUrlOptions,
  TwitchDeviceCode,
  TwitchDeviceFlowPollOptions,
  TwitchTokenValidation,
  TwitchUserToken,
} from './twitch-auth.types.js';

interface RawToken {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
  scope?: string[] | string;
  token_type?: string;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * Twitch OAuth2 (id.twitch.tv): authorization URLs, code exchange, app tokens (managed and raw),
 * refresh, validation, revocation and the device code flow.
 * @see https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/
 */
@Injectable()
export class TwitchAuthService {
  constructor(
    private readonly http: TwitchTransport,
    @Inject(TWITCH_RESOLVED_OPTIONS) private readonly options: TwitchResolvedOptions,
    private readonly appTokens: TwitchAppTokenManager,
  ) {}

  /** The URL to send a user to for consent (authorization code flow, or implicit with `responseType: 'token'`). */
  getAuthorizationUrl(opts: TwitchAuthorizeUrlOptions = {}): string {
    const redirectUri = opts.redirectUri ?? this.options.redirectUri;
    if (!redirectUri) throw new TwitchOptionsError('redirectUri', 'is needed to build an authorization URL');
    const q = new URLSearchParams({
      client_id: this.options.clientId,
      redirect_uri: redirectUri,
      response_type: opts.responseType ?? 'code',
      scope: (opts.scopes ?? []).join(' '),
    });
    if (opts.state !== undefined) q.set('state', opts.state);
    if (opts.forceVerify) q.set('force_verify', 'true');
    return `${this.options.authUrl}/authorize?${q.toString()}`;
  }

  /** Exchanges the `code` from the authorization redirect for a user access token and refresh token. */
  async exchangeCode(code: string, redirectUri?: string): Promise<TwitchUserToken> {
    if (typeof code !== 'string' || !code) throw new TypeError('exchangeCode: "code" must be a non-empty string');
    const uri = redirectUri ?? this.options.redirectUri;
    if (!uri) throw new TwitchOptionsError('redirectUri', 'is needed to exchange an authorization code');
    const raw = await this.token('authorization code', {
      client_id: this.options.clientId,
      client_secret: this.secret('exchangeCode'),
      code,
      grant_type: 'authorization_code',
      redirect_uri: uri,
    });
    return userToken(raw);
  }

  /**
   * The managed app access token: fetched on first use, shared through Redis by every instance,
   * renewed before it expires and after Twitch refuses it. Concurrent callers share one request.
   */
  getAppToken(): Promise<string> {
    return this.appTokens.get();
  }

  /** A new app access token by client credentials (unmanaged: every call asks Twitch). */
  requestAppToken(): Promise<TwitchAppToken> {
    return this.appTokens.request();
  }

  /**
   * Refreshes a user access token. Store the returned `refreshToken`: Twitch may rotate it, and
   * public clients' refresh tokens are single-use.
   */
  async refreshToken(refreshToken: string): Promise<TwitchUserToken> {
    if (typeof refreshToken !== 'string' || !refreshToken) {
      throw new TypeError('refreshToken: "refreshToken" must be a non-empty string');
    }
    const form: Record<string, string> = {
      client_id: this.options.clientId,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    };
    if (this.options.clientSecret) form.client_secret = this.options.clientSecret;
    const token = userToken(await this.token('refresh', form));
    if (!token.refreshToken) token.refreshToken = refreshToken;
    return token;
  }

  /**
   * Validates a token with Twitch (`Authorization: OAuth <token>`). Twitch requires apps to validate
   * the tokens they keep at startup and hourly. Throws `TwitchUnauthorizedException` for a dead token.
   */
  async validateToken(accessToken: string): Promise<TwitchTokenValidation> {
    if (typeof accessToken !== 'string' || !accessToken) {
      throw new TypeError('validateToken: "accessToken" must be a non-empty string');
    }
    const res = await this.http.oauth<{
      client_id: string;
      login?: string;
      user_id?: string;
      scopes?: string[] | null;
      expires_in?: number;
    }>({ method: 'GET', path: '/validate', headers: { Authorization: `OAuth ${accessToken}` } }, 'GET /oauth2/validate');
    const d = res.data;
    return {
      clientId: d.client_id,
      login: d.login,
      userId: d.user_id,
      scopes: (d.scopes ?? []) as TwitchScope[],
      expiresIn: Number(d.expires_in ?? 0),
    };
  }

  /** Revokes an access token (user or app). */
  async revokeToken(accessToken: string): Promise<void> {
    if (typeof accessToken !== 'string' || !accessToken) {
      throw new TypeError('revokeToken: "accessToken" must be a non-empty string');
    }
    await this.http.oauth(
      { method: 'POST', path: '/revoke', data: new URLSearchParams({ client_id: this.options.clientId, token: accessToken }) },
      'POST /oauth2/revoke',
    );
    await this.appTokens.invalidate(accessToken);
  }

  /** Starts the device code flow: show the user `userCode` at `verificationUri`, then `pollDeviceToken`. */
  async startDeviceFlow(scopes: readonly TwitchScope[] = []): Promise<TwitchDeviceCode> {
    const res = await this.http.oauth<{
      device_code: string;
      user_code: string;
      verification_uri: string;
      expires_in: number;
      interval: number;
    }>(
      {
        method: 'POST',
        path: '/device',
        data: new URLSearchParams({ client_id: this.options.clientId, scopes: scopes.join(' ') }),
      },
      'POST /oauth2/device',
    );
    const d = res.data;
    return {
      deviceCode: d.device_code,
      userCode: d.user_code,
      verificationUri: d.verification_uri,
      expiresIn: Number(d.expires_in),
      interval: Number(d.interval),
      scopes: [...scopes],
    };
  }

  /**
   * Polls until the user authorizes the device: waits `interval` between polls, backs off on
   * `slow_down`, keeps going on `authorization_pending`, and ends with `TwitchDeviceFlowException`
   * on denial or expiry.
   */
  async pollDeviceToken(device: TwitchDeviceCode, opts: TwitchDeviceFlowPollOptions = {}): Promise<TwitchUserToken> {
    const deadline = Date.now() + device.expiresIn * 1000;
    let interval = device.interval * 1000;
    const form: Record<string, string> = {
      client_id: this.options.clientId,
      scopes: device.scopes.join(' '),
      device_code: device.deviceCode,
      grant_type: DEVICE_GRANT,
    };
    if (this.options.clientSecret) form.client_secret = this.options.clientSecret;
    for (;;) {
      await sleep(interval, opts.signal);
      if (Date.now() > deadline)
        throw new TwitchDeviceFlowException('expired_token', 'The device code expired before the user authorized it');
      try {
        return userToken(await this.token('device code', form));
      } catch (err) {
        const message = err instanceof TwitchException ? (err.twitchMessage ?? '').toLowerCase() : '';
        if (message === 'authorization_pending') continue;
        if (message === 'slow_down') {
          interval += 5_000;
          continue;
        }
        if (message === 'access_denied')
          throw new TwitchDeviceFlowException('access_denied', 'The user denied the device access');
        if (message === 'expired_token' || message === 'invalid device code') {
          throw new TwitchDeviceFlowException('expired_token', 'The device code expired or is unknown');
        }
        throw err;
      }
    }
  }

  private async token(kind: string, form: Record<string, string>): Promise<RawToken> {
    const res = await this.http.oauth<RawToken>(
      { method: 'POST', path: '/token', data: new URLSearchParams(form) },
      `POST /oauth2/token (${kind})`,
    );
    return res.data;
  }

  private secret(method: string): string {
    if (!this.options.clientSecret) throw new TwitchOptionsError('clientSecret', `is needed by ${method}`);
    return this.options.clientSecret;
  }
}

function userToken(raw: RawToken): TwitchUserToken {
  const scopes = Array.isArray(raw.scope) ? raw.scope : raw.scope ? raw.scope.split(' ') : [];
  const expiresIn = raw.expires_in !== undefined ? Number(raw.expires_in) : undefined;
  return {
    accessToken: raw.access_token,
    refreshToken: raw.refresh_token ?? '',
    expiresIn,
    expiresAt: expiresIn !== undefined ? new Date(Date.now() + expiresIn * 1000) : undefined,
    scopes: scopes as TwitchScope[],
    tokenType: raw.token_type ?? 'bearer',
  };
}
