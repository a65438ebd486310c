/**
 * The fake id.twitch.tv: `/oauth2/token`, `/oauth2/device`, `/oauth2/validate`, `/oauth2/revoke`,
 * `/oauth2/authorize`, plus the device activation page `/activate`. Internal to the fake.
 *
 * Errors use id.twitch.tv's body `{"status", "message"}` (no `error` field), except the refresh
 * failure, which Twitch answers with the full `{"error","status","message"}` body.
 */
import type { AuthStore } from './auth-store.js';
import { activatePage, authorizePage } from './pages.js';
import type { FakeTwitchRequest, FakeTwitchResponse, FakeUser, TokenInfo } from './types.js';
import { isObject, oauthError, twitchError } from './util.js';

/** What the OAuth routes need from the fake. */
export interface OAuthContext {
  auth: AuthStore;
  clientId: string;
  clientSecret: string;
  /** Base URL of the fake, e.g. `http://127.0.0.1:1234`. */
  baseUrl: string;
  deviceIntervalSeconds: number;
  deviceExpiresInSeconds: number;
  findUserByLogin(login: string): FakeUser | undefined;
  /** Login pre-filled on the consent page (the first seeded user). */
  defaultLogin(): string;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const HTML = { 'Content-Type': 'text/html; charset=utf-8' };

/** Query parameters (first value) overlaid with form-body fields. */
function params(req: FakeTwitchRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, values] of Object.entries(req.query)) if (values.length) out[key] = values[0];
  if (isObject(req.body)) {
    for (const [key, value] of Object.entries(req.body)) {
      if (typeof value === 'string') out[key] = value;
      else if (typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
    }
  }
  return out;
}

/** Space-delimited scopes (from `scope`, or `scopes` as the device flow sends them). */
function scopesOf(p: Record<string, string>): string[] {
  return (p.scope ?? p.scopes ?? '').split(/\s+/).filter(Boolean);
}

/** Check `client_id` (and `client_secret` when required, or when given). */
function checkClient(
  ctx: OAuthContext,
  p: Record<string, string>,
  secret: 'required' | 'optional' | 'none',
): FakeTwitchResponse | undefined {
  if (!p.client_id) return oauthError(400, 'missing client id');
  if (p.client_id !== ctx.clientId) return oauthError(403, 'invalid client');
  if (secret === 'none') return undefined;
  if (p.client_secret === undefined) return secret === 'required' ? oauthError(400, 'missing client secret') : undefined;
  if (p.client_secret !== ctx.clientSecret) return oauthError(400, 'invalid client secret');
  return undefined;
}

/** The token response of the authorization code, refresh and device flows. */
function userTokenBody(token: TokenInfo, now: number): Record<string, unknown> {
  return {
    access_token: token.accessToken,
    expires_in: Math.max(0, Math.floor((token.expiresAt - now) / 1000)),
    refresh_token: token.refreshToken,
    scope: token.scopes,
    token_type: 'bearer',
  };
}

function redirect(location: string): FakeTwitchResponse {
  return { status: 302, headers: { Location: location } };
}

/** `base` with `values` appended to its query, or put in its fragment. */
function withParams(base: string, values: Record<string, string | undefined>, inFragment: boolean): string {
  const url = new URL(base);
  const extra = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined) extra.append(key, value);
  if (inFragment) url.hash = extra.toString();
  else for (const [key, value] of extra) url.searchParams.append(key, value);
  return url.toString();
}

function isAbsoluteUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** Handle a request under `/oauth2`. */
export function handleOAuth(req: FakeTwitchRequest, ctx: OAuthContext): FakeTwitchResponse {
  const key = `${req.method} ${req.path}`;
  switch (key) {
    case 'POST /oauth2/token':
      return token(req, ctx);
    case 'POST /oauth2/device':
      return device(req, ctx);
    case 'GET /oauth2/validate':
      return validate(req, ctx);
    case 'POST /oauth2/revoke':
      return revoke(req, ctx);
    case 'GET /oauth2/authorize':
      return authorizeGet(req, ctx);
    case 'POST /oauth2/authorize':
      return authorizePost(req, ctx);
    default:
      return oauthError(404, 'Not Found');
  }
}

function token(req: FakeTwitchRequest, ctx: OAuthContext): FakeTwitchResponse {
  const p = params(req);
  const now = Date.now();
  switch (p.grant_type) {
    case 'client_credentials': {
      const bad = checkClient(ctx, p, 'required');
      if (bad) return bad;
      const info = ctx.auth.issueApp(p.client_id, undefined, now);
      return {
        status: 200,
        body: { access_token: info.accessToken, expires_in: Math.floor((info.expiresAt - now) / 1000), token_type: 'bearer' },
      };
    }
    case 'authorization_code': {
      const bad = checkClient(ctx, p, 'required');
      if (bad) return bad;
      if (!p.code) return oauthError(400, 'missing code');
      const record = ctx.auth.redeemCode(p.code, p.client_id, p.redirect_uri, now);
      if (record === 'invalid') return oauthError(400, 'Invalid authorization code');
      if (record === 'redirect_mismatch') return oauthError(400, 'Parameter redirect_uri does not match registered URI');
      const info = ctx.auth.issueUser(
        { clientId: record.clientId, userId: record.userId, login: record.login, scopes: record.scopes },
        now,
      );
      return { status: 200, body: userTokenBody(info, now) };
    }
    case 'refresh_token': {
      const bad = checkClient(ctx, p, 'optional');
      if (bad) return bad;
      const info = p.refresh_token ? ctx.auth.refresh(p.refresh_token, p.client_id, now) : undefined;
      if (!info) return twitchError(400, 'Invalid refresh token');
      return { status: 200, body: userTokenBody(info, now) };
    }
    case DEVICE_GRANT: {
      const bad = checkClient(ctx, p, 'optional');
      if (bad) return bad;
      if (!p.device_code) return oauthError(400, 'missing device_code');
      const result = ctx.auth.pollDevice(p.device_code, p.client_id, now);
      if (!result.ok) return oauthError(400, result.message);
      return { status: 200, body: userTokenBody(result.token, now) };
    }
    case undefined:
      return oauthError(400, 'missing grant_type');
    default:
      return oauthError(400, 'unsupported grant type');
  }
}

function device(req: FakeTwitchRequest, ctx: OAuthContext): FakeTwitchResponse {
  const p = params(req);
  const bad = checkClient(ctx, p, 'none');
  if (bad) return bad;
  const record = ctx.auth.createDevice(p.client_id, scopesOf(p));
  const verification = new URL('/activate', ctx.baseUrl);
  verification.searchParams.set('public', 'true');
  verification.searchParams.set('device-code', record.userCode);
  return {
    status: 200,
    body: {
      device_code: record.deviceCode,
      expires_in: ctx.deviceExpiresInSeconds,
      interval: ctx.deviceIntervalSeconds,
      user_code: record.userCode,
      verification_uri: verification.toString(),
    },
  };
}

function validate(req: FakeTwitchRequest, ctx: OAuthContext): FakeTwitchResponse {
  const header = req.headers.authorization;
  if (!header) return oauthError(401, 'missing authorization token');
  const match = /^(?:OAuth|Bearer)\s+(\S+)\s*$/i.exec(header);
  const now = Date.now();
  const info = match ? ctx.auth.lookup(match[1], now) : undefined;
  if (!info) return oauthError(401, 'invalid access token');
  const expiresIn = Math.max(0, Math.floor((info.expiresAt - now) / 1000));
  const body: Record<string, unknown> =
    info.kind === 'user'
      ? { client_id: info.clientId, login: info.login, scopes: info.scopes, user_id: info.userId, expires_in: expiresIn }
      : { client_id: info.clientId, scopes: [], expires_in: expiresIn };
  return { status: 200, body };
}

function revoke(req: FakeTwitchRequest, ctx: OAuthContext): FakeTwitchResponse {
  const p = params(req);
  if (!p.client_id) return oauthError(400, 'missing client id');
  if (p.client_id !== ctx.clientId) return oauthError(404, 'client does not exist');
  if (!p.token) return oauthError(400, 'missing oauth token');
  const info = ctx.auth.peek(p.token);
  if (!info || info.clientId !== p.client_id) return oauthError(400, 'Invalid token');
  ctx.auth.revoke(p.token);
  return { status: 200 };
}

/** Validated parameters of an authorize request. */
interface AuthorizeParams {
  clientId: string;
  redirectUri: string;
  responseType: 'code' | 'token';
  scopes: string[];
  state?: string;
  forceVerify?: string;
}

function authorizeParams(p: Record<string, string>, ctx: OAuthContext): AuthorizeParams | FakeTwitchResponse {
  if (!p.client_id) return oauthError(400, 'missing client id');
  if (p.client_id !== ctx.clientId) return oauthError(400, 'invalid client');
  if (!p.redirect_uri) return oauthError(400, 'missing redirect_uri');
  if (!isAbsoluteUrl(p.redirect_uri)) return oauthError(400, 'Parameter redirect_uri does not match registered URI');
  if (p.response_type !== 'code' && p.response_type !== 'token') return oauthError(400, 'unsupported response_type');
  return {
    clientId: p.client_id,
    redirectUri: p.redirect_uri,
    responseType: p.response_type,
    scopes: scopesOf(p),
    state: p.state,
    forceVerify: p.force_verify,
  };
}

/** Redirect for the user's decision, or `undefined` if the login is unknown. */
function decide(ctx: OAuthContext, a: AuthorizeParams, approve: boolean, login: string): FakeTwitchResponse | undefined {
  if (!approve) {
    return redirect(
      withParams(
        a.redirectUri,
        { error: 'access_denied', error_description: 'The user denied you access', state: a.state },
        false,
      ),
    );
  }
  const user = ctx.findUserByLogin(login);
  if (!user) return undefined;
  const scope = a.scopes.join(' ');
  if (a.responseType === 'code') {
    const code = ctx.auth.createCode({
      clientId: a.clientId,
      redirectUri: a.redirectUri,
      scopes: a.scopes,
      userId: user.id,
      login: user.login,
    });
    return redirect(withParams(a.redirectUri, { code: code.code, scope, state: a.state }, false));
  }
  const info = ctx.auth.issueUser({
    clientId: a.clientId,
    userId: user.id,
    login: user.login,
    scopes: a.scopes,
    withRefresh: false,
  });
  return redirect(
    withParams(a.redirectUri, { access_token: info.accessToken, scope, state: a.state, token_type: 'bearer' }, true),
  );
}

function authorizeGet(req: FakeTwitchRequest, ctx: OAuthContext): FakeTwitchResponse {
  const p = params(req);
  const a = authorizeParams(p, ctx);
  if ('status' in a) return a;
  const login = p.login || ctx.defaultLogin();
  if (p.fake_auto === 'approve' || p.fake_auto === 'deny') {
    return decide(ctx, a, p.fake_auto === 'approve', login) ?? oauthError(400, `unknown login: ${login}`);
  }
  return { status: 200, headers: HTML, body: authorizePage({ ...a, login }) };
}

function authorizePost(req: FakeTwitchRequest, ctx: OAuthContext): FakeTwitchResponse {
  const p = params(req);
  const a = authorizeParams(p, ctx);
  if ('status' in a) return a;
  const login = (p.login ?? '').trim() || ctx.defaultLogin();
  const response = decide(ctx, a, p.decision === 'authorize' || p.decision === 'approve', login);
  return response ?? { status: 400, headers: HTML, body: authorizePage({ ...a, login, error: `Unknown login "${login}".` }) };
}

/** `GET /activate` and `POST /activate`: the device activation page. */
export function handleActivate(req: FakeTwitchRequest, ctx: OAuthContext): FakeTwitchResponse {
  const p = params(req);
  const login = (p.login ?? '').trim() || ctx.defaultLogin();
  if (req.method === 'GET') {
    return { status: 200, headers: HTML, body: activatePage({ userCode: p['device-code'] ?? p.user_code, login }) };
  }
  if (req.method !== 'POST') return oauthError(404, 'Not Found');
  const userCode = (p.user_code ?? '').trim();
  const record = userCode ? ctx.auth.findDevice(userCode) : undefined;
  if (!record || record.status !== 'pending' || record.expiresAt <= Date.now()) {
    return { status: 400, headers: HTML, body: activatePage({ userCode, login, error: 'This code is invalid or has expired.' }) };
  }
  if (p.decision === 'deny') {
    ctx.auth.denyDevice(userCode);
    return { status: 200, headers: HTML, body: activatePage({ login, message: 'Activation cancelled.' }) };
  }
  const user = ctx.findUserByLogin(login);
  if (!user) return { status: 400, headers: HTML, body: activatePage({ userCode, login, error: `Unknown login "${login}".` }) };
  ctx.auth.approveDevice(userCode, { userId: user.id, login: user.login });
  return {
    status: 200,
    headers: HTML,
    body: activatePage({ login, message: 'Your device is connected. You can close this page.' }),
  };
}
